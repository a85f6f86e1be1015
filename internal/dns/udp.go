package dns

import (
	"errors"
	"net"
	"time"

	"github.com/miekg/dns"
)

// serveUDPEach reads queries one datagram at a time and writes each reply
// before the next read, until the socket closes. It is serveUDP where
// there is no batched receive (outside Linux), and its fallback.
func (s *Server) serveUDPEach(l *listener, udp *net.UDPConn) {
	buf := make([]byte, dns.MaxMsgSize)
	out := make([]byte, 0, 4096)
	upstream := s.opts.Upstream != ""
	var wait time.Duration
	for {
		n, src, err := udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if !s.udpReadFailed(l, err, &wait) {
				return
			}
			continue
		}
		wait = 0
		q := query{raw: buf[:n], local: l.local, src: src.Addr()}
		reply, fwd := handle(s.zone.Load(), q, upstream, out)
		if fwd != nil {
			s.forwardUDP(udp, fwd, src)
			continue
		}
		if reply != nil {
			if _, err := udp.WriteToUDPAddrPort(reply, src); err != nil {
				s.log.Debug("dns: udp write", "to", src, "err", err)
			}
		}
	}
}

// udpReadFailed handles a failed UDP read: false when the socket is
// closed (the worker ends), else it logs (rate-limited), backs off wait
// (1 ms doubling to 1 s: a failure that repeats is not a busy loop) and
// returns true once that time passed, false if the listener stopped
// meanwhile. Failures are not expected on an unconnected socket.
func (s *Server) udpReadFailed(l *listener, err error, wait *time.Duration) bool {
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	*wait = min(max(2**wait, time.Millisecond), time.Second)
	s.udpErrs.failed(s.log, "dns: udp read failed; retrying", err, *wait)
	return l.rest(*wait)
}

package netstack

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// idleTick is the longest a copy runs before it looks at the idle clock.
// Deadlines are refreshed once per tick, not per read, so the splice path
// stays as fast as a plain io.Copy.
const idleTick = 5 * time.Second

// conn is one forwarded connection.
type conn struct {
	client, upstream *net.TCPConn
	l                *listener
	route            *route
	target           targetKey
	idle             time.Duration

	lastActive atomic.Int64 // unix nanoseconds of the last byte seen
	up, down   atomic.Int64
	ended      atomic.Int32 // directions that have finished copying
	closeOnce  sync.Once
	reason     atomic.Pointer[string]
	drain      *time.Timer // guarded by Forwarder.connMu
	drainAt    time.Time
}

// handle runs one accepted connection to its end.
func (f *Forwarder) handle(l *listener, client *net.TCPConn) {
	defer f.connWG.Done()
	start := time.Now()
	r := l.route.Load()
	name := r.metricName()
	cm := f.connMetrics(l, name)
	src := addrPort(client.RemoteAddr())
	dst := addrPort(client.LocalAddr())
	cm.conns.Inc()

	if !r.allows(src.Addr()) {
		f.m.rejects.WithLabelValues(name, rejectSecurityGroup).Inc()
		f.log.Debug("connection refused by security groups", "client", src.String(), "endpoint", name, "listener", dst.String())
		reset(client)
		return
	}
	t, ok := r.pick(f.health.current(), flowHash(src, dst))
	if !ok {
		f.m.rejects.WithLabelValues(name, rejectNoTarget).Inc()
		f.log.Warn("no target for connection", "client", src.String(), "endpoint", name, "listener", dst.String(),
			"target_group", r.listener.TargetGroupARN)
		reset(client)
		return
	}
	tap := netip.AddrPortFrom(t.IP.Unmap(), t.Port)
	upstream, err := f.dialer.dial(f.ctx, r.source(tap.Addr()), tap, 0)
	if err != nil {
		f.m.rejects.WithLabelValues(name, rejectDial).Inc()
		f.log.Warn("cannot connect to target", "client", src.String(), "endpoint", name, "listener", dst.String(),
			"target", tap.String(), "timeout", f.opts.DialTimeout, "err", err)
		reset(client)
		return
	}
	if r.tg.ProxyProtocolV2 {
		hdr, err := proxyHeader(src, dst, r.endpointID)
		if err == nil {
			_, err = upstream.Write(hdr)
		}
		if err != nil {
			f.log.Warn("cannot send PROXY v2 header", "target", tap.String(), "err", err)
			reset(client)
			upstream.Close()
			return
		}
	}

	c := &conn{client: client, upstream: upstream, l: l, route: r,
		target: targetKey{r.tg.ARN, tap}, idle: r.idle}
	c.lastActive.Store(time.Now().UnixNano())
	cm.active.Inc()
	f.track(c)
	c.run(cm)
	f.untrack(c)
	cm.active.Dec()

	if !f.log.Enabled(f.ctx, slog.LevelDebug) {
		return
	}
	reason := "closed"
	if p := c.reason.Load(); p != nil {
		reason = *p
	}
	f.log.Debug("connection", "client", src.String(), "endpoint", name, "listener", dst.String(),
		"target", tap.String(), "bytes_up", c.up.Load(), "bytes_down", c.down.Load(),
		"duration", time.Since(start), "end", reason)
}

// run copies both ways until both directions end, then closes both sides.
func (c *conn) run(cm *connMetrics) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.copy(c.upstream, c.client, &c.up, cm.in)
	}()
	c.copy(c.client, c.upstream, &c.down, cm.out)
	<-done
	c.client.Close()
	c.upstream.Close()
}

type adder interface{ Add(float64) }

// smallCopyBuf is the size of the buffer a copy starts with. A read that
// fills it means bulk data: the copy switches to splice. Short exchanges
// (requests, replies, interactive traffic) stay on read/write, which costs
// less per message than splice's two calls through a pipe taken from a pool.
const smallCopyBuf = 16 << 10

var copyBufs = sync.Pool{New: func() any { b := make([]byte, smallCopyBuf); return &b }}

// copy moves src to dst in chunks of at most one idle tick, so the idle
// clock is checked without touching each read: first through a small
// buffer, then, once a read fills it, with io.Copy (splice on Linux).
// EOF half-closes dst; an error or the idle timeout resets both sides.
func (c *conn) copy(dst, src *net.TCPConn, total *atomic.Int64, counter adder) {
	tick := min(idleTick, max(c.idle/4, 10*time.Millisecond))
	bp := copyBufs.Get().(*[]byte)
	buf := *bp
	defer func() {
		if buf != nil {
			copyBufs.Put(bp)
		}
	}()
	for {
		src.SetReadDeadline(time.Now().Add(tick))
		var n int64
		var err error
		bulk := false
		if buf != nil {
			n, bulk, err = copyBuffered(dst, src, buf)
			if bulk {
				copyBufs.Put(bp)
				buf = nil
			}
		} else {
			n, err = io.Copy(dst, src)
		}
		if n > 0 {
			total.Add(n)
			counter.Add(float64(n))
			c.lastActive.Store(time.Now().UnixNano())
		}
		if bulk {
			continue
		}
		if err == nil { // EOF from src: pass the half-close on
			// ...unless the other direction has ended too: run closes
			// both sockets now, and close sends the FIN itself.
			if c.ended.Add(1) == 1 {
				dst.CloseWrite()
			}
			return
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && c.reason.Load() == nil {
			if time.Since(time.Unix(0, c.lastActive.Load())) < c.idle {
				continue
			}
			c.abort("idle timeout")
			return
		}
		c.abort("error: " + err.Error())
		return
	}
}

// copyBuffered moves src to dst through buf until EOF (nil error), an
// error, or a read that fills buf (bulk is then true and err nil).
func copyBuffered(dst, src *net.TCPConn, buf []byte) (n int64, bulk bool, err error) {
	for {
		nr, rerr := src.Read(buf)
		if nr > 0 {
			nw, werr := dst.Write(buf[:nr])
			n += int64(nw)
			if werr != nil {
				return n, false, werr
			}
			if nr == len(buf) {
				return n, true, nil
			}
		}
		if rerr != nil {
			if rerr == io.EOF {
				return n, false, nil
			}
			return n, false, rerr
		}
	}
}

// abort resets both sides once; the copies then end with errors.
func (c *conn) abort(reason string) {
	c.closeOnce.Do(func() {
		c.reason.Store(&reason)
		reset(c.client)
		reset(c.upstream)
	})
}

// setDrainDeadline arms (or with the zero time disarms) the timer that
// closes a connection to a draining target. Caller holds Forwarder.connMu.
func (c *conn) setDrainDeadline(at time.Time) {
	if at.Equal(c.drainAt) {
		return
	}
	if c.drain != nil {
		c.drain.Stop()
		c.drain = nil
	}
	c.drainAt = at
	if !at.IsZero() {
		c.drain = time.AfterFunc(time.Until(at), func() { c.abort("deregistration delay expired") })
	}
}

// reset closes a TCP connection with RST.
func reset(c *net.TCPConn) {
	c.SetLinger(0)
	c.Close()
}

func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

package netstack

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// The goroutine engine: a goroutine per listener accepts, and two per
// connection copy, with io.Copy (splice on Linux) once the data is bulk.
// It is the engine everywhere but Linux, where the epoll engine
// (loop_linux.go) does the same work with fewer wake-ups and system
// calls; Options.Engine selects it there for comparison and tests.

// gconn is a connection of the goroutine engine.
type gconn struct {
	*conn
	client, upstream *net.TCPConn
	lastActive       atomic.Int64 // unix nanoseconds of the last byte seen
	ended            atomic.Int32 // directions that have finished copying
}

func (g *gconn) reset() {
	resetTCP(g.client)
	resetTCP(g.upstream)
}

// acceptLoop accepts on l until it closes. Out of file descriptors it
// rests until the forwarder's shared rest ends (fdPressure) and, while
// descriptors are short, so does every other listener before it tries;
// clients wait in the kernel's backlog meanwhile. Other errors back off
// as net/http does.
func (f *Forwarder) acceptLoop(l *listener) {
	defer f.acceptWG.Done()
	var backoff time.Duration
	for {
		if until, ok := f.fd.resting(mono()); ok && !l.rest(until) {
			return
		}
		c, err := l.ln.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if IsFDLimit(err) {
				if !l.rest(f.fd.hit(fdOpAccept, err)) {
					return
				}
				continue
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			if backoff == 5*time.Millisecond { // the first failure in a row
				f.log.Warn("accept failed", "listener", l.ln.Addr().String(), "err", err, "retry_in", backoff)
			}
			if !l.rest(mono() + int64(backoff)) {
				return
			}
			continue
		}
		backoff = 0
		f.fd.recovered()
		f.connWG.Add(1)
		go f.handle(l, c)
	}
}

// rest waits until the mono() time until, or until l closes (false).
func (l *listener) rest(until int64) bool {
	t := time.NewTimer(time.Duration(until - mono()))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.closed:
		return false
	}
}

// handle runs one accepted connection to its end.
func (f *Forwarder) handle(l *listener, client *net.TCPConn) {
	defer f.connWG.Done()
	if l.steer != nil { // sk_lookup: the address it came to names its listener
		if l = l.steer.lookup(addrPort(client.LocalAddr())); l == nil {
			resetTCP(client)
			return
		}
	}
	c := f.admit(l, addrPort(client.RemoteAddr()), addrPort(client.LocalAddr()))
	if c == nil {
		resetTCP(client)
		return
	}
	upstream, err := f.dialer.dial(f.ctx, c.route.source(c.tap.Addr()), c.tap, 0)
	if err != nil {
		f.dialFailed(c, err)
		resetTCP(client)
		return
	}
	if c.route.tg.ProxyProtocolV2 {
		hdr, err := proxyHeader(c.src, c.dst, c.route.endpointID)
		if err == nil {
			_, err = upstream.Write(hdr)
		}
		if err != nil {
			f.log.Warn("cannot send PROXY v2 header", "target", c.tap.String(), "err", err)
			resetTCP(client)
			upstream.Close()
			return
		}
	}
	g := &gconn{conn: c, client: client, upstream: upstream}
	c.ender = g
	g.lastActive.Store(time.Now().UnixNano())
	f.begin(c)
	g.run()
	f.end(c)
}

// run copies both ways until both directions end, then closes both sides.
func (g *gconn) run() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.copy(g.upstream, g.client, &g.up, g.cm.in)
	}()
	g.copy(g.client, g.upstream, &g.down, g.cm.out)
	<-done
	g.client.Close()
	g.upstream.Close()
}

type adder interface{ Add(float64) }

// smallCopyBuf is the size of the buffer a copy starts with. A read that
// fills it means bulk data: the copy switches to splice. Short exchanges
// (requests, replies, interactive traffic) stay on read/write, which costs
// less per message than splice's two calls through a pipe.
const smallCopyBuf = 16 << 10

var copyBufs = sync.Pool{New: func() any { b := make([]byte, smallCopyBuf); return &b }}

// copy moves src to dst in chunks of at most one idle tick, so the idle
// clock is checked without touching each read: first through a small
// buffer, then, once a read fills it, with io.Copy (splice on Linux).
// EOF half-closes dst; an error or the idle timeout resets both sides.
func (g *gconn) copy(dst, src *net.TCPConn, total *atomic.Int64, counter adder) {
	tick := idleTick(g.idle)
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
			g.lastActive.Store(time.Now().UnixNano())
		}
		if bulk {
			continue
		}
		if err == nil { // EOF from src: pass the half-close on
			// ...unless the other direction has ended too: run closes
			// both sockets now, and close sends the FIN itself.
			if g.ended.Add(1) == 1 {
				dst.CloseWrite()
			}
			return
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && g.reason.Load() == nil {
			if time.Since(time.Unix(0, g.lastActive.Load())) < g.idle {
				continue
			}
			g.abort("idle timeout")
			return
		}
		g.abort("error: " + err.Error())
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

// resetTCP closes a TCP connection with RST.
func resetTCP(c *net.TCPConn) {
	c.SetLinger(0)
	c.Close()
}

package netstack

import (
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// conn is one forwarded connection, as the rest of the forwarder sees it:
// what it was routed to, its byte counts and how to end it. The bytes are
// moved by an engine (engine_goroutine.go, loop_linux.go), which owns the
// sockets.
type conn struct {
	l      *listener
	route  *route
	target targetKey
	idle   time.Duration
	cm     *connMetrics

	src, dst netip.AddrPort // client, listener
	tap      netip.AddrPort // target
	start    time.Time

	up, down  atomic.Int64
	closeOnce sync.Once
	reason    atomic.Pointer[string]
	ender     ender       // the engine's side of the connection
	drain     *time.Timer // guarded by Forwarder.connMu
	drainAt   time.Time
}

// ender resets both sides of a connection. It may be called from any
// goroutine, once.
type ender interface{ reset() }

// admit routes a connection accepted on l from src: the security groups,
// then the target. It returns nil when the connection must be refused
// (counted and logged here; the caller resets it).
func (f *Forwarder) admit(l *listener, src, dst netip.AddrPort) *conn {
	r := l.route.Load()
	name := r.metricName()
	cm := f.connMetrics(l, name)
	cm.conns.Inc()
	if !r.allows(src.Addr()) {
		f.m.rejects.WithLabelValues(name, rejectSecurityGroup).Inc()
		f.refuse.logf(slog.LevelInfo, name, rejectSecurityGroup, "connection refused by the endpoint's security groups",
			"client", src.String(), "endpoint", name, "listener", dst.String(), "security_groups", r.sgIDs(),
			"remedy", "authorize-security-group-ingress on one of them for the client's address and port "+strconv.Itoa(int(dst.Port())))
		return nil
	}
	h := f.health.current()
	t, ok := r.pick(h, flowHash(src, dst))
	if !ok && len(r.selfTargets) > 0 {
		f.m.rejects.WithLabelValues(name, rejectSelfTarget).Inc()
		f.refuse.logf(slog.LevelWarn, name, rejectSelfTarget, "connection refused: the target group's targets are this data plane's own listeners",
			"client", src.String(), "endpoint", name, "listener", dst.String(),
			"target_group", r.listener.TargetGroupARN, "targets", r.selfTargets)
		return nil
	}
	if !ok {
		f.m.rejects.WithLabelValues(name, rejectNoTarget).Inc()
		f.refuse.logf(slog.LevelWarn, name, rejectNoTarget, "connection refused: no target", "client", src.String(),
			"endpoint", name, "listener", dst.String(), "target_group", r.listener.TargetGroupARN,
			"remedy", "register-targets in the target group (targets in this zone, or cross-zone load balancing on)")
		return nil
	}
	if !r.hasHealthy(h) {
		// Not a refusal: as an NLB, the forwarder fails open. Said anyway,
		// since the target it picked is probably why the client fails.
		f.refuse.logf(slog.LevelInfo, name, "no-healthy-target", "no healthy target (health checks still initial, or failing): connection sent to one anyway (failing open, as an NLB does)",
			"client", src.String(), "endpoint", name, "listener", dst.String(), "target_group", r.listener.TargetGroupARN,
			"remedy", "describe-target-health shows why the targets fail their health checks")
	}
	tap := netip.AddrPortFrom(t.IP.Unmap(), t.Port)
	return &conn{l: l, route: r, target: targetKey{r.tg.ARN, tap}, idle: r.idle, cm: cm,
		src: src, dst: dst, tap: tap, start: time.Now()}
}

// dialFailed counts and logs (rate-limited) a connection whose target
// could not be reached.
func (f *Forwarder) dialFailed(c *conn, err error) {
	f.m.rejects.WithLabelValues(c.cm.name, rejectDial).Inc()
	if IsFDLimit(err) { // logged by fdPressure, at most every few seconds
		f.fd.hit(fdOpDial, err)
		return
	}
	// Rate-limited as the refusals are: a client retrying against a dead
	// target must not flood the log.
	f.refuse.logf(slog.LevelWarn, c.cm.name, rejectDial, "cannot connect to target", "client", c.src.String(), "endpoint", c.cm.name, "listener", c.dst.String(),
		"target", c.tap.String(), "timeout", f.opts.DialTimeout, "err", err,
		"remedy", "start a server on "+c.tap.String()+" (plink backend --listen "+c.tap.String()+" answers any TCP), or deregister-targets it")
}

// begin makes a connection whose target is being reached visible to
// reconciles, draining and shutdown.
func (f *Forwarder) begin(c *conn) {
	c.cm.active.Inc()
	f.track(c)
}

// end undoes begin and writes the connection's debug line.
func (f *Forwarder) end(c *conn) {
	f.untrack(c)
	c.cm.active.Dec()
	if !f.log.Enabled(f.ctx, slog.LevelDebug) {
		return
	}
	reason := "closed"
	if p := c.reason.Load(); p != nil {
		reason = *p
	}
	f.log.Debug("connection", "client", c.src.String(), "endpoint", c.cm.name, "listener", c.dst.String(),
		"target", c.tap.String(), "bytes_up", c.up.Load(), "bytes_down", c.down.Load(),
		"duration", time.Since(c.start), "end", reason)
}

// abort resets both sides once, from any goroutine.
func (c *conn) abort(reason string) {
	c.closeOnce.Do(func() {
		c.reason.Store(&reason)
		c.ender.reset()
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

// idleTick is the longest a copy runs before it looks at the idle clock.
func idleTick(idle time.Duration) time.Duration {
	return min(5*time.Second, max(idle/4, 10*time.Millisecond))
}

func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

package netstack

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// DefaultDialTimeout bounds a connection attempt to a target.
const DefaultDialTimeout = 10 * time.Second

// sourceDialer dials targets from a load balancer node address, as an NLB
// does, and falls back to the kernel's choice when that address is not
// local (logged once per address).
type sourceDialer struct {
	timeout time.Duration
	log     *slog.Logger

	mu         sync.Mutex
	unbindable map[netip.Addr]bool
}

func newSourceDialer(timeout time.Duration, log *slog.Logger) *sourceDialer {
	return &sourceDialer{timeout: timeout, log: log, unbindable: map[netip.Addr]bool{}}
}

// reset forgets which source addresses failed: a reconcile may have made
// them local.
func (d *sourceDialer) reset() {
	d.mu.Lock()
	clear(d.unbindable)
	d.mu.Unlock()
}

// dial connects to dst from src (when src is valid, of dst's family and
// bindable) within timeout (the dialer's own when zero).
func (d *sourceDialer) dial(ctx context.Context, src netip.Addr, dst netip.AddrPort, timeout time.Duration) (*net.TCPConn, error) {
	if timeout <= 0 {
		timeout = d.timeout
	}
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	src = src.Unmap()
	if d.usable(src, dst.Addr()) {
		c, err := dialFrom(ctx, src, dst, timeout)
		if err == nil || !errors.Is(err, syscall.EADDRNOTAVAIL) {
			return c, err
		}
		d.unusable(src, err)
	}
	return dialFrom(ctx, netip.Addr{}, dst, timeout)
}

// usable reports whether src should be tried as the source address of a
// connection to dst: valid, of dst's family, and not known to be foreign.
func (d *sourceDialer) usable(src, dst netip.Addr) bool {
	if !src.IsValid() || src.Is4() != dst.Is4() {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.unbindable[src]
}

// unusable records that src cannot be bound (EADDRNOTAVAIL), with a
// warning the first time.
func (d *sourceDialer) unusable(src netip.Addr, err error) {
	d.mu.Lock()
	first := !d.unbindable[src]
	d.unbindable[src] = true
	d.mu.Unlock()
	if first {
		d.log.Warn("load balancer node address is not local; targets will see another source address",
			"source", src, "err", err)
	}
}

func dialFrom(ctx context.Context, src netip.Addr, dst netip.AddrPort, timeout time.Duration) (*net.TCPConn, error) {
	// No TCP keep-alive: NLB sends none, the idle timeout is the
	// forwarder's own, and the option costs four setsockopt calls per
	// connection.
	d := net.Dialer{Timeout: timeout, KeepAlive: -1}
	if src.IsValid() {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0))
		d.Control = bindNoPort
	}
	c, err := d.DialContext(ctx, "tcp", dst.String())
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

package netstack

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"syscall"

	"github.com/plink-dev/plink/internal/sockholder"
)

// Listen modes, for Options.ListenMode.
const (
	// ListenAuto uses sk_lookup where the kernel and privileges allow it,
	// per-address listeners elsewhere. The default.
	ListenAuto = "auto"
	// ListenSKLookup steers every endpoint and node address of a port to
	// one listening socket per family and port with an eBPF sk_lookup
	// program (sklookup_linux.go): a descriptor per port, not per
	// address. Linux 5.9 or later, root or CAP_BPF and CAP_NET_ADMIN.
	ListenSKLookup = "sk-lookup"
	// ListenPerAddress binds one listening socket per address and port.
	ListenPerAddress = "per-address"
)

// skMaxAddrs bounds sk_lookup's address map: entries are allocated as
// used, but its hash buckets (16 bytes each, one per entry) up front: 4 MB
// of kernel memory for 262,144 endpoint and node addresses (times ports).
const skMaxAddrs = 1 << 18

// defaultListenMode is the mode of Options without one; the package's
// tests set it from PLINK_LISTEN_MODE to run in either mode.
var defaultListenMode = ListenAuto

// ListenModes lists the valid values of Options.ListenMode.
var ListenModes = []string{ListenAuto, ListenSKLookup, ListenPerAddress}

// steering is the forwarder's sk_lookup state. An address listener has no
// socket of its own (fd -1, ln nil): its connections arrive on the
// listening socket of its family and port (a port socket: a listener with
// steer set, bound to an ephemeral loopback port) and are matched to it by
// their local address, which is the address the client connected to.
type steering struct {
	bpf *skLookup
	// listen binds a port socket of the engine in use.
	listen func(netip.AddrPort) (*listener, error)

	mu    sync.RWMutex
	addrs map[netip.AddrPort]*listener // address listeners accepting

	// ports are the port sockets by socket map slot; guarded by
	// Forwarder.mu, as are portSock's fields and probed.
	ports map[uint32]*portSock
	// probed are the results of probe, each used once by bind.
	probed map[netip.AddrPort]error
}

// portSock is one port socket and how many address listeners use it.
type portSock struct {
	l    *listener
	slot uint32
	refs int
}

// steeredError is the bind error of an address another serve's sk_lookup
// program steers: the kernel would take no bind of it amiss (no socket
// is bound to it), but its connections go to the other serve.
type steeredError struct{ holder sockholder.Holder }

func (e steeredError) Error() string { return syscall.EADDRINUSE.Error() }
func (e steeredError) Unwrap() error { return syscall.EADDRINUSE }

// CheckSteered returns the bind error of TCP address ap when another
// plink serve's sk_lookup program steers it: a bind of ap succeeds, but
// its connections go to that serve. Otherwise nil.
func CheckSteered(ap netip.AddrPort) error { return checkSteered([]netip.AddrPort{ap})[ap] }

// SteeredHolder returns the serve whose sk_lookup program steers the
// address err (from CheckSteered or a BindError) is about.
func SteeredHolder(err error) (sockholder.Holder, bool) {
	var s steeredError
	if errors.As(err, &s) {
		return s.holder, true
	}
	return sockholder.Holder{}, false
}

func newSteering(bpf *skLookup, listen func(netip.AddrPort) (*listener, error)) *steering {
	return &steering{bpf: bpf, listen: listen, addrs: map[netip.AddrPort]*listener{}, ports: map[uint32]*portSock{}}
}

// bind makes an address listener for addr: it checks that addr could be
// bound (so a conflict, a missing address or a privileged port is
// reported as in per-address mode) and makes sure the port socket of its
// family and port exists. commit then puts the addresses bound into the
// program's map, and start makes connections to them find their
// listeners.
func (st *steering) bind(addr netip.AddrPort) (*listener, error) {
	err, ok := st.probed[addr]
	if ok {
		delete(st.probed, addr) // a retry (the address just added) probes again
	} else {
		err = probeBind(addr)
	}
	if err != nil {
		return nil, err
	}
	slot := skSlot(addr)
	ps := st.ports[slot]
	if ps == nil {
		lo := netip.IPv6Loopback()
		if addr.Addr().Unmap().Is4() {
			lo = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		}
		l, err := st.listen(netip.AddrPortFrom(lo, 0))
		if err != nil {
			return nil, fmt.Errorf("port socket for %s: %w", addr, err)
		}
		l.steer = st
		if err := l.withFD(func(fd int) error { return st.bpf.setSocket(slot, fd) }); err != nil {
			l.close()
			return nil, err
		}
		ps = &portSock{l: l, slot: slot}
		st.ports[slot] = ps
	}
	ps.refs++
	return &listener{addr: addr, fd: -1, closed: make(chan struct{}), port: ps}, nil
}

// commit steers the addresses of the listeners bind made (lns) to their
// port sockets, and takes those it could not out of lns, as bind errors.
func (st *steering) commit(p *plan, lns map[netip.AddrPort]*listener) []BindError {
	// The table first, routes stored: the program steers a connection to
	// an address as soon as it is in the map, and the loop that accepts
	// it must find its listener (it resets one it cannot match).
	addrs := make([]netip.AddrPort, 0, len(lns))
	st.mu.Lock()
	for addr, l := range lns {
		l.route.Store(p.routes[addr])
		st.addrs[addr] = l
		addrs = append(addrs, addr)
	}
	st.mu.Unlock()
	var errs []BindError
	for addr, err := range st.bpf.addAddrs(addrs) {
		st.mu.Lock()
		delete(st.addrs, addr)
		st.mu.Unlock()
		ps := lns[addr].port
		delete(lns, addr)
		if ps.refs--; ps.refs == 0 {
			st.release(ps)
		}
		errs = append(errs, bindError(p.routes[addr], err, nil))
	}
	return errs
}

// probe finds out, for the bind calls that follow, which of addrs could
// be bound. An IPv4 loopback address on an unprivileged port that no
// socket in the namespace listens on can (127.0.0.0/8 is local on lo, and
// only a listening socket could take its connections): most addresses of
// a large store, at the cost of one sock_diag dump of the listening
// sockets (listeningPorts). The rest are bound and closed (probeBind), on
// every core at once.
func (st *steering) probe(addrs []netip.AddrPort) {
	st.probed = make(map[netip.AddrPort]error, len(addrs))
	if len(addrs) == 0 {
		return
	}
	// Another serve's program steering an address: no bind would tell.
	if taken := st.bpf.othersSteering(addrs); len(taken) > 0 {
		rest := addrs[:0:0]
		for _, a := range addrs {
			if err, ok := taken[a]; ok {
				st.probed[a] = err
				continue
			}
			rest = append(rest, a)
		}
		addrs = rest
	}
	busy, err := listeningPorts()
	if err == nil {
		var rest []netip.AddrPort
		for _, a := range addrs {
			if ip := a.Addr(); ip.Is4() && ip.IsLoopback() && a.Port() >= 1024 && !busy[a.Port()] {
				st.probed[a] = nil
				continue
			}
			rest = append(rest, a)
		}
		addrs = rest
	}
	errs := make([]error, len(addrs))
	workers := min(runtime.GOMAXPROCS(0), (len(addrs)+255)/256)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(addrs); i += workers {
				errs[i] = probeBind(addrs[i])
			}
		}()
	}
	wg.Wait()
	for i, a := range addrs {
		st.probed[a] = errs[i]
	}
}

// release drops an unused port socket from the socket map and the table;
// the caller closes it once the engine has let it go.
func (st *steering) release(ps *portSock) {
	st.bpf.delSocket(ps.slot)
	delete(st.ports, ps.slot)
	if ps.l.startedAccepting {
		return
	}
	ps.l.close()
}

// start makes ls (address listeners, routes stored) match their
// connections, and returns the port sockets the engine must start
// accepting on.
func (st *steering) start(ls []*listener) []*listener {
	var out []*listener
	st.mu.Lock()
	for _, l := range ls {
		st.addrs[l.addr] = l
		if pl := l.port.l; !pl.startedAccepting {
			pl.startedAccepting = true
			out = append(out, pl)
		}
	}
	st.mu.Unlock()
	return out
}

// stop takes ls out of the program's map, and returns the port sockets
// no address uses any more, for the engine to drop and close; forget then
// takes ls out of the table. In between, connections the kernel had
// already queued on a port socket are still matched, as a listener's
// are accepted by the loops it wakes before they drop it.
func (st *steering) stop(ls []*listener) []*listener {
	addrs := make([]netip.AddrPort, len(ls))
	for i, l := range ls {
		addrs[i] = l.addr
	}
	st.bpf.delAddrs(addrs)
	var out []*listener
	for _, l := range ls {
		ps := l.port
		if ps.refs--; ps.refs == 0 {
			st.release(ps)
			if ps.l.startedAccepting {
				out = append(out, ps.l)
			}
		}
	}
	return out
}

// forget takes stopped address listeners out of the table.
func (st *steering) forget(ls []*listener) {
	st.mu.Lock()
	for _, l := range ls {
		if st.addrs[l.addr] == l {
			delete(st.addrs, l.addr)
		}
	}
	st.mu.Unlock()
}

// lookup is the address listener of a connection accepted on a port
// socket with local address local; nil when the address is no longer
// served (the connection is then reset, as a closed listener's backlog
// is).
func (st *steering) lookup(local netip.AddrPort) *listener {
	local = netip.AddrPortFrom(local.Addr().Unmap(), local.Port())
	st.mu.RLock()
	l := st.addrs[local]
	st.mu.RUnlock()
	return l
}

// close detaches the program. Every address listener must be stopped.
func (st *steering) close() { st.bpf.close() }

// sockets is how many descriptors the port sockets hold.
func (st *steering) sockets() int { return len(st.ports) }

// ProbeSKLookup loads and attaches the sk_lookup program and detaches it
// again: nil when a forwarder could listen in sk_lookup mode here.
func ProbeSKLookup() error {
	s, err := newSKLookup()
	if err != nil {
		return err
	}
	s.close()
	return nil
}

// SteersAddresses reports whether the forwarder listens in sk_lookup mode.
func (f *Forwarder) SteersAddresses() bool { return f.steer != nil }

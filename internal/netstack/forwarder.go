package netstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plink-dev/plink/internal/snapshot"
	"github.com/plink-dev/plink/internal/sockholder"
)

// Options configure a Forwarder. The zero value works: no metrics
// registry, a discarding logger, no address management.
type Options struct {
	Logger *slog.Logger
	// Registerer receives the forwarder's metrics; nil keeps them private.
	Registerer prometheus.Registerer
	// AddAddresses, when set, is called once per Apply with the addresses
	// the kernel refused to bind (EADDRNOTAVAIL); those binds are retried
	// once after it. serve passes LocalAddrs.AddAll when running as root.
	AddAddresses func([]netip.Addr) error
	// DialTimeout bounds a connection attempt to a target (default 10 s).
	DialTimeout time.Duration
	// OnHealth receives target health changes. It is called with an
	// internal lock held: it must be quick and must not call the Forwarder.
	OnHealth func([]snapshot.HealthReport)
	// Engine is how bytes are moved: EngineEpoll (the default on Linux)
	// or EngineGoroutines (the default elsewhere, and the fallback when
	// the epoll engine cannot start).
	Engine string
	// ListenMode is how endpoint and node addresses are listened on:
	// ListenAuto (the default), ListenSKLookup or ListenPerAddress. When
	// sk_lookup is asked for and cannot be had, the forwarder listens per
	// address and ListenMode() returns the reason as its error.
	ListenMode string
	// RefuseLogInterval is how often refused connections of one kind on
	// one endpoint are logged (default DefaultRefuseLogInterval); the
	// ones in between are counted in the next line.
	RefuseLogInterval time.Duration
}

// Engines, for Options.Engine.
const (
	// EngineEpoll runs every connection on a few event loops (one per
	// core) with raw non-blocking sockets: no goroutine per
	// connection, no Go netpoller bookkeeping, splice for bulk data.
	// Linux only.
	EngineEpoll = "epoll"
	// EngineGoroutines runs two goroutines per connection on Go's net
	// package, with io.Copy (splice on Linux) for bulk data.
	EngineGoroutines = "goroutines"
)

// ListenerInfo describes one bound listener.
type ListenerInfo struct {
	Address      string `json:"address"`
	Endpoint     string `json:"endpoint"`      // endpoint ID; "" for load balancer nodes
	LoadBalancer string `json:"load_balancer"` // load balancer name
	Kind         string `json:"kind"`          // endpoint | load-balancer
}

// BindError is a listener that could not be bound; the others still serve.
type BindError struct {
	Kind         string
	Endpoint     string
	LoadBalancer string
	Address      string
	Err          error
	Remedy       string
}

func (e BindError) Error() string {
	who := e.Endpoint
	if who == "" {
		who = e.LoadBalancer
	}
	s := fmt.Sprintf("%s %s: listen %s: %v", e.Kind, who, e.Address, bindCause(e.Err))
	if e.Remedy != "" {
		s += " (" + e.Remedy + ")"
	}
	return s
}

func (e BindError) Unwrap() error { return e.Err }

// bindCause is err without net's "listen tcp ADDR: " wrapper, which would
// name the address BindError names already ("bind: address already in use").
func bindCause(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// Is makes errors.Is(err, ErrFDLimit) true for a listener that could not
// be bound for want of file descriptors.
func (e BindError) Is(target error) bool { return target == ErrFDLimit && IsFDLimit(e.Err) }

// Result is what one Apply did.
type Result struct {
	Listeners []ListenerInfo // every listener running after the apply
	Errors    []BindError
}

// Forwarder is the data plane: listeners, connections and health checks
// for the latest snapshot applied.
type Forwarder struct {
	log    *slog.Logger
	opts   Options
	m      *metrics
	fd     *fdPressure
	refuse *refuseLog
	dialer *sourceDialer
	health *healthChecker
	ctx    context.Context // cancelled by Close: aborts dials
	cancel context.CancelFunc

	mu        sync.Mutex // serialises Apply, StopAccepting and Close
	listeners map[netip.AddrPort]*listener
	stopped   bool
	acceptWG  sync.WaitGroup

	connMu sync.Mutex
	conns  map[*conn]struct{}
	connWG sync.WaitGroup
	plan   *plan          // last applied, guarded by connMu
	seq    uint64         // plans applied, guarded by mu
	infos  []ListenerInfo // the running listeners, sorted by address; guarded by mu
	self   string         // the self targets last logged, guarded by mu

	loops  *loops // the epoll engine; nil when goroutines move the bytes
	listen func(netip.AddrPort) (*listener, error)
	// steer is the sk_lookup state; nil in per-address mode.
	steer   *steering
	mode    string
	modeErr error
}

// listener is one bound socket and its current route.
type listener struct {
	addr netip.AddrPort
	ln   *net.TCPListener // goroutine engine
	fd   int              // epoll engine: the listening socket; else -1
	// closed is closed by close, to wake an accept loop that rests.
	closed    chan struct{}
	closeOnce sync.Once
	route     atomic.Pointer[route]
	gone      atomic.Bool // removed by a reconcile: its connections end
	// metrics caches the connection collectors of the route's label.
	metrics atomic.Pointer[connMetrics]

	// sk_lookup mode (steer.go): an address listener has no socket and
	// port is the port socket its connections arrive on; a port socket
	// has steer set. startedAccepting is guarded by Forwarder.mu.
	port             *portSock
	steer            *steering
	startedAccepting bool
}

// New returns a forwarder with no listeners; Apply gives it some.
func New(opts Options) *Forwarder {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Forwarder{
		log: log, opts: opts, m: newMetrics(opts.Registerer),
		dialer:    newSourceDialer(opts.DialTimeout, log),
		ctx:       ctx,
		cancel:    cancel,
		listeners: map[netip.AddrPort]*listener{},
		conns:     map[*conn]struct{}{},
	}
	f.fd = newFDPressure(log, f.m.fdLimit)
	f.refuse = newRefuseLog(log, opts.RefuseLogInterval)
	f.health = newHealthChecker(log, f.dialer, f.m, opts.OnHealth, f.terminateUnhealthy)
	f.health.onFDLimit = func(err error) { f.fd.hit(fdOpHealth, err) }
	f.listen = listenNet
	if opts.Engine == "" {
		opts.Engine = defaultEngine
	}
	if opts.Engine == EngineEpoll {
		lps, err := newLoops(f)
		if err != nil {
			log.Warn("epoll engine unavailable; using goroutines", "err", err)
		} else {
			f.loops = lps
			f.listen = listenRaw
		}
	}
	if opts.ListenMode == "" {
		opts.ListenMode = defaultListenMode
	}
	f.chooseListenMode(opts.ListenMode)
	return f
}

// chooseListenMode sets up sk_lookup unless per-address listening is
// asked for or sk_lookup is unavailable, and logs which mode and why.
func (f *Forwarder) chooseListenMode(want string) {
	f.mode = ListenPerAddress
	if want == ListenPerAddress {
		f.log.Info("listen mode: per-address (one socket per endpoint and node address and port), as asked")
		return
	}
	port := listenPortNet
	if f.loops != nil {
		port = listenRaw
	}
	bpf, err := newSKLookup()
	if err != nil {
		if want == ListenSKLookup { // the caller decides: serve stops
			f.modeErr = fmt.Errorf("sk_lookup listening unavailable: %w", err)
			return
		}
		f.log.Info("listen mode: per-address (one socket per endpoint and node address and port): sk_lookup unavailable", "err", err)
		return
	}
	f.mode = ListenSKLookup
	f.steer = newSteering(bpf, port)
	f.listen = f.steer.bind
	f.log.Info("listen mode: sk-lookup (an eBPF sk_lookup program steers every address of a port to one socket per family and port)")
}

// ListenMode is the listen mode in use (ListenSKLookup or
// ListenPerAddress) and, when sk_lookup was asked for and is not in use,
// why.
func (f *Forwarder) ListenMode() (string, error) { return f.mode, f.modeErr }

// ListenSockets is how many listening sockets the forwarder holds.
func (f *Forwarder) ListenSockets() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.steer != nil {
		return f.steer.sockets()
	}
	return len(f.listeners)
}

// close closes the listening socket. With the epoll engine, the loops
// must have dropped it first.
func (l *listener) close() {
	if l.port != nil { // no socket of its own
		return
	}
	l.closeOnce.Do(func() {
		if l.ln != nil {
			close(l.closed)
			l.ln.Close()
			return
		}
		syscall.Close(l.fd)
	})
}

// startAccepting hands new listeners to the engine.
func (f *Forwarder) startAccepting(ls []*listener) {
	if f.steer != nil {
		ls = f.steer.start(ls)
	}
	if f.loops != nil {
		f.loops.addListeners(ls)
		return
	}
	for _, l := range ls {
		f.acceptWG.Add(1)
		go f.acceptLoop(l)
	}
}

// stopAccepting takes listeners from the engine and closes them. When it
// returns, no connection is accepted on them any more.
func (f *Forwarder) stopAccepting(ls []*listener) {
	if f.steer != nil {
		addrs := ls
		ls = f.steer.stop(addrs)
		defer f.steer.forget(addrs)
	}
	if len(ls) == 0 {
		return
	}
	if f.loops != nil {
		f.loops.removeListeners(ls)
	}
	for _, l := range ls {
		l.close()
	}
}

// Apply makes the running listeners, routes and health checks match snap.
// New listeners are bound before removed ones close; listeners whose
// address stays get the new route atomically and keep their connections.
// Connections to targets gone from the snapshot, and to listeners removed,
// are closed; connections to draining targets get their deadline.
func (f *Forwarder) Apply(snap *snapshot.Snapshot) Result {
	start := time.Now()
	f.connMu.Lock()
	prev := f.plan
	f.connMu.Unlock()
	p := buildPlan(snap, prev)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return Result{Errors: []BindError{{Err: errors.New("forwarder stopped")}}}
	}
	f.seq++
	p.seq = f.seq
	if self := strings.Join(p.selfTargetList(), ", "); self != f.self {
		f.self = self
		if self != "" {
			f.log.Error("targets that are this data plane's own listeners are never used (they would connect to themselves); "+
				"deregister them", "targets", self)
		}
	}
	f.dialer.reset()
	var todo []netip.AddrPort
	for _, addr := range p.order {
		if l, ok := f.listeners[addr]; ok {
			l.route.Store(p.routes[addr])
			continue
		}
		todo = append(todo, addr)
	}
	if f.steer != nil {
		f.steer.probe(todo)
	}
	lns, errs := bindAll(p, todo, f.listen, f.opts.AddAddresses)
	if f.steer != nil {
		f.steer.probed = nil
		errs = append(errs, f.steer.commit(p, lns)...)
	}
	for _, e := range errs {
		if IsFDLimit(e.Err) {
			f.fd.hit(fdOpBind, e)
		}
	}
	added := make([]*listener, 0, len(lns))
	for addr, l := range lns {
		l.route.Store(p.routes[addr])
		f.listeners[addr] = l
		added = append(added, l)
	}
	f.startAccepting(added)
	var removed []*listener
	for addr, l := range f.listeners {
		if _, ok := p.routes[addr]; !ok {
			l.gone.Store(true)
			removed = append(removed, l)
			delete(f.listeners, addr)
		}
	}
	f.stopAccepting(removed)
	f.forgetMetrics(removed, p)
	f.health.apply(p)
	f.reconcileConns(p)
	f.infos = listenerInfos(p, f.listeners)
	f.m.reconcile.Observe(time.Since(start).Seconds())
	return Result{Listeners: f.infos, Errors: errs}
}

// forgetMetrics deletes the connection metrics of the endpoints (or load
// balancers) of removed that no route of p serves any more. Endpoint IDs
// are never reused: without this a serve whose store creates and deletes
// endpoints would keep every one's series, and their memory, for its life.
func (f *Forwarder) forgetMetrics(removed []*listener, p *plan) {
	gone := map[string]bool{}
	for _, l := range removed {
		if r := l.route.Load(); r != nil {
			gone[r.metricName()] = true
		}
	}
	for _, r := range p.routes {
		if len(gone) == 0 {
			return
		}
		delete(gone, r.metricName())
	}
	for name := range gone {
		f.m.conns.DeleteLabelValues(name)
		f.m.active.DeleteLabelValues(name)
		f.m.bytes.DeletePartialMatch(prometheus.Labels{"endpoint": name})
		f.m.rejects.DeletePartialMatch(prometheus.Labels{"endpoint": name})
	}
}

// Listeners describes the running listeners, sorted by address. The
// slice is shared: callers must not modify it.
func (f *Forwarder) Listeners() []ListenerInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.infos == nil {
		return []ListenerInfo{}
	}
	return f.infos
}

// listenerInfos describes the listeners of lns, every one a route of p,
// in p's order (sorted by address text): no sort of its own.
func listenerInfos(p *plan, lns map[netip.AddrPort]*listener) []ListenerInfo {
	out := make([]ListenerInfo, 0, len(lns))
	for _, addr := range p.order {
		if _, ok := lns[addr]; ok {
			r := p.routes[addr]
			out = append(out, ListenerInfo{Address: r.addrText, Endpoint: r.endpointID, LoadBalancer: r.lbName, Kind: r.kind})
		}
	}
	return out
}

// bindAll binds addrs; addresses the kernel says are not local are handed
// to addAddrs in one batch and bound again.
func bindAll(p *plan, addrs []netip.AddrPort, listen func(netip.AddrPort) (*listener, error),
	addAddrs func([]netip.Addr) error) (map[netip.AddrPort]*listener, []BindError) {
	lns := make(map[netip.AddrPort]*listener, len(addrs))
	errs := append([]BindError(nil), p.errs...)
	var retry []netip.AddrPort
	var missing []netip.Addr
	seen := map[netip.Addr]bool{}
	holders := new(sockholder.Finder) // one walk of /proc for the whole batch
	for _, addr := range addrs {
		ln, err := listen(addr)
		switch {
		case err == nil:
			lns[addr] = ln
		case addAddrs != nil && errors.Is(err, syscall.EADDRNOTAVAIL):
			retry = append(retry, addr)
			if !seen[addr.Addr()] {
				seen[addr.Addr()] = true
				missing = append(missing, addr.Addr())
			}
		default:
			errs = append(errs, bindError(p.routes[addr], err, holders))
		}
	}
	if len(retry) == 0 {
		return lns, errs
	}
	addErr := addAddrs(missing)
	for _, addr := range retry {
		ln, err := listen(addr)
		if err != nil {
			if addErr != nil {
				err = fmt.Errorf("%w (%v)", err, addErr)
			}
			errs = append(errs, bindError(p.routes[addr], err, holders))
			continue
		}
		lns[addr] = ln
	}
	return lns, errs
}

// listenNet binds a listener of the goroutine engine.
func listenNet(addr netip.AddrPort) (*listener, error) {
	ln, err := listenTCP(addr)
	if err != nil {
		return nil, err
	}
	return &listener{addr: addr, ln: ln, fd: -1, closed: make(chan struct{})}, nil
}

func listenTCP(addr netip.AddrPort) (*net.TCPListener, error) {
	if !addr.Addr().IsValid() || addr.Addr().IsUnspecified() {
		return nil, fmt.Errorf("refusing to listen on the unspecified address %s", addr)
	}
	// Accepted connections get no TCP keep-alive (see dialFrom).
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", addr.String())
	if err != nil {
		return nil, err
	}
	return ln.(*net.TCPListener), nil
}

// bindError explains a failed bind; for an address in use it names the
// process holding it, found through holders.
func bindError(r *route, err error, holders *sockholder.Finder) BindError {
	be := BindError{Kind: r.kind, Endpoint: r.endpointID, LoadBalancer: r.lbName, Address: r.addr.String(), Err: err}
	var steered steeredError
	switch {
	case errors.As(err, &steered):
		be.Remedy = fmt.Sprintf("port %d in use, held by %s, whose sk_lookup program steers the address: stop it, or serve this store with other ports or addresses",
			r.addr.Port(), steered.holder)
	case errors.Is(err, syscall.EADDRINUSE):
		be.Remedy = fmt.Sprintf("port %d in use, %s: stop it, or serve this store with other ports or addresses",
			r.addr.Port(), holders.Describe("tcp", r.addr))
	case errors.Is(err, syscall.EACCES):
		be.Remedy = "privileged port: run as root or use setcap cap_net_bind_service"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		be.Remedy = "address not local: run as root so plink adds it on lo"
	case IsFDLimit(err):
		be.Remedy = "out of file descriptors (" + nofileLimit() + "): " + fdLimitRemedy
	case errors.Is(err, syscall.E2BIG):
		be.Remedy = fmt.Sprintf("sk_lookup's address map is full (%d addresses and ports): serve fewer, or --listen-mode per-address", skMaxAddrs)
	}
	return be
}

// Check binds every listener snap asks for and closes it at once, to tell
// whether `plink serve` could start. addAddrs may be nil; it is used as
// Options.AddAddresses is by Apply.
func Check(snap *snapshot.Snapshot, addAddrs func([]netip.Addr) error) Result {
	p := buildPlan(snap, nil)
	// Each socket closes at once: at 50,000 endpoints, holding them all
	// would need as many descriptors, which serve in sk_lookup mode does
	// not.
	bindClose := func(addr netip.AddrPort) (*listener, error) {
		l, err := listenNet(addr)
		if err == nil {
			l.close()
		}
		return l, err
	}
	// An address another serve steers with sk_lookup binds, and is taken.
	order := p.order
	var errs []BindError
	if taken := checkSteered(order); len(taken) > 0 {
		order = nil
		for _, addr := range p.order {
			if err, ok := taken[addr]; ok {
				errs = append(errs, bindError(p.routes[addr], err, nil))
				continue
			}
			order = append(order, addr)
		}
	}
	lns, berrs := bindAll(p, order, bindClose, addAddrs)
	res := Result{Listeners: []ListenerInfo{}, Errors: append(errs, berrs...)}
	for _, addr := range p.order {
		if ln, ok := lns[addr]; ok {
			ln.close()
			r := p.routes[addr]
			res.Listeners = append(res.Listeners, ListenerInfo{Address: addr.String(), Endpoint: r.endpointID, LoadBalancer: r.lbName, Kind: r.kind})
		}
	}
	return res
}

// StopAccepting closes every listener; open connections continue.
func (f *Forwarder) StopAccepting() {
	f.mu.Lock()
	f.stopped = true
	f.infos = nil
	all := make([]*listener, 0, len(f.listeners))
	for addr, l := range f.listeners {
		all = append(all, l)
		delete(f.listeners, addr)
	}
	f.stopAccepting(all)
	f.mu.Unlock()
	f.acceptWG.Wait()
}

// Shutdown stops accepting, waits for open connections to finish until ctx
// is done, then closes the rest and stops health checks. It returns
// ctx.Err() when connections had to be cut.
func (f *Forwarder) Shutdown(ctx context.Context) error {
	f.StopAccepting()
	done := make(chan struct{})
	go func() { f.connWG.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		f.abortAll("shutdown")
		<-done
	}
	f.cancel()
	f.health.close()
	if f.loops != nil {
		f.loops.close()
	}
	if f.steer != nil {
		f.steer.close()
	}
	return err
}

// Close stops everything at once.
func (f *Forwarder) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.Shutdown(ctx)
	return nil
}

func (f *Forwarder) abortAll(reason string) {
	f.connMu.Lock()
	defer f.connMu.Unlock()
	for c := range f.conns {
		c.abort(reason)
	}
}

// reconcileConns closes connections whose listener or target is gone and
// sets the deadline of connections to draining targets.
func (f *Forwarder) reconcileConns(p *plan) {
	f.connMu.Lock()
	defer f.connMu.Unlock()
	f.plan = p
	for c := range f.conns {
		f.reconcileConnLocked(c, p)
	}
}

func (f *Forwarder) reconcileConnLocked(c *conn, p *plan) {
	if c.l.gone.Load() {
		c.abort("listener removed")
		return
	}
	t, ok := p.targets[c.target]
	if !ok {
		c.abort("target deregistered")
		return
	}
	if !t.Draining() {
		c.setDrainDeadline(time.Time{})
		return
	}
	delay := 300 * time.Second
	if tg := p.tgs[c.target.tg]; tg != nil {
		delay = tg.DeregistrationDelay
	}
	c.setDrainDeadline(t.DeregisteredAt.Add(delay))
}

// terminateUnhealthy resets connections to a target that just turned
// unhealthy, as NLB's default connection termination does, except on
// listeners that are failing open (no healthy target to move to).
func (f *Forwarder) terminateUnhealthy(key targetKey) {
	view := f.health.current()
	f.connMu.Lock()
	defer f.connMu.Unlock()
	for c := range f.conns {
		if c.target != key {
			continue
		}
		if r := c.l.route.Load(); r.tg != nil && r.tg.ARN == key.tg && r.hasHealthy(view) {
			c.abort("target unhealthy")
		}
	}
}

// track registers a connection and checks it against the newest plan, in
// case a reconcile ran while it was being dialled.
func (f *Forwarder) track(c *conn) {
	f.connMu.Lock()
	defer f.connMu.Unlock()
	f.conns[c] = struct{}{}
	p := c.route.plan
	if f.plan != nil && f.plan.seq > p.seq {
		p = f.plan
	}
	f.reconcileConnLocked(c, p)
}

func (f *Forwarder) untrack(c *conn) {
	f.connMu.Lock()
	delete(f.conns, c)
	c.setDrainDeadline(time.Time{})
	f.connMu.Unlock()
}

//go:build linux

package netstack

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The epoll engine. A few event loops (one per core), each a
// goroutine blocked in epoll_wait on its own epoll instance, run every
// connection from accept to close with raw non-blocking sockets:
//
//   - listening sockets sit in every loop's epoll set (EPOLLEXCLUSIVE, so
//     an arrival wakes one loop); the loop that accepts a connection owns
//     it to the end;
//   - the target is dialled with a non-blocking connect from the load
//     balancer node's address; client and target sockets are registered
//     edge-triggered for reading, and for writing only while a connect is
//     in progress or once a write has found the socket full (see blocked):
//     a fresh socket is writable, and registering EPOLLOUT at once would
//     only report that, costing a loop turn per connection;
//   - bytes go through a loop-wide 16 KiB buffer (nothing is kept per
//     connection unless a write is short); a read that fills the buffer
//     switches that direction to splice(2) through a pipe from the loop's
//     pool, as HAProxy does;
//   - everything that touches a connection's sockets runs on its loop.
//     Other goroutines (reconcile, health, drain timers, shutdown) post a
//     task and wake the loop through an eventfd.
//
// Against the goroutine engine this saves, per connection, two goroutines
// and their stack growth, the netpoller's registration and wake-ups, and
// the getsockname/getpeername/getsockopt calls of Go's net setup: about
// 17 system calls per short connection instead of 30 (see BENCHMARKS.md).

const defaultEngine = EngineEpoll

const (
	// readEvents are a connection socket's events; writeEvents add
	// EPOLLOUT, for a connect in progress or a socket found full.
	readEvents  = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLET
	writeEvents = readEvents | unix.EPOLLOUT
	// pumpBudget bounds the reads one direction does before the loop
	// turns to other connections (it comes back on the next turn).
	pumpBudget = 8
	// maxSplice is the pipe size asked for and the most one splice moves.
	maxSplice = 1 << 20
	// acceptBatch bounds the connections accepted per listener event; a
	// loop accepts no more per event than the events its wake-up brought
	// (see accept).
	acceptBatch = 64
	// acceptPause is how long a listener rests after accept fails for
	// want of file descriptors or memory.
	acceptPause = 100 * time.Millisecond
	// listenBacklog is asked of listen(2); the kernel caps it at somaxconn.
	listenBacklog = 4096
	// yieldEvery is how often a busy loop yields to the Go scheduler, well
	// under sysmon's 10 ms preemption slice (see run).
	yieldEvery = 5 * time.Millisecond
)

// listenRaw binds a listener of the epoll engine: a non-blocking socket
// that Go's netpoller never sees, so arrivals wake only the loops.
func listenRaw(addr netip.AddrPort) (*listener, error) {
	a := addr.Addr()
	if !a.IsValid() || a.IsUnspecified() {
		return nil, fmt.Errorf("refusing to listen on the unspecified address %s", addr)
	}
	fd, err := unix.Socket(family(a), unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	fail := func(op string, err error) (*listener, error) {
		unix.Close(fd)
		return nil, &net.OpError{Op: "listen", Net: "tcp", Addr: net.TCPAddrFromAddrPort(addr), Err: os.NewSyscallError(op, err)}
	}
	// As Go's net package: rebinding right after a restart must work.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail("setsockopt", err)
	}
	if a.Is6() {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return fail("setsockopt", err)
		}
	}
	// Accepted sockets inherit TCP_NODELAY: one call per listener instead
	// of one per connection.
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		return fail("setsockopt", err)
	}
	if err := unix.Bind(fd, sockaddr(addr)); err != nil {
		return fail("bind", err)
	}
	if err := unix.Listen(fd, listenBacklog); err != nil {
		return fail("listen", err)
	}
	return &listener{addr: addr, fd: fd}, nil
}

// loops are the epoll engine's event loops.
type loops struct {
	all       []*loop
	closeOnce sync.Once
}

// spareP gives the Go scheduler one P more than the loops use, once per
// process (unless GOMAXPROCS is set by the user). A loop blocked in
// epoll_wait holds its P in a system call; when every P is so held, Go's
// sysmon takes them back every 20 µs and hands them over, and each
// wake-up then has to find a P again. With one P idle it leaves them be.
// Measured: sysmon's share of plink's CPU 4 % -> 2 %, short connections
// about 5 % faster.
var spareP sync.Once

func newLoops(f *Forwarder) (*loops, error) {
	ls := &loops{}
	n := min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	spareP.Do(func() {
		if os.Getenv("GOMAXPROCS") == "" {
			runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
		}
	})
	for range n {
		lp, err := newLoop(f)
		if err != nil {
			ls.close()
			return nil, err
		}
		ls.all = append(ls.all, lp)
		go lp.run()
	}
	return ls, nil
}

// addListeners makes every loop accept on ls.
func (ls *loops) addListeners(l []*listener) {
	for _, lp := range ls.all {
		lp.post(func() {
			for _, x := range l {
				lp.watchListener(x)
			}
		})
	}
}

// removeListeners makes every loop stop accepting on l, and returns once
// they all have: the sockets may then be closed.
func (ls *loops) removeListeners(l []*listener) {
	var wg sync.WaitGroup
	for _, lp := range ls.all {
		wg.Add(1)
		ok := lp.post(func() {
			defer wg.Done()
			for _, x := range l {
				lp.unwatchListener(x)
			}
		})
		if !ok {
			wg.Done()
		}
	}
	wg.Wait()
}

// close stops the loops. Their connections must have ended.
func (ls *loops) close() {
	ls.closeOnce.Do(func() {
		for _, lp := range ls.all {
			if lp.post(func() { lp.quit = true }) {
				<-lp.done
			}
		}
	})
}

// loop is one event loop. Every field below mu is owned by the loop's
// goroutine.
type loop struct {
	f      *Forwarder
	epfd   int
	wakefd int // eventfd: tasks are waiting
	done   chan struct{}

	mu     sync.Mutex
	tasks  []func()
	closed bool

	spare     []func()
	fds       []fdRef // by descriptor number
	gen       uint32
	conns     map[*lconn]struct{}
	again     []*lconn
	scratch   []byte
	pipes     []*pipe
	paused    []pausedListener
	now       int64 // mono() at the last wake-up
	scanEvery time.Duration
	nextScan  int64
	lastWarn  int64
	quit      bool
	// epoll_wait failures since lastWaitLog (mono()), logged at most
	// every 5 s.
	waitErrs    int
	lastWaitLog int64
	// wakeups counts returns from epoll_wait, for tests that check a
	// loop does not spin.
	wakeups atomic.Int64
	// lastYield is mono() when the loop last yielded to the scheduler.
	lastYield int64
	// busy is the number of events of the current wake-up.
	busy int
}

// fdRef is what a descriptor in the epoll set is. gen tells a live
// registration from a stale event of a descriptor closed and reused
// within one batch of events.
type fdRef struct {
	gen  uint32
	l    *listener
	c    *lconn
	side int
}

type pausedListener struct {
	l     *listener
	until int64
}

type pipe struct{ r, w int }

func newLoop(f *Forwarder) (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wakefd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wakefd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return &loop{
		f: f, epfd: epfd, wakefd: wakefd, done: make(chan struct{}),
		conns:     map[*lconn]struct{}{},
		scratch:   make([]byte, smallCopyBuf),
		scanEvery: min(time.Second, idleTick(f.opts.DialTimeout)),
	}, nil
}

// post runs t on the loop, soon. It reports false when the loop is gone.
func (lp *loop) post(t func()) bool {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	if lp.closed {
		return false
	}
	lp.tasks = append(lp.tasks, t)
	if len(lp.tasks) == 1 {
		one := [8]byte{1}
		unix.Write(lp.wakefd, one[:])
	}
	return true
}

func (lp *loop) run() {
	defer close(lp.done)
	events := make([]unix.EpollEvent, 256)
	for !lp.quit {
		timeout := -1
		switch {
		case len(lp.again) > 0:
			timeout = 0
		case len(lp.conns) > 0 || len(lp.paused) > 0:
			timeout = int(max(0, (lp.nextScan-mono())/1e6+1))
		}
		n, err := unix.EpollWait(lp.epfd, events, timeout)
		lp.wakeups.Add(1)
		if err != nil && err != unix.EINTR {
			lp.waitErrs++
			if now := mono(); now-lp.lastWaitLog >= int64(5*time.Second) {
				lp.lastWaitLog = now
				lp.f.log.Error("epoll_wait failed", "err", err, "failures", lp.waitErrs)
				lp.waitErrs = 0
			}
			time.Sleep(10 * time.Millisecond)
		}
		lp.now = mono()
		lp.busy = n
		for i := range max(n, 0) {
			lp.dispatch(&events[i])
		}
		lp.runAgain()
		if lp.now >= lp.nextScan {
			lp.scan()
		}
		// A busy loop never parks: it returns from epoll_wait on its own P
		// (exitsyscall's fast path), so to the Go scheduler it is one
		// goroutine running for ever. After 10 ms of that, sysmon sends
		// its thread a preemption signal (tgkill, a signal handler, and
		// rt_sigreturn interrupt a system call), takes its P away while it
		// is in epoll_wait and hands the P to another thread; and every
		// such retake sets sysmon back to waking every 20 µs for the next
		// millisecond. Measured under 32 concurrent short connections: a
		// third of plink's context switches were sysmon's, 7.8 % of its
		// CPU. Yielding every yieldEvery starts a new time slice before
		// sysmon looks (with nothing else to run, Gosched returns at once).
		if lp.now-lp.lastYield >= int64(yieldEvery) {
			lp.lastYield = lp.now
			runtime.Gosched()
		}
	}
	lp.mu.Lock()
	lp.closed = true
	lp.mu.Unlock()
	// Tasks posted before closed: someone may be waiting on them. Then
	// the connections, none after a shutdown that waited for them.
	lp.runTasks()
	for lc := range lp.conns {
		lc.close(true)
	}
	for _, p := range lp.pipes {
		unix.Close(p.r)
		unix.Close(p.w)
	}
	unix.Close(lp.epfd)
	unix.Close(lp.wakefd)
}

func (lp *loop) dispatch(ev *unix.EpollEvent) {
	fd := int(ev.Fd)
	if fd == lp.wakefd {
		var b [8]byte
		unix.Read(lp.wakefd, b[:])
		lp.runTasks()
		return
	}
	if fd < 0 || fd >= len(lp.fds) {
		return
	}
	ref := lp.fds[fd]
	if ref.gen == 0 || ref.gen != uint32(ev.Pad) {
		return
	}
	switch {
	case ref.l != nil:
		lp.accept(ref.l)
	case ref.c != nil:
		ref.c.event(ref.side, ev.Events)
	}
}

func (lp *loop) runTasks() {
	lp.mu.Lock()
	tasks := lp.tasks
	lp.tasks = lp.spare[:0]
	lp.mu.Unlock()
	for i, t := range tasks {
		t()
		tasks[i] = nil
	}
	lp.spare = tasks
}

// register adds fd to the epoll set as ref.
func (lp *loop) register(fd int, ref fdRef, events uint32) error {
	lp.gen++
	if lp.gen == 0 {
		lp.gen = 1
	}
	ref.gen = lp.gen
	if fd >= len(lp.fds) {
		lp.fds = append(lp.fds, make([]fdRef, fd+1-len(lp.fds)+64)...)
	}
	ev := unix.EpollEvent{Events: events, Fd: int32(fd), Pad: int32(ref.gen)}
	if err := unix.EpollCtl(lp.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	lp.fds[fd] = ref
	return nil
}

// forget drops fd's registration; closing fd removes it from the set.
func (lp *loop) forget(fd int) {
	if fd >= 0 && fd < len(lp.fds) {
		lp.fds[fd] = fdRef{}
	}
}

// watchListener adds l to the loop's epoll set. When the kernel refuses
// (out of memory, fs.epoll.max_user_watches reached) the listener rests
// and is tried again, rather than staying bound and never accepting.
func (lp *loop) watchListener(l *listener) {
	if err := lp.register(l.fd, fdRef{l: l}, unix.EPOLLIN|unix.EPOLLEXCLUSIVE); err != nil {
		lp.rest(l, mono()+int64(time.Second))
		if now := mono(); now-lp.lastWarn > int64(time.Second) {
			lp.lastWarn = now
			lp.f.log.Error("cannot watch listener; retrying in 1s", "listener", l.addr.String(), "err", err,
				"remedy", "raise fs.epoll.max_user_watches or serve fewer endpoints")
		}
	}
}

func (lp *loop) unwatchListener(l *listener) {
	if l.fd < len(lp.fds) && lp.fds[l.fd].l == l {
		unix.EpollCtl(lp.epfd, unix.EPOLL_CTL_DEL, l.fd, nil)
		lp.forget(l.fd)
	}
	for i, p := range lp.paused {
		if p.l == l {
			lp.paused = append(lp.paused[:i], lp.paused[i+1:]...)
			break
		}
	}
}

// accept takes connections from l: as many as the wake-up brought events,
// up to acceptBatch. A loop woken for one event is not under load, and
// its listener's backlog holds the one connection that woke it: a second
// accept4 would only find EAGAIN (measured at one concurrent client: 1.3
// wasted accept4 per connection). A loop woken for many accepts many. The
// listener is level-triggered, so connections left in the backlog wake a
// loop again at once.
//
// Out of file descriptors (EMFILE, ENFILE), the listener leaves the epoll
// set until the forwarder's shared rest ends (fdPressure): it is level
// triggered and, with the connection still in its backlog, would wake a
// loop at once, forever. While descriptors are short every listener that
// wakes rests the same way without trying accept. The waiting clients
// stay in the kernel's backlog and are accepted when descriptors free up.
// The "reserve descriptor" trick (close a spare, accept, close the
// connection, reopen the spare) is not used: with several loops and the
// Go runtime, DNS and health checks opening descriptors on other threads,
// the freed descriptor is not reliably ours; it would refuse clients that
// a moment later could be served; and a forwarded connection needs a
// second descriptor for its target anyway.
func (lp *loop) accept(l *listener) {
	fdp := lp.f.fd
	if until, ok := fdp.resting(lp.now); ok {
		lp.rest(l, until)
		return
	}
	accepted := false
	for range min(acceptBatch, max(lp.busy, 1)) {
		// syscall's, not x/sys/unix's: the latter asks the socket for its
		// protocol (one more system call) on every accept.
		fd, sa, err := syscall.Accept4(l.fd, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
		switch err {
		case nil:
			if !accepted {
				accepted = true
				fdp.recovered()
			}
			al := l
			if l.steer != nil { // sk_lookup: the address it came to names its listener
				if al = l.steer.lookupFD(fd); al == nil {
					resetFD(fd)
					continue
				}
			}
			lp.open(al, fd, fromSockaddr(sa))
			if until, ok := fdp.resting(lp.now); ok { // the dial found none
				lp.rest(l, until)
				return
			}
			continue
		case unix.EAGAIN:
			return
		case unix.EINTR, unix.ECONNABORTED:
			continue
		case unix.EMFILE, unix.ENFILE:
			lp.rest(l, fdp.hit(fdOpAccept, os.NewSyscallError("accept4", err)))
			return
		}
		// Out of memory and the like: the listener rests too.
		lp.rest(l, lp.now+int64(acceptPause))
		if lp.now-lp.lastWarn > int64(time.Second) {
			lp.lastWarn = lp.now
			lp.f.log.Warn("accept failed", "listener", l.addr.String(), "err", os.NewSyscallError("accept4", err),
				"retry_in", acceptPause)
		}
		return
	}
}

// rest takes l out of the epoll set until the mono() time until; scan
// puts it back.
func (lp *loop) rest(l *listener, until int64) {
	unix.EpollCtl(lp.epfd, unix.EPOLL_CTL_DEL, l.fd, nil)
	lp.forget(l.fd)
	lp.paused = append(lp.paused, pausedListener{l, until})
	lp.nextScan = min(lp.nextScan, until)
}

// open routes and dials a connection accepted on l.
func (lp *loop) open(l *listener, cfd int, src netip.AddrPort) {
	f := lp.f
	c := f.admit(l, src, l.addr)
	if c == nil {
		resetFD(cfd)
		return
	}
	ufd, err := lp.dial(c)
	if err != nil {
		f.dialFailed(c, err)
		resetFD(cfd)
		return
	}
	lc := &lconn{conn: c, lp: lp, cfd: cfd, ufd: ufd, last: lp.now, dialBy: lp.now + int64(f.opts.DialTimeout)}
	lc.flows[0] = flow{src: cfd, dst: ufd, total: &c.up, counter: c.cm.in}
	lc.flows[1] = flow{src: ufd, dst: cfd, total: &c.down, counter: c.cm.out, canWrite: true}
	c.ender = lc
	lp.conns[lc] = struct{}{}
	if t := idleTick(c.idle); t < lp.scanEvery {
		lp.scanEvery = t
		lp.nextScan = min(lp.nextScan, lp.now+int64(t))
	}
	f.connWG.Add(1)
	f.begin(c)
	lc.eager()
	if lc.state == stClosed {
		return
	}
	// Registered after the first exchange: an edge-triggered registration
	// reports what is ready when it is made, so nothing that arrived in
	// between is missed. The target needs EPOLLOUT while its connect is in
	// progress and while the client's first bytes wait for room.
	up := uint32(readEvents)
	if lc.state == stConnecting || len(lc.flows[0].pend) > 0 {
		up, lc.outOn[sideTarget] = writeEvents, true
	}
	err = lp.register(cfd, fdRef{c: lc, side: sideClient}, readEvents)
	if err == nil {
		err = lp.register(ufd, fdRef{c: lc, side: sideTarget}, up)
	}
	if err != nil {
		f.log.Warn("cannot forward connection", "client", src.String(), "endpoint", c.cm.name, "err", err)
		lc.fail("error: " + err.Error())
	}
}

// dial starts a non-blocking connect to c's target from the load balancer
// node's address (the kernel's choice when that address is not local).
func (lp *loop) dial(c *conn) (int, error) {
	dst := c.tap
	fd, err := unix.Socket(family(dst.Addr()), unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, dialError(dst, os.NewSyscallError("socket", err))
	}
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	d := lp.f.dialer
	if src := c.route.source(dst.Addr()).Unmap(); d.usable(src, dst.Addr()) {
		// An old kernel without the option still works, reserving ports.
		unix.SetsockoptInt(fd, unix.IPPROTO_IP, ipBindAddressNoPort, 1)
		switch err := unix.Bind(fd, sockaddr(netip.AddrPortFrom(src, 0))); err {
		case nil:
		case unix.EADDRNOTAVAIL: // stays unbound: connect picks a source
			d.unusable(src, os.NewSyscallError("bind", err))
		default:
			unix.Close(fd)
			return -1, dialError(dst, os.NewSyscallError("bind", err))
		}
	}
	if err := unix.Connect(fd, sockaddr(dst)); err != nil && err != unix.EINPROGRESS {
		unix.Close(fd)
		return -1, dialError(dst, os.NewSyscallError("connect", err))
	}
	return fd, nil
}

func dialError(dst netip.AddrPort, err error) error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(dst), Err: err}
}

// runAgain continues connections that used up their budget.
func (lp *loop) runAgain() {
	again := lp.again
	lp.again = nil
	for _, lc := range again {
		lc.queued = false
		lc.pump(&lc.flows[0])
		lc.pump(&lc.flows[1])
	}
}

// scan ends connections past their dial deadline or idle timeout, and
// watches rested listeners again whose rest is over; it sets when the
// next scan is due.
func (lp *loop) scan() {
	now := lp.now
	for lc := range lp.conns {
		switch {
		case lc.state == stConnecting && now > lc.dialBy:
			lp.f.dialFailed(lc.conn, dialError(lc.tap, fmt.Errorf("no answer within %s", lp.f.opts.DialTimeout)))
			lc.fail("dial timeout")
		case lc.state == stOpen && now-lc.last > int64(lc.idle):
			lc.fail("idle timeout")
		}
	}
	// Listeners whose rest is over are watched again once the list holds
	// only the others: one epoll refuses goes back on it (watchListener).
	var due []*listener
	keep := lp.paused[:0]
	for _, p := range lp.paused {
		if now < p.until {
			keep = append(keep, p)
			continue
		}
		due = append(due, p.l)
	}
	lp.paused = keep
	for _, l := range due {
		lp.watchListener(l)
	}
	// The next scan is due a period from now, or sooner when a listener's
	// rest ends before then.
	lp.nextScan = now + int64(lp.scanEvery)
	for _, p := range lp.paused {
		lp.nextScan = min(lp.nextScan, p.until)
	}
}

func (lp *loop) getPipe() *pipe {
	if n := len(lp.pipes); n > 0 {
		p := lp.pipes[n-1]
		lp.pipes = lp.pipes[:n-1]
		return p
	}
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return nil // stay on read/write
	}
	// Best effort: an unprivileged user past pipe-user-pages-soft gets
	// small pipes, which still work.
	unix.FcntlInt(uintptr(fds[1]), unix.F_SETPIPE_SZ, maxSplice)
	return &pipe{r: fds[0], w: fds[1]}
}

// putPipe keeps an empty pipe for reuse and closes any other.
func (lp *loop) putPipe(p *pipe, empty bool) {
	if empty && len(lp.pipes) < 16 {
		lp.pipes = append(lp.pipes, p)
		return
	}
	unix.Close(p.r)
	unix.Close(p.w)
}

// Connection states and sides.
const (
	stConnecting = iota
	stOpen
	stClosed

	sideClient = 0 // the accepted socket; flows[0] reads it
	sideTarget = 1 // the dialled socket; flows[1] reads it
)

// lconn is a connection of the epoll engine, owned by one loop.
type lconn struct {
	*conn
	lp       *loop
	cfd, ufd int
	state    int
	dialBy   int64   // mono() deadline of the connect
	last     int64   // mono() of the last byte read
	queued   bool    // in lp.again
	headed   bool    // the PROXY v2 header is written or in flows[0].pend
	outOn    [2]bool // by side: its registration has EPOLLOUT
	flows    [2]flow
}

// flow is one direction: flows[0] client to target, flows[1] back.
type flow struct {
	src, dst int
	canRead  bool // src signalled data (or an end) not read yet
	canWrite bool // dst has room, as far as we know
	hup      bool // src signalled its end: read until EOF
	pend     []byte
	head     []byte  // PROXY v2 header for readIn to send before the first bytes
	pbuf     *[]byte // pooled buffer behind pend, if any
	pipe     *pipe   // splice mode once set
	inPipe   int
	eof      bool // src ended; passed on once pend and the pipe are empty
	done     bool
	total    *atomic.Int64
	counter  adder
}

// reset is conn.abort's hook: the loop resets both sides.
func (lc *lconn) reset() {
	lc.lp.post(func() { lc.close(true) })
}

// fail resets the connection for reason, on the loop.
func (lc *lconn) fail(reason string) {
	lc.closeOnce.Do(func() { lc.reason.Store(&reason) })
	lc.close(true)
}

func (lc *lconn) event(side int, ev uint32) {
	if lc.state == stClosed {
		return
	}
	rd, wr := &lc.flows[side], &lc.flows[1-side]
	if ev&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		rd.canRead = true
		if ev&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			rd.hup = true
		}
	}
	if ev&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		wr.canWrite = true
	}
	if lc.state == stConnecting {
		if side != sideTarget {
			return
		}
		if ev&(unix.EPOLLERR|unix.EPOLLHUP) != 0 {
			lc.connectFailed()
			return
		}
		if ev&unix.EPOLLOUT == 0 {
			return
		}
		if !lc.connected() {
			return
		}
	}
	lc.pump(&lc.flows[0])
	lc.pump(&lc.flows[1])
}

func (lc *lconn) connectFailed() {
	err := error(unix.ECONNREFUSED)
	if n, gerr := unix.GetsockoptInt(lc.ufd, unix.SOL_SOCKET, unix.SO_ERROR); gerr == nil && n != 0 {
		err = unix.Errno(n)
	}
	lc.lp.f.dialFailed(lc.conn, dialError(lc.tap, os.NewSyscallError("connect", err)))
	lc.fail("dial failed")
}

// eager starts the first exchange in the wake-up that accepted the
// connection rather than one loop turn later. Over loopback, connect(2)
// has completed the handshake by the time it returns EINPROGRESS, and a
// client that speaks first has usually sent its request by the time it
// is accepted: one read and one write here save a turn of the loop per
// connection, and the target has the request sooner. When the client has
// sent nothing yet (EAGAIN, an end) the events take over as before. When
// the connect is still in progress the write finds EAGAIN and the bytes
// wait in pend, the PROXY v2 header before them; a connect that failed
// fails the write, and counts as the failed dial it is.
func (lc *lconn) eager() {
	fl := &lc.flows[0]
	buf, off := lc.lp.scratch, 0
	if lc.route.tg.ProxyProtocolV2 {
		hdr, err := appendProxyHeader(buf[:0], lc.src, lc.dst, lc.route.endpointID)
		if err != nil {
			return // connected reports it
		}
		off = len(hdr)
	}
	n, err := unix.Read(lc.cfd, buf[off:])
	if got, _ := lc.took(fl, n, err, "read"); !got {
		return
	}
	if n == len(buf)-off {
		fl.canRead = true // more may wait; the registration's event says so too
		fl.pipe = lc.lp.getPipe()
	}
	n += off
	w, err := unix.Write(lc.ufd, buf[:n])
	switch err {
	case nil:
	case unix.EAGAIN, unix.EINTR: // still connecting
		w = 0
	default:
		lc.lp.f.dialFailed(lc.conn, dialError(lc.tap, os.NewSyscallError("connect", err)))
		lc.fail("dial failed")
		return
	}
	lc.headed = true
	if w < n {
		bp := copyBufs.Get().(*[]byte)
		fl.pbuf = bp
		fl.pend = (*bp)[:copy(*bp, buf[w:n])]
	}
	if w > 0 { // the connect is done
		lc.state = stOpen
		fl.canWrite = w == n
	}
}

// connected starts forwarding, PROXY v2 header first when asked for.
func (lc *lconn) connected() bool {
	lc.state = stOpen
	if lc.route.tg.ProxyProtocolV2 && !lc.headed {
		hdr, err := proxyHeader(lc.src, lc.dst, lc.route.endpointID)
		if err != nil {
			lc.lp.f.log.Warn("cannot send PROXY v2 header", "target", lc.tap.String(), "err", err)
			lc.fail("PROXY v2 header: " + err.Error())
			return false
		}
		if lc.flows[0].canRead {
			// The client has sent bytes already: the header goes out with
			// them, in one write and one segment (readIn).
			lc.flows[0].head = hdr
		} else {
			lc.flows[0].pend = hdr
		}
	}
	return true
}

// pump moves what it can of one direction without blocking.
func (lc *lconn) pump(fl *flow) {
	for range pumpBudget {
		if lc.state != stOpen || fl.done {
			return
		}
		if len(fl.pend) > 0 || fl.inPipe > 0 {
			if !fl.canWrite || !lc.flush(fl) {
				return
			}
		}
		if fl.eof {
			lc.finish(fl)
			return
		}
		if !fl.canRead {
			return
		}
		var more bool
		if fl.pipe != nil {
			more = lc.spliceIn(fl)
		} else {
			more = lc.readIn(fl)
		}
		if !more {
			return
		}
	}
	if lc.state == stOpen && !lc.queued {
		lc.queued = true
		lc.lp.again = append(lc.lp.again, lc)
	}
}

// readIn reads src into the loop's buffer and writes it on; what dst does
// not take waits in pend. It reports whether pump should go on.
func (lc *lconn) readIn(fl *flow) bool {
	buf, off := lc.lp.scratch, 0
	if fl.head != nil {
		off = copy(buf, fl.head)
	}
	n, err := unix.Read(fl.src, buf[off:])
	if got, more := lc.took(fl, n, err, "read"); !got {
		if fl.head != nil && lc.state == stOpen {
			// No bytes after all (EAGAIN, EOF): the header goes alone, now
			// (pump flushes it), since the target may be the first to speak.
			fl.pend, fl.head = fl.head, nil
			return true
		}
		return more
	}
	fl.head = nil
	if n < len(buf)-off && !fl.hup {
		// The socket is empty: the next arrival is a new edge. (An end
		// that arrived with these bytes was flagged as hup.)
		fl.canRead = false
	}
	if n == len(buf)-off {
		fl.pipe = lc.lp.getPipe() // bulk data: splice from now on
	}
	n += off
	w, ok := lc.write(fl, buf[:n])
	if !ok {
		return false
	}
	if w < n {
		bp := copyBufs.Get().(*[]byte)
		fl.pbuf = bp
		fl.pend = (*bp)[:copy(*bp, buf[w:n])]
	}
	return true
}

// write writes b to dst until done or dst is full.
func (lc *lconn) write(fl *flow, b []byte) (int, bool) {
	w := 0
	for w < len(b) {
		n, err := unix.Write(fl.dst, b[w:])
		if n > 0 {
			w += n
		}
		switch {
		case err == nil && n > 0:
		case err == unix.EINTR:
		case err == unix.EAGAIN || err == nil:
			return w, lc.blocked(fl)
		default:
			lc.fail("error: write: " + err.Error())
			return w, false
		}
	}
	return w, true
}

// blocked notes that fl's destination is full. Its registration gains
// EPOLLOUT, once per socket, so that room arriving wakes the loop (a
// modification reports what is ready when it is made). It reports false
// when the kernel refuses, and the connection is reset: without the event
// the bytes would wait for ever.
func (lc *lconn) blocked(fl *flow) bool {
	fl.canWrite = false
	side := sideTarget
	if fl.dst == lc.cfd {
		side = sideClient
	}
	if lc.outOn[side] {
		return true
	}
	lc.outOn[side] = true
	ev := unix.EpollEvent{Events: writeEvents, Fd: int32(fl.dst), Pad: int32(lc.lp.fds[fl.dst].gen)}
	if err := unix.EpollCtl(lc.lp.epfd, unix.EPOLL_CTL_MOD, fl.dst, &ev); err != nil {
		lc.fail("error: epoll_ctl: " + err.Error())
		return false
	}
	return true
}

// flush writes pend, then the pipe. It reports whether both are empty.
func (lc *lconn) flush(fl *flow) bool {
	if len(fl.pend) > 0 {
		w, ok := lc.write(fl, fl.pend)
		fl.pend = fl.pend[w:]
		if !ok || len(fl.pend) > 0 {
			return false
		}
		fl.pend = nil
		if fl.pbuf != nil {
			copyBufs.Put(fl.pbuf)
			fl.pbuf = nil
		}
	}
	for fl.inPipe > 0 {
		n, err := unix.Splice(fl.pipe.r, nil, fl.dst, nil, fl.inPipe, unix.SPLICE_F_NONBLOCK|unix.SPLICE_F_MOVE)
		if n > 0 {
			fl.inPipe -= int(n)
		}
		switch {
		case err == nil && n > 0:
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			lc.blocked(fl)
			return false
		default:
			if err == nil {
				err = errors.New("splice moved nothing")
			}
			lc.fail("error: splice: " + err.Error())
			return false
		}
	}
	return true
}

// spliceIn moves what src has into the (empty) pipe.
func (lc *lconn) spliceIn(fl *flow) bool {
	n, err := unix.Splice(fl.src, nil, fl.pipe.w, nil, maxSplice, unix.SPLICE_F_NONBLOCK|unix.SPLICE_F_MOVE)
	if got, more := lc.took(fl, int(n), err, "splice"); !got {
		return more
	}
	fl.inPipe = int(n)
	return true
}

// took sorts out one read of src (read or splice): got reports that n
// bytes arrived (counted here); when none did, more tells pump whether to
// go on (EINTR, EOF) or stop (EAGAIN, an error, which resets the
// connection).
func (lc *lconn) took(fl *flow, n int, err error, op string) (got, more bool) {
	switch {
	case err == unix.EAGAIN:
		fl.canRead = false
		return false, false
	case err == unix.EINTR:
		return false, true
	case err != nil:
		lc.fail("error: " + op + ": " + err.Error())
		return false, false
	case n == 0:
		fl.eof = true
		return false, true
	}
	fl.total.Add(int64(n))
	fl.counter.Add(float64(n))
	lc.last = lc.lp.now
	return true, true
}

// finish ends a direction whose source ended and whose bytes are out:
// the FIN goes on (half-close), or, when the other direction has ended
// too, both sockets close (close sends it).
func (lc *lconn) finish(fl *flow) {
	fl.done = true
	if fl.pipe != nil {
		lc.lp.putPipe(fl.pipe, true)
		fl.pipe = nil
	}
	other := &lc.flows[0]
	if other == fl {
		other = &lc.flows[1]
	}
	if other.done {
		lc.close(false)
		return
	}
	unix.Shutdown(fl.dst, unix.SHUT_WR)
}

// close closes both sockets, with RST when reset, and ends the connection.
func (lc *lconn) close(reset bool) {
	if lc.state == stClosed {
		return
	}
	lc.state = stClosed
	lp := lc.lp
	lp.forget(lc.cfd)
	lp.forget(lc.ufd)
	if reset {
		resetFD(lc.cfd)
		resetFD(lc.ufd)
	} else {
		unix.Close(lc.cfd)
		unix.Close(lc.ufd)
	}
	for i := range lc.flows {
		fl := &lc.flows[i]
		if fl.pbuf != nil {
			copyBufs.Put(fl.pbuf)
			fl.pbuf, fl.pend = nil, nil
		}
		if fl.pipe != nil {
			lp.putPipe(fl.pipe, fl.inPipe == 0)
			fl.pipe = nil
		}
	}
	delete(lp.conns, lc)
	lp.f.end(lc.conn)
	lp.f.connWG.Done()
}

// resetFD closes a TCP socket with RST.
func resetFD(fd int) {
	unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	unix.Close(fd)
}

func family(a netip.Addr) int {
	if a.Unmap().Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

func sockaddr(ap netip.AddrPort) unix.Sockaddr {
	a := ap.Addr().Unmap()
	if a.Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
}

func fromSockaddr(sa syscall.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *syscall.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

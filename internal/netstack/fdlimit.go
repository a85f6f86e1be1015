package netstack

import (
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ErrFDLimit matches (errors.Is) a BindError of a listener that could not
// get a socket because the process or the system ran out of file
// descriptors (EMFILE, ENFILE). serve counts them to fail loudly instead
// of serving part of its state. errors.Is(err, syscall.EMFILE) works on
// the same errors too.
var ErrFDLimit = errors.New("out of file descriptors")

// IsFDLimit reports whether err comes from running out of file
// descriptors: EMFILE (the process's RLIMIT_NOFILE) or ENFILE (the
// system's file-max).
func IsFDLimit(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// fdLimitRemedy is what the log lines and bind errors suggest.
const fdLimitRemedy = "raise the open files limit (ulimit -n, systemd LimitNOFILE=, " +
	"or fs.file-max for ENFILE) or serve fewer endpoints"

// Operations that can run out of file descriptors, the "op" label of
// plink_forwarder_fd_exhausted_total.
const (
	fdOpAccept = "accept"
	fdOpDial   = "dial"
	fdOpHealth = "health-check"
	fdOpBind   = "bind"
)

// Backing off when out of file descriptors: accepting rests for
// fdBackoffMin, doubling on every failure in a row up to fdBackoffMax.
// While it rests, new connections wait in the kernel's backlog (which
// completes their handshakes; once full, clients retry their SYNs) and
// are accepted once descriptors free up.
const (
	fdBackoffMin = 5 * time.Millisecond
	fdBackoffMax = time.Second
	// fdLogEvery is the least time between two ERROR lines about it.
	fdLogEvery = 5 * time.Second
)

// epoch anchors mono, a cheap monotonic clock (nanoseconds since epoch).
var epoch = time.Now()

func mono() int64 { return int64(time.Since(epoch)) }

// fdPressure is the forwarder's state while file descriptors run out,
// shared by every listener and loop of both engines: running out is a
// property of the process (EMFILE) or the host (ENFILE), not of one
// listener, so once one accept fails every listener rests until the
// same deadline instead of each finding out on its own.
type fdPressure struct {
	log     *slog.Logger
	counter *prometheus.CounterVec
	// until is the mono() time before which accepting rests; 0 when
	// descriptors are not short.
	until atomic.Int64

	mu      sync.Mutex
	backoff time.Duration
	lastLog int64            // mono() of the last ERROR line
	counts  map[string]int64 // by op since the last ERROR line
}

func newFDPressure(log *slog.Logger, counter *prometheus.CounterVec) *fdPressure {
	return &fdPressure{log: log, counter: counter, counts: map[string]int64{}, lastLog: -int64(fdLogEvery)}
}

// hit records that op failed with err for want of descriptors, makes
// accepting rest (longer each time in a row), logs at most once per
// fdLogEvery, and returns the mono() time until which accepting rests.
func (p *fdPressure) hit(op string, err error) int64 {
	p.counter.WithLabelValues(op).Inc()
	now := mono()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[op]++
	until := p.until.Load()
	if until <= now {
		p.backoff = min(max(2*p.backoff, fdBackoffMin), fdBackoffMax)
		until = now + int64(p.backoff)
		p.until.Store(until)
	}
	if now-p.lastLog >= int64(fdLogEvery) {
		p.lastLog = now
		args := []any{"err", err, "limit", nofileLimit(), "remedy", fdLimitRemedy,
			"accepting_resumes_in", time.Duration(until - now)}
		for _, op := range []string{fdOpAccept, fdOpDial, fdOpHealth, fdOpBind} {
			if n := p.counts[op]; n > 0 {
				args = append(args, op+"_failures", n)
			}
		}
		clear(p.counts)
		p.log.Error("out of file descriptors: new connections wait in the backlog or are refused", args...)
	}
	return until
}

// resting reports whether accepting should wait, and until when (mono()).
func (p *fdPressure) resting(now int64) (int64, bool) {
	until := p.until.Load()
	return until, until > now
}

// recovered notes a successful accept: the next shortage starts again
// with the shortest rest. Cheap when nothing was short.
func (p *fdPressure) recovered() {
	if p.until.Load() == 0 {
		return
	}
	p.mu.Lock()
	if p.until.Load() <= mono() {
		p.until.Store(0)
		p.backoff = 0
	}
	p.mu.Unlock()
}

// nofileLimit describes RLIMIT_NOFILE for a log line.
func nofileLimit() string {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return "unknown"
	}
	n := func(v uint64) string {
		if v == ^uint64(0) {
			return "unlimited"
		}
		return strconv.FormatUint(v, 10)
	}
	return "RLIMIT_NOFILE soft " + n(rl.Cur) + ", hard " + n(rl.Max)
}

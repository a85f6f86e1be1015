package netstack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// LocalAddrs puts addresses the kernel does not consider local on the
// loopback interface with iproute2 (`ip addr add ADDR/32 dev lo` for IPv4
// outside 127/8, `ip -6 addr add ADDR/128 dev lo nodad` for IPv6), remembers
// what it added and removes exactly that on Close. It needs root
// (CAP_NET_ADMIN).
//
// With a StateFile it also records every address before adding it, so a
// process killed before Close leaves a list behind: RemoveStale, at the
// next start, removes what is on it. Only one process may use a state
// file at a time (plink serve holds the store's lock).
type LocalAddrs struct {
	log *slog.Logger
	// IP is the ip(8) binary; "ip" from PATH when empty.
	IP string
	// Device is the interface the addresses go on; lo when empty. A serve
	// of some zones on one of several hosts puts them on the interface the
	// other hosts reach it by (plink serve --interface), so that they
	// answer ARP there as well as to routed traffic.
	Device string
	// StateFile, when set, lists the addresses this LocalAddrs may have
	// put on lo, one per line; it is written before they are added.
	StateFile string

	mu    sync.Mutex
	added []netip.Addr

	// isLocal is IsLocal; tests replace it.
	isLocal func(netip.Addr) bool
}

// NewLocalAddrs returns an empty LocalAddrs.
func NewLocalAddrs(log *slog.Logger) *LocalAddrs {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &LocalAddrs{log: log, isLocal: IsLocal}
}

// IsLocal reports whether a socket can bind addr now.
func IsLocal(addr netip.Addr) bool {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	if err != nil {
		return !errors.Is(err, syscall.EADDRNOTAVAIL)
	}
	c.Close()
	return true
}

// Ensure adds addr on lo unless it is already local.
func (l *LocalAddrs) Ensure(addr netip.Addr) error {
	if IsLocal(addr) {
		return nil
	}
	return l.Add(addr)
}

// Add puts addr on lo.
func (l *LocalAddrs) Add(addr netip.Addr) error { return l.AddAll([]netip.Addr{addr}) }

// AddAll puts addrs on lo with one `ip -batch` run, so a reconcile of many
// IPv6 endpoints does not fork once per address. Addresses in 127/8 and
// addresses already local are skipped (and, not being ours, are not removed
// by Close).
func (l *LocalAddrs) AddAll(addrs []netip.Addr) error {
	var todo []netip.Addr
	var batch strings.Builder
	for _, a := range addrs {
		a = a.Unmap()
		if !a.IsValid() || (a.Is4() && a.IsLoopback()) || IsLocal(a) {
			continue
		}
		todo = append(todo, a)
		batch.WriteString(strings.Join(addArgs(a, "add", l.dev()), " ") + "\n")
		if a.Is6() {
			// The kernel installs an IPv6 address's local route
			// asynchronously (and, under load, sometimes late): install it
			// in the same batch so the address is reachable at once.
			batch.WriteString("route replace local " + a.String() + " dev " + l.dev() + " table local\n")
		}
	}
	if len(todo) == 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writeStateLocked(append(append([]netip.Addr(nil), l.added...), todo...)); err != nil {
		return fmt.Errorf("adding %d addresses on lo: not recording them, not adding them: %w", len(todo), err)
	}
	out, err := l.ip(batch.String(), "-force", "-batch", "-")
	var missing []string
	for _, a := range todo {
		if !IsLocal(a) {
			missing = append(missing, a.String())
			continue
		}
		l.added = append(l.added, a) // ours, to remove on Close, even if not routable
		if l.waitRoutable(a) {
			l.log.Info("added address", "address", a, "device", l.dev())
		} else {
			missing = append(missing, a.String())
		}
	}
	if serr := l.writeStateLocked(l.added); serr != nil {
		l.log.Warn("recording the addresses added on lo", "state_file", l.StateFile, "err", serr)
	}
	if len(missing) > 0 {
		return fmt.Errorf("adding %s on %s: %v: %s", strings.Join(missing, ", "), l.dev(), err, strings.TrimSpace(out))
	}
	return nil
}

// waitRoutable waits (at most 2 s) until the kernel routes to a, which
// for IPv6 happens asynchronously after `ip addr add`; when the local route
// does not come, it is added by hand.
func (l *LocalAddrs) waitRoutable(a netip.Addr) bool {
	deadline := time.Now().Add(2 * time.Second)
	fixed := false
	for {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, 9)))
		if err == nil {
			c.Close()
			return true
		}
		if !fixed && time.Until(deadline) < time.Second {
			fixed = true
			l.log.Debug("no local route after adding the address; adding it", "address", a)
			l.ip("", "route", "replace", "local", a.String(), "dev", l.dev(), "table", "local")
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Added lists the addresses Add put on lo.
func (l *LocalAddrs) Added() []netip.Addr {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]netip.Addr(nil), l.added...)
}

// Close removes every address Add put on lo (and any local route it had
// to add by hand), in one `ip -batch` run.
func (l *LocalAddrs) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.added) == 0 {
		return nil
	}
	err := l.removeLocked(l.added, "removed address")
	l.added = nil
	return err
}

// removeLocked deletes addrs (and their local routes) from lo in one
// `ip -batch` run, then rewrites the state file with those still there.
func (l *LocalAddrs) removeLocked(addrs []netip.Addr, logMsg string) error {
	var batch strings.Builder
	for _, a := range addrs {
		batch.WriteString(strings.Join(addArgs(a, "del", l.dev()), " ") + "\n")
		batch.WriteString("route del local " + a.String() + " dev " + l.dev() + " table local\n")
	}
	out, err := l.ip(batch.String(), "-force", "-batch", "-")
	var left []string
	var kept []netip.Addr
	for _, a := range addrs {
		if l.isLocal(a) {
			left = append(left, a.String())
			kept = append(kept, a)
		} else {
			l.log.Info(logMsg, "address", a, "device", l.dev())
		}
	}
	if serr := l.writeStateLocked(kept); serr != nil {
		l.log.Warn("recording the addresses left on lo", "state_file", l.StateFile, "err", serr)
	}
	if len(left) > 0 {
		return fmt.Errorf("removing %s from %s: %v: %s", strings.Join(left, ", "), l.dev(), err, strings.TrimSpace(out))
	}
	return nil
}

// RemoveStale removes from lo the addresses the state file lists (put
// there by an earlier process that was killed before its Close) that are
// still local, and empties the file. Call it before the first AddAll.
func (l *LocalAddrs) RemoveStale() error {
	if l.StateFile == "" {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	recorded, err := readState(l.StateFile)
	if err != nil {
		return err
	}
	var stale []netip.Addr
	for _, a := range recorded {
		// AddAll never adds loopback addresses: a list naming them was
		// not written by it.
		if !a.IsLoopback() && l.isLocal(a) {
			stale = append(stale, a)
		}
	}
	if len(stale) == 0 {
		return l.writeStateLocked(nil)
	}
	l.log.Info("removing addresses an earlier plink serve left", "count", len(stale), "device", l.dev(), "state_file", l.StateFile)
	return l.removeLocked(stale, "removed stale address")
}

// writeStateLocked replaces the state file with addrs (removes it when
// there are none), through a temporary file and a rename.
func (l *LocalAddrs) writeStateLocked(addrs []netip.Addr) error {
	if l.StateFile == "" {
		return nil
	}
	if len(addrs) == 0 {
		if err := os.Remove(l.StateFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	var b strings.Builder
	b.WriteString("# addresses plink serve put on lo; a later plink serve on this store removes them\n")
	for _, a := range addrs {
		b.WriteString(a.String() + "\n")
	}
	tmp, err := os.CreateTemp(filepath.Dir(l.StateFile), "."+filepath.Base(l.StateFile)+".*")
	if err != nil {
		return err
	}
	_, err = tmp.WriteString(b.String())
	if serr := tmp.Sync(); err == nil {
		err = serr
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), l.StateFile)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// readState parses a state file; a missing file lists nothing. Lines that
// are not addresses are ignored.
// The file must be a regular file of this user that no one else may
// write: root removes what it lists from lo.
func readState(path string) ([]netip.Addr, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !fi.Mode().IsRegular() || fi.Mode().Perm()&0o022 != 0 ||
		(ok && int(st.Uid) != os.Geteuid()) {
		return nil, fmt.Errorf("%s is not a regular file that only this user may write (%v): ignoring it", path, fi.Mode())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, line := range strings.Split(string(b), "\n") {
		if a, err := netip.ParseAddr(strings.TrimSpace(line)); err == nil {
			out = append(out, a.Unmap())
		}
	}
	return out, nil
}

// dev is the interface the addresses go on.
func (l *LocalAddrs) dev() string {
	if l.Device == "" {
		return "lo"
	}
	return l.Device
}

func addArgs(addr netip.Addr, verb, dev string) []string {
	if addr.Is4() {
		return []string{"addr", verb, addr.String() + "/32", "dev", dev}
	}
	args := []string{"addr", verb, addr.String() + "/128", "dev", dev} // ip infers -6
	if verb == "add" {
		args = append(args, "nodad")
	}
	return args
}

func (l *LocalAddrs) ip(stdin string, args ...string) (string, error) {
	bin := l.IP
	if bin == "" {
		bin = "ip"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

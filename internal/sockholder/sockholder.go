// Package sockholder tells who holds a local address: given a TCP or UDP
// address that could not be bound, it finds the socket in /proc/net and
// the process with that socket open, so an "address already in use"
// error can name the process to stop. It reads /proc only (Linux); where
// that is missing or unreadable it says it cannot tell.
package sockholder

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Holder is a process that has a socket open.
type Holder struct {
	PID  int
	Comm string // the process's command name (/proc/PID/comm)
}

func (h Holder) String() string {
	if h.Comm == "" {
		return fmt.Sprintf("pid %d", h.PID)
	}
	return fmt.Sprintf("pid %d (%s)", h.PID, h.Comm)
}

// Finder looks up holders. It reads every process's descriptors once, on
// the first lookup that needs them, so a burst of failed binds (all the
// listeners of a second serve) costs one walk of /proc. Use a new Finder
// for each burst: sockets come and go. The zero value is ready to use.
type Finder struct {
	// Root is the proc file system; "" means /proc. Tests point it at a
	// fake tree.
	Root string

	once   sync.Once
	owners map[uint64]int // socket inode -> pid
}

// Describe is Finder.Describe with a new Finder.
func Describe(network string, ap netip.AddrPort) string {
	return new(Finder).Describe(network, ap)
}

// Describe says who holds ap for network ("tcp" or "udp"): "held by pid
// 1234 (plink)", or "held by another process" when the socket or its
// process cannot be found (it belongs to another user, or /proc is not
// there).
func (f *Finder) Describe(network string, ap netip.AddrPort) string {
	if h, ok := f.Find(network, ap); ok {
		return "held by " + h.String()
	}
	return "held by another process"
}

// Find returns the process holding a socket that keeps ap from being
// bound for network ("tcp" or "udp"): one bound to the same address and
// port, or to the wildcard address with that port. For TCP a listening
// socket is preferred over a connected one.
func (f *Finder) Find(network string, ap netip.AddrPort) (Holder, bool) {
	inodes := f.socketInodes(network, ap)
	if len(inodes) == 0 {
		return Holder{}, false
	}
	f.once.Do(f.readOwners)
	for _, ino := range inodes {
		if pid, ok := f.owners[ino]; ok {
			return Holder{PID: pid, Comm: f.comm(pid)}, true
		}
	}
	return Holder{}, false
}

func (f *Finder) root() string {
	if f.Root == "" {
		return "/proc"
	}
	return f.Root
}

// socketInodes lists the inodes of the sockets in /proc/net that clash
// with ap, listening ones first.
func (f *Finder) socketInodes(network string, ap netip.AddrPort) []uint64 {
	files := []string{network, network + "6"}
	var first, rest []uint64
	for _, name := range files {
		for _, s := range readTable(filepath.Join(f.root(), "net", name)) {
			if s.inode == 0 || s.local.Port() != ap.Port() || !clashes(s.local.Addr(), ap.Addr()) {
				continue
			}
			// TCP state 0A is LISTEN; UDP sockets have no listen state.
			if network == "udp" || s.state == 0x0A {
				first = append(first, s.inode)
			} else {
				rest = append(rest, s.inode)
			}
		}
	}
	return append(first, rest...)
}

// clashes reports whether a socket bound to have keeps want from being
// bound on the same port: same address, or either is a wildcard of a
// family that covers the other (a dual-stack [::] covers IPv4 too).
func clashes(have, want netip.Addr) bool {
	have, want = have.Unmap(), want.Unmap()
	switch {
	case have == want:
		return true
	case have.IsUnspecified():
		return have.Is6() || want.Is4()
	case want.IsUnspecified():
		return want.Is6() || have.Is4()
	}
	return false
}

type sock struct {
	local netip.AddrPort
	state int
	inode uint64
}

// readTable parses /proc/net/{tcp,tcp6,udp,udp6}; a missing or
// unreadable file is an empty table.
func readTable(path string) []sock {
	fh, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer fh.Close()
	var out []sock
	sc := bufio.NewScanner(fh)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 {
			continue
		}
		local, ok := parseAddr(fields[1])
		if !ok {
			continue
		}
		state, _ := strconv.ParseInt(fields[3], 16, 32)
		inode, _ := strconv.ParseUint(fields[9], 10, 64)
		out = append(out, sock{local: local, state: int(state), inode: inode})
	}
	return out
}

// parseAddr reads "0100007F:1F90": the address as 32-bit words in the
// kernel's (little-endian on the machines plink runs on) byte order, then
// the port in hex.
func parseAddr(s string) (netip.AddrPort, bool) {
	hexAddr, hexPort, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, false
	}
	raw, err := hex.DecodeString(hexAddr)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, false
	}
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return netip.AddrPort{}, false
	}
	b := make([]byte, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.BigEndian.PutUint32(b[i:], binary.LittleEndian.Uint32(raw[i:]))
	}
	a, _ := netip.AddrFromSlice(b)
	return netip.AddrPortFrom(a.Unmap(), uint16(port)), true
}

// readOwners maps socket inodes to the processes that have them open.
// Processes of other users are skipped silently: their fd directories are
// not readable without privileges.
func (f *Finder) readOwners() {
	f.owners = map[uint64]int{}
	procs, err := os.ReadDir(f.root())
	if err != nil {
		return
	}
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		fdDir := filepath.Join(f.root(), p.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil || !strings.HasPrefix(link, "socket:[") {
				continue
			}
			ino, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]"), 10, 64)
			if err == nil {
				if _, seen := f.owners[ino]; !seen {
					f.owners[ino] = pid
				}
			}
		}
	}
}

func (f *Finder) comm(pid int) string {
	b, err := os.ReadFile(filepath.Join(f.root(), strconv.Itoa(pid), "comm"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

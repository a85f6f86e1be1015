package netstack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/plink-dev/plink/internal/sockholder"
)

// The sk_lookup listening mode: an eBPF program of type
// BPF_PROG_TYPE_SK_LOOKUP, attached to serve's network namespace, looks up
// the destination (family, address, port) of every TCP connection being
// set up in a hash map of endpoint and node addresses; for one it knows it
// hands the connection to the listening socket of that family and port,
// held in a SOCKMAP. Addresses not in the map go on to the kernel's usual
// lookup (no listener: refused, as always). So 50,000 endpoint addresses
// on port 443 cost one descriptor instead of 50,000. The link is held by a
// descriptor, never pinned: it goes when serve exits, however it exits.
// Several serves in one namespace each attach their own program and maps;
// a program that does not know an address leaves the choice to the next.

// skSlots is the size of the socket map: one slot per family and port.
const skSlots = 2 << 16

// skKey is a key of the address map, as the program builds it on its
// stack: family and port (host order) from the context, then the local
// address, an IPv4 one in the first four bytes.
type skKey struct {
	Family uint32
	Port   uint32
	IP     [16]byte
}

func skKeyOf(ap netip.AddrPort) skKey {
	a := ap.Addr().Unmap()
	k := skKey{Family: unix.AF_INET6, Port: uint32(ap.Port())}
	if a.Is4() {
		k.Family = unix.AF_INET
		v4 := a.As4()
		copy(k.IP[:], v4[:])
	} else {
		k.IP = a.As16()
	}
	return k
}

// skSlot is the socket map slot of ap's family and port.
func skSlot(ap netip.AddrPort) uint32 {
	s := uint32(ap.Port())
	if !ap.Addr().Unmap().Is4() {
		s += 1 << 16
	}
	return s
}

func (k skKey) MarshalBinary() ([]byte, error) {
	b := make([]byte, 24)
	binary.NativeEndian.PutUint32(b[0:], k.Family)
	binary.NativeEndian.PutUint32(b[4:], k.Port)
	copy(b[8:], k.IP[:])
	return b, nil
}

// Offsets in struct bpf_sk_lookup (include/uapi/linux/bpf.h).
const (
	skCtxFamily    = 8
	skCtxProtocol  = 12
	skCtxLocalIP4  = 40
	skCtxLocalIP6  = 44
	skCtxLocalPort = 60
)

// skProgram is the steering program.
func skProgram(addrs, socks *ebpf.Map) asm.Instructions {
	const key = -24 // skKey on the stack
	const slot = -28
	return asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.LoadMem(asm.R2, asm.R6, skCtxProtocol, asm.Word),
		asm.JNE.Imm(asm.R2, unix.IPPROTO_TCP, "pass"),
		asm.LoadMem(asm.R2, asm.R6, skCtxFamily, asm.Word),
		asm.StoreMem(asm.RFP, key, asm.R2, asm.Word),
		asm.LoadMem(asm.R3, asm.R6, skCtxLocalPort, asm.Word),
		asm.StoreMem(asm.RFP, key+4, asm.R3, asm.Word),
		asm.JEq.Imm(asm.R2, unix.AF_INET6, "v6"),
		asm.JNE.Imm(asm.R2, unix.AF_INET, "pass"),
		asm.LoadMem(asm.R3, asm.R6, skCtxLocalIP4, asm.Word),
		asm.StoreMem(asm.RFP, key+8, asm.R3, asm.Word),
		asm.StoreImm(asm.RFP, key+12, 0, asm.Word),
		asm.StoreImm(asm.RFP, key+16, 0, asm.Word),
		asm.StoreImm(asm.RFP, key+20, 0, asm.Word),
		asm.Ja.Label("lookup"),
		asm.LoadMem(asm.R3, asm.R6, skCtxLocalIP6, asm.Word).WithSymbol("v6"),
		asm.StoreMem(asm.RFP, key+8, asm.R3, asm.Word),
		asm.LoadMem(asm.R3, asm.R6, skCtxLocalIP6+4, asm.Word),
		asm.StoreMem(asm.RFP, key+12, asm.R3, asm.Word),
		asm.LoadMem(asm.R3, asm.R6, skCtxLocalIP6+8, asm.Word),
		asm.StoreMem(asm.RFP, key+16, asm.R3, asm.Word),
		asm.LoadMem(asm.R3, asm.R6, skCtxLocalIP6+12, asm.Word),
		asm.StoreMem(asm.RFP, key+20, asm.R3, asm.Word),
		// slot := addrs[key]; absent: the kernel's usual lookup.
		asm.LoadMapPtr(asm.R1, addrs.FD()).WithSymbol("lookup"),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, key),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "pass"),
		asm.LoadMem(asm.R2, asm.R0, 0, asm.Word),
		asm.StoreMem(asm.RFP, slot, asm.R2, asm.Word),
		// sk := socks[slot]; assign it, release the reference.
		asm.LoadMapPtr(asm.R1, socks.FD()),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, slot),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "pass"),
		asm.Mov.Reg(asm.R7, asm.R0),
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.Mov.Reg(asm.R2, asm.R7),
		asm.Mov.Imm(asm.R3, 0),
		asm.FnSkAssign.Call(),
		asm.Mov.Reg(asm.R1, asm.R7),
		asm.FnSkRelease.Call(),
		asm.Mov.Imm(asm.R0, 1).WithSymbol("pass"), // SK_PASS
		asm.Return(),
	}
}

// skLookup is one attached steering program and its maps.
type skLookup struct {
	addrs, socks *ebpf.Map
	prog         *ebpf.Program
	link         link.Link
	closeOnce    sync.Once
}

// newSKLookup loads the program and attaches it to the calling thread's
// network namespace (serve's: Go does not move threads between them).
func newSKLookup() (*skLookup, error) {
	s := &skLookup{}
	var err error
	fail := func(what string, err error) (*skLookup, error) {
		s.close()
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, fmt.Errorf("%s: %w (needs root, or CAP_BPF and CAP_NET_ADMIN)", what, err)
		}
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	s.addrs, err = ebpf.NewMap(&ebpf.MapSpec{Name: addrMapPrefix + strconv.Itoa(os.Getpid()), Type: ebpf.Hash, KeySize: 24, ValueSize: 4,
		MaxEntries: skMaxAddrs, Flags: unix.BPF_F_NO_PREALLOC})
	if err != nil {
		return fail("creating the address map", err)
	}
	s.socks, err = ebpf.NewMap(&ebpf.MapSpec{Name: "plink_socks", Type: ebpf.SockMap, KeySize: 4, ValueSize: 8,
		MaxEntries: skSlots})
	if err != nil {
		return fail("creating the socket map", err)
	}
	s.prog, err = ebpf.NewProgram(&ebpf.ProgramSpec{Name: "plink_steer", Type: ebpf.SkLookup,
		AttachType: ebpf.AttachSkLookup, License: "Dual MIT/GPL", Instructions: skProgram(s.addrs, s.socks)})
	if err != nil {
		return fail("loading the sk_lookup program", err)
	}
	ns, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return fail("opening the network namespace", err)
	}
	defer ns.Close()
	s.link, err = link.AttachNetNs(int(ns.Fd()), s.prog)
	if err != nil {
		return fail("attaching the sk_lookup program to the network namespace", err)
	}
	return s, nil
}

// addrMapPrefix starts the name of a serve's address map, which ends with
// its PID ("plink_a4242": a BPF object name has 15 characters), so that
// another serve can tell who steers an address it wants (othersSteering).
const addrMapPrefix = "plink_a"

// othersSteering returns those of addrs that the sk_lookup program of
// another plink serve in this network namespace steers, with the error
// their bind gets. It looks each address up in the other serves' address
// maps (found by name among the BPF maps of the host); where maps cannot
// be listed (no CAP_SYS_ADMIN) it finds none.
func (s *skLookup) othersSteering(addrs []netip.AddrPort) map[netip.AddrPort]error {
	own, err := s.addrs.Info()
	if err != nil {
		return nil
	}
	ownID, _ := own.ID()
	return steeredByOthers(ownID, addrs)
}

// steeredByOthers is othersSteering for a process whose own address map
// is ownID (0: none).
func steeredByOthers(ownID ebpf.MapID, addrs []netip.AddrPort) map[netip.AddrPort]error {
	if len(addrs) == 0 {
		return nil
	}
	netns, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return nil
	}
	out := map[netip.AddrPort]error{}
	for id := ebpf.MapID(0); ; {
		next, err := ebpf.MapGetNextID(id)
		if err != nil {
			return out
		}
		id = next
		if id == ownID {
			continue
		}
		m, err := ebpf.NewMapFromID(id)
		if err != nil {
			continue
		}
		info, err := m.Info()
		pid, perr := 0, error(nil)
		if err == nil && strings.HasPrefix(info.Name, addrMapPrefix) {
			pid, perr = strconv.Atoi(strings.TrimPrefix(info.Name, addrMapPrefix))
		}
		// A serve of another namespace (its own addresses) is no clash.
		if ns, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/net"); pid <= 0 || perr != nil || err != nil || ns != netns {
			m.Close()
			continue
		}
		h := sockholder.Holder{PID: pid, Comm: procComm(pid)}
		var slot uint32
		for _, a := range addrs {
			if _, dup := out[a]; !dup && m.Lookup(skKeyOf(a), &slot) == nil {
				out[a] = &net.OpError{Op: "listen", Net: "tcp", Addr: net.TCPAddrFromAddrPort(a),
					Err: os.NewSyscallError("bind", steeredError{h})}
			}
		}
		m.Close()
	}
}

// checkSteered is othersSteering for a process that steers nothing
// (serve --check, doctor).
func checkSteered(addrs []netip.AddrPort) map[netip.AddrPort]error { return steeredByOthers(0, addrs) }

// procComm is the command name of process pid, or "".
func procComm(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// addAddr steers connections to ap to the socket of its slot.
func (s *skLookup) addAddr(ap netip.AddrPort) error {
	if err := s.addrs.Update(skKeyOf(ap), skSlot(ap), ebpf.UpdateAny); err != nil {
		return fmt.Errorf("sk_lookup address map: %w", err)
	}
	return nil
}

// addAddrs is addAddr for many addresses, in one system call where the
// kernel has batches (5.6+); the addresses it could not add, with why.
func (s *skLookup) addAddrs(aps []netip.AddrPort) map[netip.AddrPort]error {
	keys := make([]skKey, len(aps))
	vals := make([]uint32, len(aps))
	for i, ap := range aps {
		keys[i], vals[i] = skKeyOf(ap), skSlot(ap)
	}
	if len(aps) == 0 {
		return nil
	}
	if _, err := s.addrs.BatchUpdate(keys, vals, nil); err == nil {
		return nil
	}
	failed := map[netip.AddrPort]error{}
	for _, ap := range aps {
		if err := s.addAddr(ap); err != nil {
			failed[ap] = err
		}
	}
	return failed
}

// delAddrs stops steering aps: the usual lookup finds no listener.
func (s *skLookup) delAddrs(aps []netip.AddrPort) {
	keys := make([]skKey, len(aps))
	for i, ap := range aps {
		keys[i] = skKeyOf(ap)
	}
	if len(aps) == 0 {
		return
	}
	if _, err := s.addrs.BatchDelete(keys, nil); err == nil {
		return
	}
	for _, k := range keys { // a batch stops at its first failure
		s.addrs.Delete(k)
	}
}

// setSocket puts the listening socket fd into slot.
func (s *skLookup) setSocket(slot uint32, fd int) error {
	if err := s.socks.Update(slot, uint64(fd), ebpf.UpdateAny); err != nil {
		return fmt.Errorf("sk_lookup socket map: %w", err)
	}
	return nil
}

func (s *skLookup) delSocket(slot uint32) { s.socks.Delete(slot) }

// close detaches the program and frees the maps.
func (s *skLookup) close() {
	s.closeOnce.Do(func() {
		if s.link != nil {
			s.link.Close()
		}
		if s.prog != nil {
			s.prog.Close()
		}
		if s.socks != nil {
			s.socks.Close()
		}
		if s.addrs != nil {
			s.addrs.Close()
		}
	})
}

// lookupFD is lookup for an accepted socket.
func (st *steering) lookupFD(fd int) *listener {
	// syscall's, not x/sys/unix's: the latter asks an AF_INET socket for
	// its protocol, one more system call per connection.
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return nil
	}
	ap := fromSockaddr(sa)
	if !ap.IsValid() {
		return nil
	}
	return st.lookup(ap)
}

// withFD calls fn with l's socket.
func (l *listener) withFD(fn func(fd int) error) error {
	if l.ln == nil {
		return fn(l.fd)
	}
	raw, err := l.ln.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := raw.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// listenPortNet binds a port socket of the goroutine engine: a plain TCP
// socket (Go makes listeners MPTCP where the kernel has it, and an MPTCP
// socket cannot go into a SOCKMAP).
func listenPortNet(addr netip.AddrPort) (*listener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp", addr.String())
	if err != nil {
		return nil, err
	}
	return &listener{addr: addrPort(ln.Addr()), ln: ln.(*net.TCPListener), fd: -1, closed: make(chan struct{})}, nil
}

// probeBind binds a socket to addr and closes it: the errors per-address
// listening would meet (address in use, not local, privileged port),
// without keeping a descriptor.
func probeBind(addr netip.AddrPort) error {
	a := addr.Addr()
	if !a.IsValid() || a.IsUnspecified() {
		return fmt.Errorf("refusing to listen on the unspecified address %s", addr)
	}
	fd, err := unix.Socket(family(a), unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	fail := func(op string, err error) error {
		return &net.OpError{Op: "listen", Net: "tcp", Addr: net.TCPAddrFromAddrPort(addr), Err: os.NewSyscallError(op, err)}
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail("setsockopt", err)
	}
	if a.Is6() && !a.Is4In6() {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return fail("setsockopt", err)
		}
	}
	if err := unix.Bind(fd, sockaddr(addr)); err != nil {
		return fail("bind", err)
	}
	return nil
}

// listeningPorts is the set of ports some TCP socket in the network
// namespace listens on, on any address. It asks the kernel for listening
// sockets only (sock_diag); where that fails it scans /proc/net/tcp and
// tcp6, which list every socket.
func listeningPorts() (map[uint16]bool, error) {
	if ports, err := listeningPortsDiag(); err == nil {
		return ports, nil
	}
	return listeningPortsProc()
}

// tcpListen is TCP_LISTEN of the kernel's TCP states; sock_diag filters by
// a mask of them.
const tcpListen = 10

// listeningPortsDiag asks NETLINK_SOCK_DIAG for the TCP sockets in LISTEN
// state of both families. The kernel then walks only its listening hash,
// where /proc/net/tcp prints every connection: with 15,000 TIME_WAIT
// sockets after a load test that was 2.2 MB and 20 ms per apply that adds
// an address.
func listeningPortsDiag() (map[uint16]bool, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	ports := map[uint16]bool{}
	buf := make([]byte, 64<<10)
	for i, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
		// struct nlmsghdr, then struct inet_diag_req_v2 (56 bytes): family,
		// protocol, ext, pad, states, and a zero socket ID (any).
		req := make([]byte, unix.SizeofNlMsghdr+56)
		binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
		binary.NativeEndian.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
		binary.NativeEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
		binary.NativeEndian.PutUint32(req[8:], uint32(i+1))
		req[16], req[17] = fam, unix.IPPROTO_TCP
		binary.NativeEndian.PutUint32(req[20:], 1<<tcpListen)
		if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
			return nil, os.NewSyscallError("sendto", err)
		}
		done, err := readDiag(fd, buf, ports)
		if err != nil {
			if fam == unix.AF_INET6 && errors.Is(err, unix.ENOENT) {
				continue // IPv6 off: no listener of that family
			}
			return nil, err
		}
		if !done {
			return nil, errors.New("sock_diag: dump cut short")
		}
	}
	return ports, nil
}

// readDiag reads one sock_diag dump into ports (struct inet_diag_msg: the
// local port, big-endian, after four bytes of family, state, timer and
// retransmits). It reports whether the dump ended with NLMSG_DONE.
func readDiag(fd int, buf []byte, ports map[uint16]bool) (bool, error) {
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, os.NewSyscallError("recvfrom", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return false, fmt.Errorf("sock_diag: %w", err)
		}
		if len(msgs) == 0 {
			return false, nil
		}
		for _, m := range msgs {
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return true, nil
			case unix.NLMSG_ERROR:
				if len(m.Data) >= 4 {
					if errno := -int32(binary.NativeEndian.Uint32(m.Data)); errno != 0 {
						return false, os.NewSyscallError("sock_diag", unix.Errno(errno))
					}
				}
				return false, errors.New("sock_diag: error message")
			}
			if len(m.Data) >= 6 {
				ports[binary.BigEndian.Uint16(m.Data[4:6])] = true
			}
		}
	}
}

// listeningPortsProc is listeningPorts from /proc/net/tcp and tcp6, which
// list every socket (tens of thousands of lines on a busy host, so they
// are scanned in place).
func listeningPortsProc() (map[uint16]bool, error) {
	ports := map[uint16]bool{}
	for _, name := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		b, err := os.ReadFile(name)
		if err != nil {
			if name == "/proc/self/net/tcp6" && errors.Is(err, os.ErrNotExist) { // IPv6 off
				continue
			}
			return nil, err
		}
		for len(b) > 0 {
			var line []byte
			line, b, _ = bytes.Cut(b, []byte{'\n'})
			// "sl local_address rem_address st ...": ADDR:PORT in hex,
			// state 0A is LISTEN.
			var f [4][]byte
			for i := range f {
				line = bytes.TrimLeft(line, " ")
				f[i], line, _ = bytes.Cut(line, []byte{' '})
			}
			if string(f[3]) != "0A" {
				continue
			}
			i := bytes.LastIndexByte(f[1], ':')
			if i < 0 {
				continue
			}
			p, err := strconv.ParseUint(string(f[1][i+1:]), 16, 16)
			if err != nil {
				continue
			}
			ports[uint16(p)] = true
		}
	}
	return ports, nil
}

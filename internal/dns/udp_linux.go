//go:build linux

package dns

import (
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// udpBatchLen is the most datagrams one recvmmsg reads and one sendmmsg
// writes. Under dnsperf's load (bench/dns) with 16, three quarters of the
// queries came in full batches; the rates with 16, 32 and 64 differed by
// less than the shared machine's noise.
const udpBatchLen = 32

// Each datagram of a batch gets udpSmall bytes for the query and as many
// for the reply, packed side by side, which is where ordinary queries and
// replies fit; a longer query goes on into a slot of its own in a third
// region, udpSlot bytes long (the largest UDP payload), and a longer reply
// into a buffer the packer allocates. The three regions are one anonymous
// mapping, of which only the pages used become resident: 128 KiB per
// worker for the small buffers, and the large slots only when a large
// query arrives.
const (
	udpSmall = 2 << 10
	udpSlot  = 64 << 10
)

// mmsghdr is struct mmsghdr of recvmmsg(2) and sendmmsg(2): a message
// header and the length the kernel moved. Go pads it as C does.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// udpBatch is one UDP worker's state for batched receive and send. Its
// headers point into itself (addresses, iovecs) and into mem; it is
// allocated once per worker, so a query costs no allocation.
type udpBatch struct {
	// mem: udpBatchLen small query buffers, as many reply buffers, then
	// udpBatchLen large query slots (see udpSmall).
	mem []byte

	recv  [udpBatchLen]mmsghdr
	riov  [2 * udpBatchLen]unix.Iovec        // a small query buffer and the rest of its large slot
	names [udpBatchLen]unix.RawSockaddrInet6 // sources; room for either family

	send    [udpBatchLen]mmsghdr
	siov    [udpBatchLen]unix.Iovec
	replies [udpBatchLen][]byte // what siov points at, held for the GC until sent

	got            int           // datagrams the last recvmmsg read
	queued, sent   int           // replies in send; how many went out
	rerr           syscall.Errno // the last recvmmsg's error
	readFn, sendFn func(fd uintptr) bool
	log            func(dst int, err syscall.Errno)
}

func newUDPBatch() (*udpBatch, error) {
	mem, err := unix.Mmap(-1, 0, udpBatchLen*(2*udpSmall+udpSlot), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil, err
	}
	b := &udpBatch{mem: mem}
	for i := range udpBatchLen {
		// The kernel fills the small buffer, then the large slot past its
		// first udpSmall bytes, where query copies the small part when
		// the query is longer.
		b.riov[2*i].Base = &mem[i*udpSmall]
		b.riov[2*i].SetLen(udpSmall)
		b.riov[2*i+1].Base = &mem[b.large(i)+udpSmall]
		b.riov[2*i+1].SetLen(udpSlot - udpSmall)
		b.recv[i].hdr.Iov = &b.riov[2*i]
		b.recv[i].hdr.SetIovlen(2)
		b.recv[i].hdr.Name = (*byte)(unsafe.Pointer(&b.names[i]))
		b.send[i].hdr.Iov = &b.siov[i]
		b.send[i].hdr.SetIovlen(1)
	}
	b.readFn = b.read
	b.sendFn = b.write
	return b, nil
}

func (b *udpBatch) free() { unix.Munmap(b.mem) }

// read is the RawConn.Read callback: one non-blocking recvmmsg. It
// returns false (wait until readable) when nothing is queued. It uses a
// raw system call, as the runtime's own poller does for its non-blocking
// calls: the call does not block, so the scheduler need not hand the P
// to another thread meanwhile (which, with every worker in and out of
// system calls, costs more than the call).
func (b *udpBatch) read(fd uintptr) bool {
	for i := range b.recv {
		b.recv[i].hdr.Namelen = unix.SizeofSockaddrInet6
		b.recv[i].hdr.Flags = 0
	}
	for {
		n, _, errno := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.recv[0])), udpBatchLen,
			unix.MSG_DONTWAIT, 0, 0)
		switch errno {
		case 0:
			b.got, b.rerr = int(n), 0
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		default:
			b.got, b.rerr = 0, errno
			return true
		}
	}
}

// write is the RawConn.Write callback: sendmmsg until every queued reply
// is sent, false (wait until writable) when the socket buffer is full. A
// reply the kernel refuses (no route back to its source, say) is logged
// and skipped.
func (b *udpBatch) write(fd uintptr) bool {
	for b.sent < b.queued {
		n, _, errno := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&b.send[b.sent])),
			uintptr(b.queued-b.sent), unix.MSG_DONTWAIT, 0, 0)
		switch errno {
		case 0:
			b.sent += int(n)
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			b.log(b.sent, errno)
			b.sent++
		}
	}
	return true
}

// large is the offset in mem of datagram i's large slot.
func (b *udpBatch) large(i int) int {
	return 2*udpBatchLen*udpSmall + i*udpSlot
}

// query returns datagram i of the last read, whole.
func (b *udpBatch) query(i int) []byte {
	n := int(b.recv[i].n)
	if n <= udpSmall {
		return b.mem[i*udpSmall : i*udpSmall+n]
	}
	off := b.large(i)
	copy(b.mem[off:off+udpSmall], b.mem[i*udpSmall:(i+1)*udpSmall])
	return b.mem[off : off+n]
}

// out is the empty reply buffer of datagram i: udpSmall bytes, its
// capacity capped so a longer reply is packed elsewhere.
func (b *udpBatch) out(i int) []byte {
	off := (udpBatchLen + i) * udpSmall
	return b.mem[off : off : off+udpSmall]
}

// src is where datagram i came from.
func (b *udpBatch) src(i int) netip.AddrPort {
	sa := &b.names[i]
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		p := (*[2]byte)(unsafe.Pointer(&sa4.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), uint16(p[0])<<8|uint16(p[1]))
	case unix.AF_INET6:
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		a := netip.AddrFrom16(sa.Addr)
		if sa.Scope_id != 0 {
			a = a.WithZone(strconv.FormatUint(uint64(sa.Scope_id), 10))
		}
		return netip.AddrPortFrom(a, uint16(p[0])<<8|uint16(p[1]))
	}
	return netip.AddrPort{}
}

// queue adds reply as the answer to datagram i, sent to its source.
func (b *udpBatch) queue(i int, reply []byte) {
	k := b.queued
	b.send[k].hdr.Name = b.recv[i].hdr.Name
	b.send[k].hdr.Namelen = b.recv[i].hdr.Namelen
	b.siov[k].Base = &reply[0]
	b.siov[k].SetLen(len(reply))
	b.replies[k] = reply
	b.queued++
}

// reset forgets the replies sent.
func (b *udpBatch) reset() {
	clear(b.replies[:b.queued])
	b.queued, b.sent = 0, 0
}

// serveUDP reads queries and writes replies until the socket closes: up
// to udpBatchLen queries per recvmmsg, their replies in one sendmmsg.
// Without the mapping or the raw socket it serves one datagram at a time.
func (s *Server) serveUDP(l *listener, udp *net.UDPConn) {
	rc, err := udp.SyscallConn()
	if err != nil {
		s.serveUDPEach(l, udp)
		return
	}
	b, err := newUDPBatch()
	if err != nil {
		s.log.Debug("dns: no batched UDP, serving one datagram at a time", "err", err)
		s.serveUDPEach(l, udp)
		return
	}
	defer b.free()
	b.log = func(dst int, errno syscall.Errno) {
		s.log.Debug("dns: udp write", "to", b.srcOfSend(dst), "err", errno)
	}
	upstream := s.opts.Upstream != ""
	var wait time.Duration
	for {
		err := rc.Read(b.readFn)
		if err == nil && b.rerr != 0 {
			err = b.rerr
		}
		if err != nil {
			if !s.udpReadFailed(l, err, &wait) {
				return
			}
			continue
		}
		wait = 0
		z := s.zone.Load()
		for i := range b.got {
			q := query{raw: b.query(i), local: l.local, src: b.src(i).Addr()}
			reply, fwd := handle(z, q, upstream, b.out(i))
			if fwd != nil {
				s.forwardUDP(udp, fwd, b.src(i))
				continue
			}
			if len(reply) > 0 {
				b.queue(i, reply)
			}
		}
		if b.queued > 0 {
			err := rc.Write(b.sendFn)
			b.reset()
			if err != nil {
				return // closed
			}
		}
	}
}

// srcOfSend is the destination of queued reply k, for messages.
func (b *udpBatch) srcOfSend(k int) netip.AddrPort {
	for i := range b.got {
		if b.recv[i].hdr.Name == b.send[k].hdr.Name {
			return b.src(i)
		}
	}
	return netip.AddrPort{}
}

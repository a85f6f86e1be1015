// Command sockmap is a measurement prototype, not part of plink: a TCP
// forwarder whose bytes never reach user space. Each accepted connection
// and its dialled target go into a SOCKMAP; an sk_skb stream verdict
// program (BPF_SK_SKB_STREAM_VERDICT) looks up the peer of the socket an
// skb arrived on (by socket cookie) and redirects the skb to the peer's
// egress with bpf_sk_redirect_map. bench/dataplane/run.sh runs it as the
// "sockmap" contender of MODE=bulk with SOCKMAP=1, to measure what such a
// path could give plink (issue 13). Needs root (CAP_BPF, CAP_NET_ADMIN).
//
// Not handled, as plink would have to: a PROXY v2 header before the first
// redirected byte, bytes that arrive before the sockets are in the map
// (copied by hand here, racy in general), a FIN that must follow the
// redirected bytes still queued in the kernel's backlog (here the peer is
// shut down as soon as the FIN is seen), idle timeouts, byte accounting.
//
//	sockmap -target 127.0.0.1:5201 [-listen 127.0.0.1:0] [-addr-file F] [-sndbuf BYTES]
package main

import (
	"flag"
	"log"
	"net"
	"os"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

const slots = 4096

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to accept on")
	target := flag.String("target", "", "address to forward to")
	addrFile := flag.String("addr-file", "", "write the listening address here")
	sndbuf := flag.Int("sndbuf", 64<<20, "SO_SNDBUFFORCE of both sockets (0: autotuning); the redirect backs off a jiffy whenever the peer's send buffer is full")
	flag.Parse()
	spec := &ebpf.CollectionSpec{
		Maps: map[string]*ebpf.MapSpec{
			"socks": {Type: ebpf.SockMap, KeySize: 4, ValueSize: 8, MaxEntries: slots},
			"peers": {Type: ebpf.Hash, KeySize: 8, ValueSize: 4, MaxEntries: slots},
		},
		Programs: map[string]*ebpf.ProgramSpec{
			// peer = peers[cookie(skb's socket)]; redirect to socks[peer],
			// or pass the skb up when the socket has no peer.
			"verdict": {
				Type: ebpf.SkSKB, AttachType: ebpf.AttachSkSKBStreamVerdict, License: "GPL",
				Instructions: asm.Instructions{
					asm.Mov.Reg(asm.R6, asm.R1),
					asm.FnGetSocketCookie.Call(),
					asm.StoreMem(asm.RFP, -8, asm.R0, asm.DWord),
					asm.LoadMapPtr(asm.R1, 0).WithReference("peers"),
					asm.Mov.Reg(asm.R2, asm.RFP),
					asm.Add.Imm(asm.R2, -8),
					asm.FnMapLookupElem.Call(),
					asm.JEq.Imm(asm.R0, 0, "pass"),
					asm.LoadMem(asm.R3, asm.R0, 0, asm.Word),
					asm.Mov.Reg(asm.R1, asm.R6),
					asm.LoadMapPtr(asm.R2, 0).WithReference("socks"),
					asm.Mov.Imm(asm.R4, 0),
					asm.FnSkRedirectMap.Call(),
					asm.Return(),
					asm.Mov.Imm(asm.R0, 1).WithSymbol("pass"), // SK_PASS
					asm.Return(),
				},
			},
		},
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		log.Fatal(err)
	}
	socks, peers := coll.Maps["socks"], coll.Maps["peers"]
	if err := link.RawAttachProgram(link.RawAttachProgramOptions{Target: socks.FD(), Program: coll.Programs["verdict"], Attach: ebpf.AttachSkSKBStreamVerdict}); err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	var mu sync.Mutex
	free := make([]uint32, 0, slots/2)
	for i := uint32(0); i < slots; i += 2 {
		free = append(free, i)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		mu.Lock()
		if len(free) == 0 {
			mu.Unlock()
			c.Close()
			continue
		}
		a := free[len(free)-1]
		free = free[:len(free)-1]
		mu.Unlock()
		go func() {
			forward(c, *target, a, *sndbuf, socks, peers)
			mu.Lock()
			free = append(free, a)
			mu.Unlock()
		}()
	}
}

// forward joins c to a new connection to target through map slots a, a+1.
func forward(c net.Conn, target string, a uint32, sndbuf int, socks, peers *ebpf.Map) {
	defer c.Close()
	t, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer t.Close()
	cf, err1 := c.(*net.TCPConn).File()
	tf, err2 := t.(*net.TCPConn).File()
	if err1 != nil || err2 != nil {
		return
	}
	defer cf.Close()
	defer tf.Close()
	cfd, tfd := int(cf.Fd()), int(tf.Fd())
	if sndbuf > 0 {
		unix.SetsockoptInt(cfd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, sndbuf)
		unix.SetsockoptInt(tfd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, sndbuf)
	}
	b := a + 1
	cc, err1 := unix.GetsockoptUint64(cfd, unix.SOL_SOCKET, unix.SO_COOKIE)
	tc, err2 := unix.GetsockoptUint64(tfd, unix.SOL_SOCKET, unix.SO_COOKIE)
	if err1 != nil || err2 != nil {
		return
	}
	for _, err := range []error{peers.Put(cc, b), peers.Put(tc, a), socks.Put(b, uint64(tfd)), socks.Put(a, uint64(cfd))} {
		if err != nil {
			log.Print(err)
			return
		}
	}
	defer func() {
		socks.Delete(a)
		socks.Delete(b)
		peers.Delete(cc)
		peers.Delete(tc)
	}()
	// What the client sent before the insert sits in the plain queue.
	buf := make([]byte, 64<<10)
	for {
		n, _, err := unix.Recvfrom(cfd, buf, unix.MSG_DONTWAIT)
		if n <= 0 || err != nil {
			break
		}
		unix.Write(tfd, buf[:n])
	}
	done := make(chan struct{}, 2)
	half := func(src, dst int) {
		for {
			p := []unix.PollFd{{Fd: int32(src), Events: unix.POLLRDHUP}}
			if n, err := unix.Poll(p, -1); err == unix.EINTR || n == 0 {
				continue
			}
			break
		}
		unix.Shutdown(dst, unix.SHUT_WR)
		done <- struct{}{}
	}
	go half(cfd, tfd)
	go half(tfd, cfd)
	<-done
	<-done
}

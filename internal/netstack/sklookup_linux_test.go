package netstack

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestSKLookupSteers: a connection to an address in the map reaches the
// one socket of its port; an address not in the map is refused.
func TestSKLookupSteers(t *testing.T) {
	s, err := newSKLookup()
	if err != nil {
		if os.Geteuid() != 0 {
			t.Skip("sk_lookup unavailable:", err)
		}
		t.Fatal(err)
	}
	defer s.close()
	var lc net.ListenConfig
	lc.SetMultipathTCP(false) // an MPTCP socket cannot go into a SOCKMAP
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := freePort(t)
	in := netip.AddrPortFrom(netip.MustParseAddr("127.9.8.7"), port)
	out := netip.AddrPortFrom(netip.MustParseAddr("127.9.8.6"), port)
	raw, _ := ln.(*net.TCPListener).SyscallConn()
	var serr error
	raw.Control(func(fd uintptr) { serr = s.setSocket(skSlot(in), int(fd)) })
	if serr != nil {
		t.Fatal(serr)
	}
	if err := s.addAddr(in); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(c.LocalAddr().String()))
			c.Close()
		}
	}()
	c, err := net.DialTimeout("tcp", in.String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 64)
	n, _ := c.Read(b)
	c.Close()
	if string(b[:n]) != in.String() {
		t.Fatalf("local address %q, want %q", b[:n], in)
	}
	if _, err := net.DialTimeout("tcp", out.String(), 2*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("address not in the map: %v, want connection refused", err)
	}
}

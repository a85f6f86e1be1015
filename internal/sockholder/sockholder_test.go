package sockholder

import (
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
)

func TestParseAddr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0100007F:1F90", "127.0.0.1:8080"},
		{"0200107F:0035", "127.16.0.2:53"},
		{"00000000:0016", "0.0.0.0:22"},
		{"00000000000000000000000001000000:0277", "[::1]:631"},
		{"0000000000000000FFFF00000100007F:1F90", "127.0.0.1:8080"},
	} {
		got, ok := parseAddr(tc.in)
		if !ok || got.String() != tc.want {
			t.Errorf("parseAddr(%q) = %v, %v; want %s", tc.in, got, ok, tc.want)
		}
	}
	if _, ok := parseAddr("zz:1"); ok {
		t.Error("parseAddr accepted garbage")
	}
}

func TestClashes(t *testing.T) {
	a := netip.MustParseAddr
	for _, tc := range []struct {
		have, want string
		clash      bool
	}{
		{"127.0.0.1", "127.0.0.1", true},
		{"127.0.0.2", "127.0.0.1", false},
		{"0.0.0.0", "127.0.0.1", true},
		{"::", "127.0.0.1", true},
		{"0.0.0.0", "::1", false},
		{"127.0.0.1", "0.0.0.0", true},
		{"::1", "::1", true},
	} {
		if got := clashes(a(tc.have), a(tc.want)); got != tc.clash {
			t.Errorf("clashes(%s, %s) = %v", tc.have, tc.want, got)
		}
	}
}

// A real listener of this process is found, named by its PID.
func TestFindOwnListener(t *testing.T) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc/net/tcp")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ap := netip.MustParseAddrPort(ln.Addr().String())
	h, ok := new(Finder).Find("tcp", ap)
	if !ok || h.PID != os.Getpid() {
		t.Fatalf("Find(%s) = %v, %v; want this process %d", ap, h, ok, os.Getpid())
	}
	if d := Describe("tcp", ap); !strings.HasPrefix(d, "held by pid ") {
		t.Errorf("Describe = %q", d)
	}
	u, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	uap := netip.MustParseAddrPort(u.LocalAddr().String())
	if h, ok := new(Finder).Find("udp", uap); !ok || h.PID != os.Getpid() {
		t.Errorf("Find(udp %s) = %v, %v", uap, h, ok)
	}
	ln.Close()
	if d := Describe("tcp", ap); d != "held by another process" {
		t.Errorf("after close: %q", d)
	}
}

package netstack

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	proxyproto "github.com/pires/go-proxyproto"
	"github.com/pires/go-proxyproto/tlvparse"

	"github.com/plink-dev/plink/internal/snapshot"
)

// FuzzProxyHeader builds the PROXY v2 header for any pair of addresses
// and any endpoint ID (the ID is store data, the addresses come from the
// wire). A header that builds must parse back to the same addresses,
// ports and VPC endpoint TLV; one that does not must fail with an error,
// never a panic.
func FuzzProxyHeader(f *testing.F) {
	f.Add([]byte{127, 0, 0, 1}, uint16(40000), []byte{127, 16, 0, 10}, uint16(443), "vpce-0123456789abcdef0")
	f.Add(netip.MustParseAddr("fd00::1").AsSlice(), uint16(1), []byte{127, 16, 0, 10}, uint16(80), "")
	f.Add(netip.MustParseAddr("::ffff:127.0.0.1").AsSlice(), uint16(0), netip.MustParseAddr("fd00:16::10").AsSlice(), uint16(65535), "x")
	// A header over 4096 bytes, which go-proxyproto refuses to read (CI
	// found it): the ID is now bounded before the header is built.
	f.Add([]byte{127, 0, 0, 1}, uint16(1), []byte{127, 0, 0, 2}, uint16(2), strings.Repeat("\xbd", 4100))
	f.Add([]byte{127, 0, 0, 1}, uint16(1), []byte{127, 0, 0, 2}, uint16(2), strings.Repeat("v", maxEndpointIDLen))
	f.Fuzz(func(t *testing.T, srcIP []byte, srcPort uint16, dstIP []byte, dstPort uint16, endpointID string) {
		sa, ok1 := netip.AddrFromSlice(srcIP)
		da, ok2 := netip.AddrFromSlice(dstIP)
		if !ok1 || !ok2 || len(endpointID) > 1<<16 {
			return
		}
		src, dst := netip.AddrPortFrom(sa, srcPort), netip.AddrPortFrom(da, dstPort)
		hdr, err := proxyHeader(src, dst, endpointID)
		if err != nil {
			if len(endpointID) <= maxEndpointIDLen {
				t.Fatalf("proxyHeader(%v, %v, %d-byte ID): %v", src, dst, len(endpointID), err)
			}
			return
		}
		if len(endpointID) > maxEndpointIDLen {
			t.Fatalf("proxyHeader built a header for a %d-byte endpoint ID", len(endpointID))
		}
		if ref := formatProxyHeader(t, src, dst, endpointID); !bytes.Equal(hdr, ref) {
			t.Fatalf("header %x, go-proxyproto's Format gives %x", hdr, ref)
		}
		h, err := proxyproto.Read(bufio.NewReader(bytes.NewReader(hdr)))
		if err != nil {
			t.Fatalf("header %x does not parse: %v", hdr, err)
		}
		v4 := sa.Unmap().Is4() && da.Unmap().Is4()
		if want := proxyproto.TCPv4; !v4 {
			want = proxyproto.TCPv6
			if h.TransportProtocol != want {
				t.Fatalf("transport %v, want %v", h.TransportProtocol, want)
			}
		} else if h.TransportProtocol != want {
			t.Fatalf("transport %v, want %v", h.TransportProtocol, want)
		}
		for _, c := range []struct {
			got  net.Addr
			want netip.AddrPort
		}{{h.SourceAddr, src}, {h.DestinationAddr, dst}} {
			got := c.got.(*net.TCPAddr).AddrPort()
			if got.Addr().Unmap() != c.want.Addr().Unmap() || got.Port() != c.want.Port() {
				t.Fatalf("header carries %v, want %v", got, c.want)
			}
		}
		tlvs, err := h.TLVs()
		if err != nil {
			t.Fatalf("TLVs: %v", err)
		}
		var got []proxyproto.TLV
		for _, tlv := range tlvs {
			if tlvparse.IsAWSVPCEndpointID(tlv) {
				got = append(got, tlv)
			}
		}
		switch {
		case endpointID == "" && len(got) != 0:
			t.Fatalf("VPC endpoint TLV %x without an endpoint", got[0].Value)
		case endpointID != "" && (len(got) != 1 || string(got[0].Value[1:]) != endpointID):
			t.Fatalf("VPC endpoint TLVs %v, want one carrying %q", got, endpointID)
		}
	})
}

// formatProxyHeader is the header go-proxyproto's Header.Format builds for
// the same connection: the reference appendProxyHeader is held to.
func formatProxyHeader(t *testing.T, src, dst netip.AddrPort, endpointID string) []byte {
	t.Helper()
	sa, da := src.Addr().Unmap(), dst.Addr().Unmap()
	h := &proxyproto.Header{
		Version:           2,
		Command:           proxyproto.PROXY,
		TransportProtocol: proxyproto.TCPv4,
		SourceAddr:        &net.TCPAddr{IP: sa.AsSlice(), Port: int(src.Port())},
		DestinationAddr:   &net.TCPAddr{IP: da.AsSlice(), Port: int(dst.Port())},
	}
	if !sa.Is4() || !da.Is4() {
		s16, d16 := sa.As16(), da.As16()
		h.TransportProtocol = proxyproto.TCPv6
		h.SourceAddr = &net.TCPAddr{IP: s16[:], Port: int(src.Port())}
		h.DestinationAddr = &net.TCPAddr{IP: d16[:], Port: int(dst.Port())}
	}
	if endpointID != "" {
		v := append([]byte{pp2SubtypeAWSVPCE}, endpointID...)
		if err := h.SetTLVs([]proxyproto.TLV{{Type: pp2TypeAWS, Value: v}}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := h.Format()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The hand-written header is go-proxyproto's, byte for byte, and costs no
// allocation when appended to a buffer with room.
func TestAppendProxyHeader(t *testing.T) {
	cases := []struct {
		src, dst string
		id       string
	}{
		{"127.0.0.1:40000", "127.16.0.10:443", "vpce-0123456789abcdef0"},
		{"127.0.0.1:1", "127.16.0.10:80", ""},
		{"[::ffff:127.0.0.1]:2", "[::ffff:127.0.0.3]:4", "vpce-1"},
		{"[fd00::1]:65535", "127.16.0.10:0", "vpce-0123456789abcdef0"},
		{"[fd00::1]:5", "[fd00:16::10]:6", strings.Repeat("v", maxEndpointIDLen)},
	}
	buf := make([]byte, 0, 512)
	for _, c := range cases {
		src, dst := netip.MustParseAddrPort(c.src), netip.MustParseAddrPort(c.dst)
		got, err := appendProxyHeader(buf[:0], src, dst, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if want := formatProxyHeader(t, src, dst, c.id); !bytes.Equal(got, want) {
			t.Errorf("%s -> %s %q: %x, want %x", c.src, c.dst, c.id, got, want)
		}
		if n := testing.AllocsPerRun(100, func() { appendProxyHeader(buf[:0], src, dst, c.id) }); n != 0 {
			t.Errorf("%s -> %s: %v allocations per header, want 0", c.src, c.dst, n)
		}
	}
}

// FuzzMatchCode checks the health check matcher parser (a target group
// setting) against ranges written out: "a-b" matches exactly a..b, "a"
// exactly a, a list any of its parts; any other text must not panic.
func FuzzMatchCode(f *testing.F) {
	f.Add("200-399", 200, 399, 302)
	f.Add("200,202", 0, 0, 201)
	f.Add("-,-1--2, 5 - 7,", -1, 5, 6)
	f.Add("99999999999999999999-1", 1, 2, 1)
	f.Fuzz(func(t *testing.T, matcher string, a, b, code int) {
		matchCode(matcher, code) // any text: no panic
		if got, want := matchCode(fmt.Sprintf("%d-%d", a, b), code), a <= code && code <= b; a >= 0 && b >= 0 && got != want {
			t.Fatalf("matchCode(%d-%d, %d) = %v", a, b, code, got)
		}
		if got, want := matchCode(fmt.Sprintf(" %d ", a), code), a == code; a >= 0 && got != want {
			t.Fatalf("matchCode(%d, %d) = %v", a, code, got)
		}
		if got, want := matchCode(fmt.Sprintf("%d,%d", a, b), code), a == code || b == code; a >= 0 && b >= 0 && got != want {
			t.Fatalf("matchCode(%d,%d, %d) = %v", a, b, code, got)
		}
	})
}

// FuzzCheckPort checks the health check port setting: a port number
// (decimal, 1..65535) is used as is, anything else means the traffic
// port.
func FuzzCheckPort(f *testing.F) {
	for _, s := range []string{"traffic-port", "", "8080", "0", "65535", "65536", "-1", "+80", " 80", "0x50"} {
		f.Add(s, uint16(443))
	}
	f.Fuzz(func(t *testing.T, port string, target uint16) {
		got := checkPort(snapshot.HealthCheck{Port: port}, target)
		want := target
		// Decimal digits only (leading zeros allowed), no sign or space.
		if n, err := strconv.ParseUint(port, 10, 64); err == nil && n >= 1 && n <= 65535 {
			want = uint16(n)
		}
		if got != want {
			t.Fatalf("checkPort(%q, %d) = %d, want %d", port, target, got, want)
		}
	})
}

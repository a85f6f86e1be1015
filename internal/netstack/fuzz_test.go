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

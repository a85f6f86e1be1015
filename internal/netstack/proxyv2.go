package netstack

import (
	"fmt"
	"net/netip"

	proxyproto "github.com/pires/go-proxyproto"
)

// AWS PROXY protocol v2 TLV carrying the VPC endpoint ID.
const (
	pp2TypeAWS        = 0xEA
	pp2SubtypeAWSVPCE = 0x01
)

// maxEndpointIDLen bounds the endpoint ID a header carries. plink's own
// IDs are 22 bytes ("vpce-" and 17 hex digits); the bound keeps any header
// far below what receivers accept (go-proxyproto's MaxV2HeaderSize is
// 4096 bytes, HAProxy's limit is its buffer), so a target never refuses a
// header plink built.
const maxEndpointIDLen = 255

// proxyV2Sig is the PROXY v2 signature every header starts with.
var proxyV2Sig = [12]byte{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A}

// proxyHeader builds the PROXY v2 header a target sees: the client's
// address and the address it connected to, IPv4 when both are IPv4, IPv6
// otherwise, and the AWS VPC endpoint TLV when endpointID is not empty.
func proxyHeader(src, dst netip.AddrPort, endpointID string) ([]byte, error) {
	return appendProxyHeader(nil, src, dst, endpointID)
}

// appendProxyHeader appends proxyHeader's header to b. It is written out
// by hand (go-proxyproto's Header.Format allocates a dozen times per
// header, on every connection of a PROXY v2 target group); the tests and
// FuzzProxyHeader hold it byte for byte to Format's output.
func appendProxyHeader(b []byte, src, dst netip.AddrPort, endpointID string) ([]byte, error) {
	if len(endpointID) > maxEndpointIDLen {
		return nil, fmt.Errorf("netstack: endpoint ID of %d bytes is longer than a PROXY v2 header carries (%d)", len(endpointID), maxEndpointIDLen)
	}
	sa, da := src.Addr().Unmap(), dst.Addr().Unmap()
	v4 := sa.Is4() && da.Is4()
	fam, n := byte(0x11), 12 // TCP over IPv4: two addresses of 4 bytes, two ports
	if !v4 {
		fam, n = 0x21, 36 // TCP over IPv6
	}
	if endpointID != "" {
		n += 3 + 1 + len(endpointID) // TLV type, length, subtype, ID
	}
	b = append(b, proxyV2Sig[:]...)
	b = append(b, 0x21, fam, byte(n>>8), byte(n)) // version 2, PROXY
	if v4 {
		s4, d4 := sa.As4(), da.As4()
		b = append(b, s4[:]...)
		b = append(b, d4[:]...)
	} else {
		s16, d16 := sa.As16(), da.As16()
		b = append(b, s16[:]...)
		b = append(b, d16[:]...)
	}
	b = append(b, byte(src.Port()>>8), byte(src.Port()), byte(dst.Port()>>8), byte(dst.Port()))
	if endpointID != "" {
		l := 1 + len(endpointID)
		b = append(b, pp2TypeAWS, byte(l>>8), byte(l), pp2SubtypeAWSVPCE)
		b = append(b, endpointID...)
	}
	return b, nil
}

// localHeader is the PROXY v2 LOCAL header health checks send first.
func localHeader() []byte {
	h := &proxyproto.Header{Version: 2, Command: proxyproto.LOCAL, TransportProtocol: proxyproto.UNSPEC}
	b, err := h.Format()
	if err != nil {
		panic("netstack: formatting the PROXY v2 LOCAL header: " + err.Error()) // constant input
	}
	return b
}

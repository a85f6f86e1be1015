package netstack

import (
	"fmt"
	"net"
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

// proxyHeader builds the PROXY v2 header a target sees: the client's
// address and the address it connected to, IPv4 when both are IPv4, IPv6
// otherwise, and the AWS VPC endpoint TLV when endpointID is not empty.
func proxyHeader(src, dst netip.AddrPort, endpointID string) ([]byte, error) {
	if len(endpointID) > maxEndpointIDLen {
		return nil, fmt.Errorf("netstack: endpoint ID of %d bytes is longer than a PROXY v2 header carries (%d)", len(endpointID), maxEndpointIDLen)
	}
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	h := &proxyproto.Header{
		Version:           2,
		Command:           proxyproto.PROXY,
		TransportProtocol: proxyproto.TCPv4,
		SourceAddr:        net.TCPAddrFromAddrPort(src),
		DestinationAddr:   net.TCPAddrFromAddrPort(dst),
	}
	if !src.Addr().Is4() || !dst.Addr().Is4() {
		h.TransportProtocol = proxyproto.TCPv6
		h.SourceAddr = &net.TCPAddr{IP: net.IP(as16(src.Addr())), Port: int(src.Port())}
		h.DestinationAddr = &net.TCPAddr{IP: net.IP(as16(dst.Addr())), Port: int(dst.Port())}
	}
	if endpointID != "" {
		v := append([]byte{pp2SubtypeAWSVPCE}, endpointID...)
		if err := h.SetTLVs([]proxyproto.TLV{{Type: pp2TypeAWS, Value: v}}); err != nil {
			return nil, err
		}
	}
	return h.Format()
}

func as16(a netip.Addr) []byte { b := a.As16(); return b[:] }

// localHeader is the PROXY v2 LOCAL header health checks send first.
func localHeader() []byte {
	h := &proxyproto.Header{Version: 2, Command: proxyproto.LOCAL, TransportProtocol: proxyproto.UNSPEC}
	b, err := h.Format()
	if err != nil {
		panic("netstack: formatting the PROXY v2 LOCAL header: " + err.Error()) // constant input
	}
	return b
}

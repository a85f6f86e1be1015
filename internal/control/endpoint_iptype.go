package control

import (
	"net/netip"

	"github.com/plink-dev/plink/internal/store"
)

// reshapeENI gives an endpoint's existing network interface the addresses
// of the endpoint's new IP address type in place: modify-vpc-endpoint
// --ip-address-type dualstack on an ipv4 endpoint keeps its ENIs and IPv4
// addresses and adds an IPv6 address from each subnet's block, as on AWS;
// going back frees the addresses the type no longer has. subnets holds the
// ENI's subnet.
func reshapeENI(tx *store.Tx, n store.ENI, subnets []store.Subnet, ipType string) error {
	var s store.Subnet
	for _, x := range subnets {
		if x.ID == n.SubnetID {
			s = x
		}
	}
	want4, want6 := ipType != IPAddressTypeIPv6, ipType != IPAddressTypeIPv4
	var err error
	switch {
	case want4 && !n.IPv4.IsValid():
		if n.IPv4, err = tx.AllocateAddress(s.ID, s.CIDR, n.ID); err != nil {
			return Errorf(ErrCodeInsufficientFreeAddressesInSubnet, "%v", err)
		}
	case !want4:
		n.IPv4 = netip.Addr{}
	}
	switch {
	case want6 && !n.IPv6.IsValid():
		if n.IPv6, err = tx.AllocateAddress(s.ID, s.IPv6CIDR, n.ID); err != nil {
			return Errorf(ErrCodeInsufficientFreeAddressesInSubnet, "%v", err)
		}
	case !want6:
		n.IPv6 = netip.Addr{}
	}
	return tx.UpdateENIAddresses(n)
}

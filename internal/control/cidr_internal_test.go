package control

import "testing"

// TestVPCAssociationIDsDiffer: a VPC's IPv6 association ID never equals its
// primary IPv4 one; it did for every VPC whose ID began with a 6.
func TestVPCAssociationIDsDiffer(t *testing.T) {
	for _, id := range []string{"vpc-60ed3eb8733c543ab", "vpc-0ed3eb8733c543ab6", "vpc-7aaaaaaaaaaaaaaaa", "vpc-6abcdef0"} {
		if a, b := vpcPrimaryAssocID(id), vpcIPv6AssocID(id); a == b || len(a) != len(b) {
			t.Errorf("%s: primary %s, IPv6 %s", id, a, b)
		}
	}
}

package control

import (
	"context"
	"net/netip"
	"strings"

	"github.com/plink-dev/plink/internal/names"
	"github.com/plink-dev/plink/internal/store"
)

// This file is ec2 associate-/disassociate-vpc-cidr-block and
// associate-/disassociate-subnet-cidr-block: secondary IPv4 blocks of a
// VPC, the VPC's Amazon-provided IPv6 block (a ULA /56 here, as create-vpc
// gives), and a subnet's IPv6 /64 inside it.
//
// Association IDs: a secondary IPv4 block has its own, stored; the primary
// block's, the VPC's IPv6 block's and a subnet's IPv6 block's are derived
// from the VPC or subnet ID, as describe-vpcs and describe-subnets show them.

// maxVPCIPv4Blocks is AWS's default quota of IPv4 blocks per VPC, the
// primary included ("IPv4 CIDR blocks per VPC", 5).
const maxVPCIPv4Blocks = 5

const (
	vpcCidrAssocPrefix    = "vpc-cidr-assoc-"
	subnetCidrAssocPrefix = "subnet-cidr-assoc-"
)

func vpcPrimaryAssocID(vpcID string) string {
	return vpcCidrAssocPrefix + strings.TrimPrefix(vpcID, "vpc-")
}

// vpcIPv6AssocID is the association ID of a VPC's IPv6 block: the VPC ID's
// hex with its first digit replaced, so that it never equals the primary
// IPv4 block's (vpcPrimaryAssocID). It used to be "6" always, the same ID
// as the primary's for one VPC in 16.
func vpcIPv6AssocID(vpcID string) string {
	hex := strings.TrimPrefix(vpcID, "vpc-")
	first := "6"
	if strings.HasPrefix(hex, "6") {
		first = "7"
	}
	return vpcCidrAssocPrefix + first + hex[1:]
}
func subnetIPv6AssocID(subnetID string) string {
	return subnetCidrAssocPrefix + strings.TrimPrefix(subnetID, "subnet-")
}

// AssociateVpcCidrBlockInput is ec2 associate-vpc-cidr-block. plink has no
// IPAM or BYOIP pools: the pool members are refused.
type AssociateVpcCidrBlockInput struct {
	VpcID                           string `json:"VpcId" aws:"required"`
	CidrBlock                       string `json:"CidrBlock"`
	AmazonProvidedIpv6CidrBlock     bool   `json:"AmazonProvidedIpv6CidrBlock"`
	Ipv6CidrBlockNetworkBorderGroup string `json:"Ipv6CidrBlockNetworkBorderGroup"`
	Ipv6Pool                        string `json:"Ipv6Pool"`
	Ipv6CidrBlock                   string `json:"Ipv6CidrBlock"`
	Ipv4IpamPoolID                  string `json:"Ipv4IpamPoolId"`
	Ipv4NetmaskLength               int    `json:"Ipv4NetmaskLength"`
	Ipv6IpamPoolID                  string `json:"Ipv6IpamPoolId"`
	Ipv6NetmaskLength               int    `json:"Ipv6NetmaskLength"`
}

// AssociateVpcCidrBlockOutput is the association made, in state associating.
type AssociateVpcCidrBlockOutput struct {
	Ipv6CidrBlockAssociation *Ipv6CidrAssociation  `json:"Ipv6CidrBlockAssociation,omitempty"`
	CidrBlockAssociation     *CidrBlockAssociation `json:"CidrBlockAssociation,omitempty"`
	VpcID                    string                `json:"VpcId"`
}

// AssociateVpcCidrBlock adds an IPv4 block (as create-vpc's block: /16 to
// /28, overlapping no block of any VPC in the store, and in the same
// private range as the primary block or publicly routable) or the
// Amazon-provided IPv6 /56 to a VPC the caller owns.
func (a *API) AssociateVpcCidrBlock(ctx context.Context, in *AssociateVpcCidrBlockInput) (*AssociateVpcCidrBlockOutput, error) {
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	switch {
	case in.Ipv4IpamPoolID != "" || in.Ipv6IpamPoolID != "" || in.Ipv4NetmaskLength != 0 || in.Ipv6NetmaskLength != 0:
		return nil, invalidValue("plink has no IPAM pools: give --cidr-block or --amazon-provided-ipv6-cidr-block.")
	case in.Ipv6Pool != "" || in.Ipv6CidrBlock != "":
		return nil, invalidValue("plink has no BYOIP IPv6 pools: use --amazon-provided-ipv6-cidr-block.")
	case in.CidrBlock != "" && in.AmazonProvidedIpv6CidrBlock:
		return nil, Errorf(ErrCodeInvalidParameterCombination, "Specify either an IPv4 CIDR block or an Amazon-provided IPv6 CIDR block, not both.")
	case in.CidrBlock == "" && !in.AmazonProvidedIpv6CidrBlock:
		return nil, Errorf(ErrCodeMissingParameter, "Either an IPv4 CIDR block, an IPv6 pool, or an Amazon-provided IPv6 CIDR block must be specified.")
	case in.Ipv6CidrBlockNetworkBorderGroup != "" && !in.AmazonProvidedIpv6CidrBlock:
		return nil, Errorf(ErrCodeInvalidParameterCombination, "Ipv6CidrBlockNetworkBorderGroup needs AmazonProvidedIpv6CidrBlock.")
	case in.Ipv6CidrBlockNetworkBorderGroup != "" && in.Ipv6CidrBlockNetworkBorderGroup != a.caller.Region:
		return nil, invalidValue("The network border group '%s' is invalid: plink's only one is the region, %s.", in.Ipv6CidrBlockNetworkBorderGroup, a.caller.Region)
	}
	var p netip.Prefix
	if in.CidrBlock != "" {
		var err error
		if p, err = parseVPCBlock(in.CidrBlock); err != nil {
			return nil, err
		}
	}
	out := &AssociateVpcCidrBlockOutput{VpcID: in.VpcID}
	err := a.write(ctx, func(tx *store.Tx) error {
		v, err := a.ownedVPC(tx, in.VpcID)
		if err != nil {
			return err
		}
		if in.AmazonProvidedIpv6CidrBlock {
			if v.IPv6CIDR.IsValid() {
				return Errorf(ErrCodeCidrLimitExceeded, "This network '%s' has met its maximum number of allowed IPv6 CIDRs: 1 (plink gives a VPC one IPv6 block).", v.ID)
			}
			c, err := allocateVPCIPv6(tx)
			if err != nil {
				return err
			}
			if err := tx.SetVPCIPv6CIDR(v.ID, c); err != nil {
				return err
			}
			out.Ipv6CidrBlockAssociation = &Ipv6CidrAssociation{AssociationID: vpcIPv6AssocID(v.ID), Ipv6CidrBlock: c.String(),
				Ipv6CidrBlockState: BlockState{StateCidrBlockAssociating}, NetworkBorderGroup: v.Region, Ipv6Pool: "Amazon"}
			return nil
		}
		blocks, err := tx.VPCCIDRBlocks([]string{v.ID})
		if err != nil {
			return err
		}
		if 1+len(blocks) >= maxVPCIPv4Blocks {
			return Errorf(ErrCodeCidrLimitExceeded, "This network '%s' has met its maximum number of allowed CIDRs: %d", v.ID, maxVPCIPv4Blocks)
		}
		if r := privateRange(p); r.IsValid() && r != privateRange(v.CIDR) {
			return Errorf(ErrCodeInvalidVpcRange, "The CIDR '%s' is restricted. Use a CIDR from the same private address range as the current VPC CIDR, or use a publicly-routable CIDR.", in.CidrBlock)
		}
		if id, err := tx.OverlappingVPC(p); err != nil {
			return err
		} else if id == v.ID {
			return Errorf(ErrCodeInvalidVpcRange, "The CIDR '%s' conflicts with another CIDR block of the VPC %s.", in.CidrBlock, v.ID)
		} else if id != "" {
			return Errorf(ErrCodeInvalidVpcRange, "The CIDR '%s' overlaps %s: VPC blocks in one plink store must not overlap (every address is a real address on this host).", in.CidrBlock, id)
		}
		b := store.VPCCIDRBlock{AssociationID: vpcCidrAssocPrefix + names.RandomHex(17), VPCID: v.ID, CIDR: p, CreatedAt: timestamp(a.now())}
		if err := tx.InsertVPCCIDRBlock(b); err != nil {
			return err
		}
		out.CidrBlockAssociation = &CidrBlockAssociation{AssociationID: b.AssociationID, CidrBlock: p.String(), CidrBlockState: BlockState{StateCidrBlockAssociating}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// parseVPCBlock checks an IPv4 VPC block as create-vpc does.
func parseVPCBlock(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return p, invalidValue("Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", s)
	}
	if p.Masked() != p {
		return p, invalidValue("Value (%s) for parameter cidrBlock is invalid. The CIDR has bits set beyond its prefix length; did you mean %s?", s, p.Masked())
	}
	if p.Bits() < 16 || p.Bits() > 28 {
		return p, Errorf(ErrCodeInvalidVpcRange, "The CIDR '%s' is invalid: a VPC block is between /16 and /28.", s)
	}
	return p, nil
}

// privateRanges are the ranges a VPC's secondary block must share with its
// primary one, as AWS's RFC 1918 rule, with plink's loopback range 127/8
// as one more.
var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("127.0.0.0/8"),
}

// privateRange returns the private range holding p, or an invalid prefix
// for a publicly routable block.
func privateRange(p netip.Prefix) netip.Prefix {
	for _, r := range privateRanges {
		if r.Contains(p.Addr()) {
			return r
		}
	}
	return netip.Prefix{}
}

// allocateVPCIPv6 picks a free random ULA /56 (fdxx:xxxx:xxxx:xx00::/56).
func allocateVPCIPv6(tx *store.Tx) (netip.Prefix, error) {
	for {
		var b [16]byte
		b[0] = 0xfd
		copy(b[1:], mustHexBytes(names.RandomHex(10)))
		b[6] &= 0 // the /56: the seventh byte is the subnet range
		c := netip.PrefixFrom(netip.AddrFrom16(b), 56)
		used, err := tx.VPCIPv6InUse(c)
		if err != nil || !used {
			return c, err
		}
	}
}

// vpcIPv4Blocks returns a VPC's IPv4 blocks, the primary first.
func vpcIPv4Blocks(tx *store.Tx, v store.VPC) ([]netip.Prefix, error) {
	blocks, err := tx.VPCCIDRBlocks([]string{v.ID})
	if err != nil {
		return nil, err
	}
	out := []netip.Prefix{v.CIDR}
	for _, b := range blocks {
		out = append(out, b.CIDR)
	}
	return out, nil
}

// secondaryBlockViews returns the CidrBlockAssociationSet entries of a
// VPC's secondary blocks, for describe-vpcs.
func secondaryBlockViews(tx *store.Tx, vpcID string) ([]CidrBlockAssociation, error) {
	blocks, err := tx.VPCCIDRBlocks([]string{vpcID})
	if err != nil {
		return nil, err
	}
	out := make([]CidrBlockAssociation, 0, len(blocks))
	for _, b := range blocks {
		out = append(out, CidrBlockAssociation{AssociationID: b.AssociationID, CidrBlock: b.CIDR.String(), CidrBlockState: BlockState{StateCidrBlockAssociated}})
	}
	return out, nil
}

// DisassociateVpcCidrBlockInput is ec2 disassociate-vpc-cidr-block.
type DisassociateVpcCidrBlockInput struct {
	AssociationID string `json:"AssociationId" aws:"required"`
}

// DisassociateVpcCidrBlockOutput is the association removed, in state
// disassociating.
type DisassociateVpcCidrBlockOutput struct {
	Ipv6CidrBlockAssociation *Ipv6CidrAssociation  `json:"Ipv6CidrBlockAssociation,omitempty"`
	CidrBlockAssociation     *CidrBlockAssociation `json:"CidrBlockAssociation,omitempty"`
	VpcID                    string                `json:"VpcId"`
}

// DisassociateVpcCidrBlock removes a secondary IPv4 block or the IPv6
// block of a VPC the caller owns, once no subnet uses it. The primary IPv4
// block stays.
func (a *API) DisassociateVpcCidrBlock(ctx context.Context, in *DisassociateVpcCidrBlockInput) (*DisassociateVpcCidrBlockOutput, error) {
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	notFound := Errorf(ErrCodeInvalidVpcCidrAssociationNotFound, "The vpc CIDR block association ID '%s' does not exist", in.AssociationID)
	if !strings.HasPrefix(in.AssociationID, vpcCidrAssocPrefix) {
		return nil, notFound
	}
	var out *DisassociateVpcCidrBlockOutput
	err := a.write(ctx, func(tx *store.Tx) error {
		vpcs, err := tx.VPCs(a.caller.Account, a.caller.Region, nil)
		if err != nil {
			return err
		}
		for _, v := range vpcs {
			switch in.AssociationID {
			case vpcPrimaryAssocID(v.ID):
				return Errorf(ErrCodeOperationNotPermitted, "The vpc CIDR block with association ID %s may not be disassociated. It is the primary IPv4 CIDR block of the VPC", in.AssociationID)
			case vpcIPv6AssocID(v.ID):
				if !v.IPv6CIDR.IsValid() {
					continue
				}
				subnets, err := tx.SubnetsOfVPC(v.ID)
				if err != nil {
					return err
				}
				for _, s := range subnets {
					if s.IPv6CIDR.IsValid() {
						return Errorf(ErrCodeDependencyViolation, "The IPv6 CIDR block %s of %s is in use by subnet %s: disassociate the subnet's IPv6 block first.", v.IPv6CIDR, v.ID, s.ID)
					}
				}
				if err := tx.SetVPCIPv6CIDR(v.ID, netip.Prefix{}); err != nil {
					return err
				}
				out = &DisassociateVpcCidrBlockOutput{VpcID: v.ID, Ipv6CidrBlockAssociation: &Ipv6CidrAssociation{AssociationID: in.AssociationID,
					Ipv6CidrBlock: v.IPv6CIDR.String(), Ipv6CidrBlockState: BlockState{StateCidrBlockDisassociating}, NetworkBorderGroup: v.Region, Ipv6Pool: "Amazon"}}
				return nil
			}
		}
		b, err := tx.VPCCIDRBlock(in.AssociationID)
		if err != nil {
			if err == store.ErrNotFound {
				return notFound
			}
			return err
		}
		v, err := tx.VPC(b.VPCID)
		if err != nil {
			return err
		}
		if v.Account != a.caller.Account || v.Region != a.caller.Region {
			return notFound
		}
		subnets, err := tx.SubnetsOfVPC(v.ID)
		if err != nil {
			return err
		}
		for _, s := range subnets {
			if s.CIDR.IsValid() && b.CIDR.Overlaps(s.CIDR) {
				return Errorf(ErrCodeDependencyViolation, "The CIDR block %s of %s is in use by subnet %s.", b.CIDR, v.ID, s.ID)
			}
		}
		if err := tx.DeleteVPCCIDRBlock(b.AssociationID); err != nil {
			return err
		}
		out = &DisassociateVpcCidrBlockOutput{VpcID: v.ID, CidrBlockAssociation: &CidrBlockAssociation{AssociationID: b.AssociationID,
			CidrBlock: b.CIDR.String(), CidrBlockState: BlockState{StateCidrBlockDisassociating}}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SubnetIpv6CidrBlockAssociation is a subnet's IPv6 block, in
// Subnet.Ipv6CidrBlockAssociationSet and the subnet CIDR actions (the
// model's shape has no NetworkBorderGroup or Ipv6Pool, which a VPC's
// Ipv6CidrAssociation has).
type SubnetIpv6CidrBlockAssociation struct {
	AssociationID      string     `json:"AssociationId"`
	Ipv6CidrBlock      string     `json:"Ipv6CidrBlock"`
	Ipv6CidrBlockState BlockState `json:"Ipv6CidrBlockState"`
}

// AssociateSubnetCidrBlockInput is ec2 associate-subnet-cidr-block.
type AssociateSubnetCidrBlockInput struct {
	Ipv6CidrBlock string `json:"Ipv6CidrBlock" aws:"required"`
	SubnetID      string `json:"SubnetId" aws:"required"`
}

// AssociateSubnetCidrBlockOutput is the association made, in state
// associating.
type AssociateSubnetCidrBlockOutput struct {
	Ipv6CidrBlockAssociation *SubnetIpv6CidrBlockAssociation `json:"Ipv6CidrBlockAssociation,omitempty"`
	SubnetID                 string                          `json:"SubnetId"`
}

// AssociateSubnetCidrBlock gives a subnet of the caller an IPv6 /64 inside
// its VPC's /56 that no other subnet has.
func (a *API) AssociateSubnetCidrBlock(ctx context.Context, in *AssociateSubnetCidrBlockInput) (*AssociateSubnetCidrBlockOutput, error) {
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	p, err := netip.ParsePrefix(in.Ipv6CidrBlock)
	if err != nil || !p.Addr().Is6() || p.Addr().Is4In6() || p.Masked() != p {
		return nil, invalidValue("Value (%s) for parameter ipv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.", in.Ipv6CidrBlock)
	}
	var out *AssociateSubnetCidrBlockOutput
	err = a.write(ctx, func(tx *store.Tx) error {
		s, err := a.ownedSubnet(tx, in.SubnetID)
		if err != nil {
			return err
		}
		if s.IPv6CIDR.IsValid() {
			return Errorf(ErrCodeCidrLimitExceeded, "The subnet %s already has the IPv6 CIDR block %s: a subnet has at most one.", s.ID, s.IPv6CIDR)
		}
		v, err := tx.VPC(s.VPCID)
		if err != nil {
			return err
		}
		if !v.IPv6CIDR.IsValid() {
			return Errorf(ErrCodeInvalidSubnetRange, "The VPC %s has no IPv6 CIDR block: associate one first (associate-vpc-cidr-block --amazon-provided-ipv6-cidr-block).", v.ID)
		}
		if p.Bits() != 64 || !v.IPv6CIDR.Contains(p.Addr()) {
			return Errorf(ErrCodeInvalidSubnetRange, "The IPv6 CIDR '%s' is invalid: a subnet's IPv6 block is a /64 inside the VPC's %s.", in.Ipv6CidrBlock, v.IPv6CIDR)
		}
		others, err := tx.SubnetsOfVPC(v.ID)
		if err != nil {
			return err
		}
		for _, o := range others {
			if o.IPv6CIDR == p {
				return Errorf(ErrCodeInvalidSubnetConflict, "The CIDR '%s' conflicts with another subnet", in.Ipv6CidrBlock)
			}
		}
		if err := tx.SetSubnetIPv6CIDR(s.ID, p); err != nil {
			return err
		}
		out = &AssociateSubnetCidrBlockOutput{SubnetID: s.ID, Ipv6CidrBlockAssociation: &SubnetIpv6CidrBlockAssociation{
			AssociationID: subnetIPv6AssocID(s.ID), Ipv6CidrBlock: p.String(), Ipv6CidrBlockState: BlockState{StateCidrBlockAssociating}}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DisassociateSubnetCidrBlockInput is ec2 disassociate-subnet-cidr-block.
type DisassociateSubnetCidrBlockInput struct {
	AssociationID string `json:"AssociationId" aws:"required"`
}

// DisassociateSubnetCidrBlockOutput is the association removed, in state
// disassociating.
type DisassociateSubnetCidrBlockOutput struct {
	Ipv6CidrBlockAssociation *SubnetIpv6CidrBlockAssociation `json:"Ipv6CidrBlockAssociation,omitempty"`
	SubnetID                 string                          `json:"SubnetId"`
}

// DisassociateSubnetCidrBlock removes the IPv6 block of a subnet of the
// caller once no address of it is in use; an IPv6-only subnet keeps its
// only block.
func (a *API) DisassociateSubnetCidrBlock(ctx context.Context, in *DisassociateSubnetCidrBlockInput) (*DisassociateSubnetCidrBlockOutput, error) {
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	notFound := Errorf(ErrCodeInvalidSubnetCidrAssociationNotFound, "The subnet CIDR block association ID '%s' does not exist", in.AssociationID)
	subnetID := "subnet-" + strings.TrimPrefix(in.AssociationID, subnetCidrAssocPrefix)
	if !strings.HasPrefix(in.AssociationID, subnetCidrAssocPrefix) || !names.ValidID(names.Subnet, subnetID) {
		return nil, notFound
	}
	var out *DisassociateSubnetCidrBlockOutput
	err := a.write(ctx, func(tx *store.Tx) error {
		s, err := a.ownedSubnet(tx, subnetID)
		if _, refused := AsError(err); refused {
			return notFound
		}
		if err != nil {
			return err
		}
		if !s.IPv6CIDR.IsValid() {
			return notFound
		}
		if s.IPv6Native || !s.CIDR.IsValid() {
			return Errorf(ErrCodeOperationNotPermitted, "The IPv6 CIDR block of the IPv6-only subnet %s cannot be disassociated.", s.ID)
		}
		owner, err := tx.AddressInUse(s.ID, s.IPv6CIDR)
		if err != nil {
			return err
		}
		if owner != "" {
			return Errorf(ErrCodeDependencyViolation, "The IPv6 CIDR block %s of subnet %s is in use by %s.", s.IPv6CIDR, s.ID, owner)
		}
		if err := tx.SetSubnetIPv6CIDR(s.ID, netip.Prefix{}); err != nil {
			return err
		}
		out = &DisassociateSubnetCidrBlockOutput{SubnetID: s.ID, Ipv6CidrBlockAssociation: &SubnetIpv6CidrBlockAssociation{
			AssociationID: in.AssociationID, Ipv6CidrBlock: s.IPv6CIDR.String(), Ipv6CidrBlockState: BlockState{StateCidrBlockDisassociating}}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

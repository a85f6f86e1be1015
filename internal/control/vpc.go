package control

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/plink-dev/plink/internal/names"
	"github.com/plink-dev/plink/internal/store"
)

// Vpc is the EC2 Vpc shape.
type Vpc struct {
	CidrBlock                   string                 `json:"CidrBlock"`
	DhcpOptionsID               string                 `json:"DhcpOptionsId"`
	State                       string                 `json:"State"`
	VpcID                       string                 `json:"VpcId"`
	OwnerID                     string                 `json:"OwnerId"`
	InstanceTenancy             string                 `json:"InstanceTenancy"`
	Ipv6CidrBlockAssociationSet []Ipv6CidrAssociation  `json:"Ipv6CidrBlockAssociationSet"`
	CidrBlockAssociationSet     []CidrBlockAssociation `json:"CidrBlockAssociationSet"`
	IsDefault                   bool                   `json:"IsDefault"`
	Tags                        []Tag                  `json:"Tags" locationName:"tagSet"`
}

// Ipv6CidrAssociation is an IPv6 block of a VPC (the model's
// VpcIpv6CidrBlockAssociation; a subnet's is SubnetIpv6CidrBlockAssociation).
type Ipv6CidrAssociation struct {
	AssociationID      string     `json:"AssociationId"`
	Ipv6CidrBlock      string     `json:"Ipv6CidrBlock"`
	Ipv6CidrBlockState BlockState `json:"Ipv6CidrBlockState"`
	NetworkBorderGroup string     `json:"NetworkBorderGroup,omitempty"`
	Ipv6Pool           string     `json:"Ipv6Pool,omitempty"`
}

// CidrBlockAssociation is an IPv4 block of a VPC.
type CidrBlockAssociation struct {
	AssociationID  string     `json:"AssociationId"`
	CidrBlock      string     `json:"CidrBlock"`
	CidrBlockState BlockState `json:"CidrBlockState"`
}

// BlockState is {"State": "associated"}.
type BlockState struct {
	State string `json:"State"`
}

// Subnet is the EC2 Subnet shape.
type Subnet struct {
	AvailabilityZone            string                           `json:"AvailabilityZone"`
	AvailabilityZoneID          string                           `json:"AvailabilityZoneId"`
	AvailableIPAddressCount     int                              `json:"AvailableIpAddressCount"`
	CidrBlock                   string                           `json:"CidrBlock,omitempty"`
	DefaultForAz                bool                             `json:"DefaultForAz"`
	MapPublicIPOnLaunch         bool                             `json:"MapPublicIpOnLaunch"`
	State                       string                           `json:"State"`
	SubnetID                    string                           `json:"SubnetId"`
	VpcID                       string                           `json:"VpcId"`
	OwnerID                     string                           `json:"OwnerId"`
	AssignIpv6AddressOnCreation bool                             `json:"AssignIpv6AddressOnCreation"`
	Ipv6CidrBlockAssociationSet []SubnetIpv6CidrBlockAssociation `json:"Ipv6CidrBlockAssociationSet"`
	SubnetArn                   string                           `json:"SubnetArn"`
	Ipv6Native                  bool                             `json:"Ipv6Native"`
	Tags                        []Tag                            `json:"Tags" locationName:"tagSet"`
}

// ensureDefaultVPC makes sure the caller's default VPC exists before a
// read: describing is a use of the account, and the default VPC appears on
// first use. Writes do the same inside their own transaction (see write), so
// a refused write leaves no default VPC behind.
func (a *API) ensureDefaultVPC(ctx context.Context) error {
	found := false
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		_, err := tx.DefaultVPC(a.caller.Account, a.caller.Region)
		if err == nil {
			found = true
			return nil
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil || found || isDryRun(ctx) || isReadOnly(ctx) {
		return err
	}
	err = a.st.Write(ctx, a.ensureDefaultVPCTx)
	if errors.Is(err, store.ErrReadOnly) {
		return nil // a read-only store is described as it is
	}
	return err
}

// ensureDefaultVPCTx creates the caller's default VPC when it is missing: a
// free 127.N.0.0/16 (N from 16 up) with one /20 subnet per zone and the
// default security group.
func (a *API) ensureDefaultVPCTx(tx *store.Tx) error {
	if _, err := tx.DefaultVPC(a.caller.Account, a.caller.Region); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	for n := 16; n < 256; n++ {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{127, byte(n), 0, 0}), 16)
		if id, err := tx.OverlappingVPC(p); err != nil {
			return err
		} else if id != "" {
			continue
		}
		_, err := a.createVPC(tx, p, false, true)
		return err
	}
	return Errorf(ErrCodeVpcLimitExceeded, "no free 127.N.0.0/16 block is left for a default VPC")
}

// createVPC inserts a VPC, its default security group and, for a default
// VPC, its subnets.
func (a *API) createVPC(tx *store.Tx, p netip.Prefix, ipv6, isDefault bool) (store.VPC, error) {
	// DNS attributes as AWS sets them: both on for a default VPC, only
	// enableDnsSupport for another (see vpc_attribute.go).
	v := store.VPC{ID: names.NewID(names.VPC), Account: a.caller.Account, Region: a.caller.Region, CIDR: p,
		IsDefault: isDefault, State: StateVpcAvailable, CreatedAt: timestamp(a.now()),
		EnableDNSSupport: true, EnableDNSHostnames: isDefault}
	if ipv6 {
		c, err := allocateVPCIPv6(tx)
		if err != nil {
			return v, err
		}
		v.IPv6CIDR = c
	}
	if err := tx.InsertVPC(v); err != nil {
		return v, err
	}
	sg := store.SecurityGroup{ID: names.NewID(names.SecurityGroup), VPCID: v.ID, Account: v.Account, Region: v.Region,
		Name: "default", Description: "default VPC security group", CreatedAt: v.CreatedAt}
	if err := tx.InsertSecurityGroup(sg); err != nil {
		return v, err
	}
	// plink's default group admits all inbound TCP, so a new endpoint works
	// out of the box; AWS's admits only the group itself.
	for _, c := range []string{"0.0.0.0/0", "::/0"} {
		r := store.SGRule{ID: names.NewID(names.SGRule), GroupID: sg.ID, Protocol: "tcp", FromPort: 0, ToPort: 65535, CIDR: netip.MustParsePrefix(c)}
		if _, err := tx.InsertSGRule(r); err != nil {
			return v, err
		}
	}
	if isDefault {
		base := p.Addr().As4()
		for i, z := range names.Zones {
			sp := netip.PrefixFrom(netip.AddrFrom4([4]byte{base[0], base[1], byte(16 * i), 0}), 20)
			s := store.Subnet{ID: names.NewID(names.Subnet), VPCID: v.ID, Account: v.Account, Region: v.Region,
				Zone: v.Region + z, CIDR: sp, IsDefault: true, CreatedAt: v.CreatedAt}
			if err := tx.InsertSubnet(s); err != nil {
				return v, err
			}
		}
	}
	return v, nil
}

func mustHexBytes(h string) []byte {
	out := make([]byte, len(h)/2)
	for i := range out {
		n, _ := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		out[i] = byte(n)
	}
	return out
}

// CreateVpcInput is ec2 create-vpc.
//
// plink has no IPAM pools and no BYOIP IPv6 pools: Ipv4IpamPoolId,
// Ipv4NetmaskLength, Ipv6IpamPoolId, Ipv6NetmaskLength, Ipv6Pool and
// Ipv6CidrBlock are refused when given (InvalidParameterValue), as
// associate-vpc-cidr-block refuses them. Ipv6CidrBlockNetworkBorderGroup
// is taken when it is the region (plink's one border group, the default)
// with AmazonProvidedIpv6CidrBlock, else refused. InstanceTenancy default
// is taken; dedicated is refused (InvalidParameterValue: plink has no
// instances and its VPCs are of default tenancy), host too, as AWS refuses
// it.
type CreateVpcInput struct {
	CidrBlock                       string             `json:"CidrBlock"`
	AmazonProvidedIpv6CidrBlock     bool               `json:"AmazonProvidedIpv6CidrBlock"`
	Ipv6Pool                        string             `json:"Ipv6Pool"`
	Ipv6CidrBlock                   string             `json:"Ipv6CidrBlock"`
	Ipv4IpamPoolID                  string             `json:"Ipv4IpamPoolId"`
	Ipv4NetmaskLength               int                `json:"Ipv4NetmaskLength"`
	Ipv6IpamPoolID                  string             `json:"Ipv6IpamPoolId"`
	Ipv6NetmaskLength               int                `json:"Ipv6NetmaskLength"`
	InstanceTenancy                 string             `json:"InstanceTenancy"`
	Ipv6CidrBlockNetworkBorderGroup string             `json:"Ipv6CidrBlockNetworkBorderGroup"`
	TagSpecifications               []TagSpecification `json:"TagSpecifications" locationName:"TagSpecification"`
	DryRun                          bool               `json:"DryRun"`
}

// CreateVpcOutput is {"Vpc": {...}}.
type CreateVpcOutput struct {
	Vpc *Vpc `json:"Vpc"`
}

// CreateVpc creates a VPC. Its IPv4 block must not overlap any VPC in the
// store: every address here is a real address on one host.
func (a *API) CreateVpc(ctx context.Context, in *CreateVpcInput) (*CreateVpcOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.CreateVpc)
	}
	switch {
	case in.Ipv4IpamPoolID != "" || in.Ipv6IpamPoolID != "" || in.Ipv4NetmaskLength != 0 || in.Ipv6NetmaskLength != 0:
		return nil, invalidValue("plink has no IPAM pools: give --cidr-block (and --amazon-provided-ipv6-cidr-block).")
	case in.Ipv6Pool != "" || in.Ipv6CidrBlock != "":
		return nil, invalidValue("plink has no BYOIP IPv6 pools: use --amazon-provided-ipv6-cidr-block.")
	case in.Ipv6CidrBlockNetworkBorderGroup != "" && !in.AmazonProvidedIpv6CidrBlock:
		return nil, Errorf(ErrCodeInvalidParameterCombination, "Ipv6CidrBlockNetworkBorderGroup needs AmazonProvidedIpv6CidrBlock.")
	case in.Ipv6CidrBlockNetworkBorderGroup != "" && in.Ipv6CidrBlockNetworkBorderGroup != a.caller.Region:
		return nil, invalidValue("The network border group '%s' is invalid: plink's only one is the region, %s.", in.Ipv6CidrBlockNetworkBorderGroup, a.caller.Region)
	}
	switch in.InstanceTenancy {
	case "", "default":
	case "host":
		return nil, invalidValue("The host value cannot be used with this parameter. Use the default or dedicated values only.")
	case "dedicated":
		return nil, invalidValue("Value (dedicated) for parameter instanceTenancy is not supported: plink has no instances, its VPCs are of default tenancy.")
	default:
		return nil, invalidValue("Value (%s) for parameter instanceTenancy is invalid: default or dedicated.", in.InstanceTenancy)
	}
	if in.CidrBlock == "" {
		return nil, missing("CidrBlock")
	}
	p, err := netip.ParsePrefix(in.CidrBlock)
	if err != nil || !p.Addr().Is4() {
		return nil, invalidValue("Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", in.CidrBlock)
	}
	if p.Masked() != p {
		return nil, invalidValue("Value (%s) for parameter cidrBlock is invalid. The CIDR has bits set beyond its prefix length; did you mean %s?", in.CidrBlock, p.Masked())
	}
	if p.Bits() < 16 || p.Bits() > 28 {
		return nil, Errorf(ErrCodeInvalidVpcRange, "The CIDR '%s' is invalid: a VPC block is between /16 and /28.", in.CidrBlock)
	}
	tags, err := tagsFor(in.TagSpecifications, "vpc")
	if err != nil {
		return nil, err
	}
	var out *Vpc
	err = a.write(ctx, func(tx *store.Tx) error {
		if id, err := tx.OverlappingVPC(p); err != nil {
			return err
		} else if id != "" {
			return Errorf(ErrCodeInvalidVpcRange, "The CIDR '%s' overlaps %s: VPC blocks in one plink store must not overlap (every address is a real address on this host).", in.CidrBlock, id)
		}
		v, err := a.createVPC(tx, p, in.AmazonProvidedIpv6CidrBlock, false)
		if err != nil {
			return err
		}
		if err := putTags(tx, v.ID, tags, ErrCodeTagLimitExceeded); err != nil {
			return err
		}
		out, err = a.vpcView(tx, v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &CreateVpcOutput{Vpc: out}, nil
}

func (a *API) vpcView(tx *store.Tx, v store.VPC) (*Vpc, error) {
	tags, err := a.tags(tx, v.ID)
	if err != nil {
		return nil, err
	}
	out := &Vpc{CidrBlock: v.CIDR.String(), DhcpOptionsID: "default", State: v.State, VpcID: v.ID, OwnerID: v.Account,
		InstanceTenancy: "default", IsDefault: v.IsDefault, Tags: tags, Ipv6CidrBlockAssociationSet: []Ipv6CidrAssociation{},
		CidrBlockAssociationSet: []CidrBlockAssociation{{AssociationID: vpcPrimaryAssocID(v.ID), CidrBlock: v.CIDR.String(), CidrBlockState: BlockState{StateCidrBlockAssociated}}}}
	secondary, err := secondaryBlockViews(tx, v.ID)
	if err != nil {
		return nil, err
	}
	out.CidrBlockAssociationSet = append(out.CidrBlockAssociationSet, secondary...)
	if v.IPv6CIDR.IsValid() {
		out.Ipv6CidrBlockAssociationSet = append(out.Ipv6CidrBlockAssociationSet, Ipv6CidrAssociation{
			AssociationID: vpcIPv6AssocID(v.ID), Ipv6CidrBlock: v.IPv6CIDR.String(), Ipv6CidrBlockState: BlockState{StateCidrBlockAssociated},
			NetworkBorderGroup: v.Region, Ipv6Pool: "Amazon"})
	}
	return out, nil
}

func (a *API) tags(tx *store.Tx, id string) ([]Tag, error) {
	kvs, err := tx.Tags(id)
	if err != nil {
		return nil, err
	}
	out := make([]Tag, len(kvs))
	for i, kv := range kvs {
		out[i] = Tag{Key: kv[0], Value: kv[1]}
	}
	return out, nil
}

// tagsFor collects the tags of the specifications for resourceType.
func tagsFor(specs []TagSpecification, resourceType string) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range specs {
		if s.ResourceType != "" && s.ResourceType != resourceType {
			return nil, invalidValue("'%s' is not a valid taggable resource type for this operation.", s.ResourceType)
		}
		for _, t := range s.Tags {
			if err := ec2CheckTag(t); err != nil {
				return nil, err
			}
			out[t.Key] = t.Value
			if len(out) > maxTagsPerResource {
				return nil, Errorf(ErrCodeTagLimitExceeded, "The maximum number of tags per resource is %d.", maxTagsPerResource)
			}
		}
	}
	return out, nil
}

// DescribeVpcsInput is ec2 describe-vpcs.
type DescribeVpcsInput struct {
	Filters []Filter `json:"Filters" locationName:"Filter"`
	VpcIDs  []string `json:"VpcIds" locationName:"VpcId"`
	DryRun  bool     `json:"DryRun"`
	EC2Paging
}

// DescribeVpcsOutput is {"Vpcs": [...]}.
type DescribeVpcsOutput struct {
	Vpcs      []Vpc  `json:"Vpcs" locationName:"vpcSet"`
	NextToken string `json:"NextToken,omitempty"`
}

// DescribeVpcs lists the caller's VPCs.
func (a *API) DescribeVpcs(ctx context.Context, in *DescribeVpcsInput) (*DescribeVpcsOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DescribeVpcs)
	}
	if err := checkPaging(a, in); err != nil {
		return nil, err
	}
	if err := a.ensureDefaultVPC(ctx); err != nil {
		return nil, err
	}
	if err := checkIDs(names.VPC, "Vpc", in.VpcIDs); err != nil {
		return nil, err
	}
	out := &DescribeVpcsOutput{Vpcs: []Vpc{}}
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.VPCs(a.caller.Account, a.caller.Region, in.VpcIDs)
		if err != nil {
			return err
		}
		if err := missingIDs(in.VpcIDs, len(rows), func(i int) string { return rows[i].ID }, ErrCodeInvalidVpcIDNotFound, "The vpc ID '%s' does not exist"); err != nil {
			return err
		}
		for _, r := range rows {
			v, err := a.vpcView(tx, r)
			if err != nil {
				return err
			}
			out.Vpcs = append(out.Vpcs, *v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Vpcs, err = applyFilters(out.Vpcs, in.Filters, vpcFilters)
	if err != nil {
		return nil, err
	}
	out.Vpcs, out.NextToken, err = pageEC2(a, in, out.Vpcs, func(v Vpc) string { return v.VpcID })
	return out, err
}

// checkIDs refuses malformed IDs with Invalid<kind>Id.Malformed.
func checkIDs(prefix, kind string, ids []string) error {
	if err := checkListLen(ErrCodeInvalidParameterValue, kind+"Ids", len(ids), maxIDsPerRequest); err != nil {
		return err
	}
	for _, id := range ids {
		if !names.ValidID(prefix, id) {
			return malformed(kind, id)
		}
	}
	return nil
}

// missingIDs reports the first requested ID that was not found.
func missingIDs(want []string, n int, got func(int) string, code, format string) error {
	if len(want) == 0 {
		return nil
	}
	have := map[string]bool{}
	for i := 0; i < n; i++ {
		have[got(i)] = true
	}
	for _, id := range want {
		if !have[id] {
			return Errorf(code, format, id)
		}
	}
	return nil
}

// ownedVPC loads a VPC the caller owns.
func (a *API) ownedVPC(tx *store.Tx, id string) (store.VPC, error) {
	if id == "" {
		return store.VPC{}, missing("VpcId")
	}
	if !names.ValidID(names.VPC, id) {
		return store.VPC{}, malformed("Vpc", id)
	}
	v, err := tx.VPC(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (v.Account != a.caller.Account || v.Region != a.caller.Region)) {
		return store.VPC{}, Errorf(ErrCodeInvalidVpcIDNotFound, "The vpc ID '%s' does not exist", id)
	}
	return v, err
}

// DeleteVpcInput is ec2 delete-vpc.
type DeleteVpcInput struct {
	VpcID  string `json:"VpcId" aws:"required"`
	DryRun bool   `json:"DryRun"`
}

// DeleteVpcOutput is empty: delete-vpc prints nothing.
type DeleteVpcOutput struct{}

// DeleteVpc deletes an empty VPC.
func (a *API) DeleteVpc(ctx context.Context, in *DeleteVpcInput) (*DeleteVpcOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DeleteVpc)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	id := in.VpcID
	return done[DeleteVpcOutput](a.write(ctx, func(tx *store.Tx) error {
		v, err := a.ownedVPC(tx, id)
		if err != nil {
			return err
		}
		dep, err := tx.VPCDependencies(v.ID)
		if err != nil {
			return err
		}
		if dep != "" {
			return Errorf(ErrCodeDependencyViolation, "The vpc '%s' has dependencies and cannot be deleted (%s).", id, dep)
		}
		return tx.DeleteVPC(v.ID)
	}))
}

// CreateSubnetInput is ec2 create-subnet.
//
// AvailabilityZoneId names the zone by its ID (use1-az1, as
// describe-availability-zones prints it) instead of AvailabilityZone; with
// both, they must name the same zone. OutpostArn is refused when given
// (InvalidParameterValue): plink has no Outposts.
type CreateSubnetInput struct {
	TagSpecifications  []TagSpecification `json:"TagSpecifications" locationName:"TagSpecification"`
	AvailabilityZone   string             `json:"AvailabilityZone"`
	AvailabilityZoneID string             `json:"AvailabilityZoneId"`
	OutpostArn         string             `json:"OutpostArn"`
	CidrBlock          string             `json:"CidrBlock"`
	Ipv6CidrBlock      string             `json:"Ipv6CidrBlock"`
	VpcID              string             `json:"VpcId" aws:"required"`
	DryRun             bool               `json:"DryRun"`
	Ipv6Native         bool               `json:"Ipv6Native"`
}

// CreateSubnetOutput is {"Subnet": {...}}.
type CreateSubnetOutput struct {
	Subnet *Subnet `json:"Subnet"`
}

// CreateSubnet creates a subnet inside a VPC's blocks.
func (a *API) CreateSubnet(ctx context.Context, in *CreateSubnetInput) (*CreateSubnetOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.CreateSubnet)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	if in.OutpostArn != "" {
		return nil, invalidValue("The Outpost ARN '%s' is invalid: plink has no Outposts.", in.OutpostArn)
	}
	tags, err := tagsFor(in.TagSpecifications, "subnet")
	if err != nil {
		return nil, err
	}
	var out *Subnet
	err = a.write(ctx, func(tx *store.Tx) error {
		v, err := a.ownedVPC(tx, in.VpcID)
		if err != nil {
			return err
		}
		zone := in.AvailabilityZone
		if in.AvailabilityZoneID != "" {
			byID := ""
			for _, l := range names.Zones {
				if z := a.caller.Region + l; names.ZoneID(z) == in.AvailabilityZoneID {
					byID = z
				}
			}
			switch {
			case byID == "":
				return invalidValue("Value (%s) for parameter availabilityZoneId is invalid. Subnets can currently only be created in the following availability zones: %s, %s, %s.", in.AvailabilityZoneID,
					names.ZoneID(a.caller.Region+"a"), names.ZoneID(a.caller.Region+"b"), names.ZoneID(a.caller.Region+"c"))
			case zone != "" && zone != byID:
				return Errorf(ErrCodeInvalidParameterCombination, "The availability zone %s and the availability zone ID %s (%s) name different zones.", zone, in.AvailabilityZoneID, byID)
			}
			zone = byID
		}
		if zone == "" {
			zone = a.caller.Region + "a"
		}
		if !validZone(a.caller.Region, zone) {
			return invalidValue("Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: %sa, %sb, %sc.", zone, a.caller.Region, a.caller.Region, a.caller.Region)
		}
		s := store.Subnet{ID: names.NewID(names.Subnet), VPCID: v.ID, Account: v.Account, Region: v.Region, Zone: zone,
			IPv6Native: in.Ipv6Native, CreatedAt: timestamp(a.now())}
		existing, err := tx.SubnetsOfVPC(v.ID)
		if err != nil {
			return err
		}
		if in.Ipv6Native {
			if in.CidrBlock != "" {
				return Errorf(ErrCodeInvalidParameterCombination, "An IPv6-native subnet cannot have an IPv4 CIDR block.")
			}
			if in.Ipv6CidrBlock == "" {
				return Errorf(ErrCodeInvalidParameterCombination, "An IPv6-native subnet needs an IPv6 CIDR block (--ipv6-cidr-block).")
			}
		} else {
			if in.CidrBlock == "" {
				return missing("CidrBlock")
			}
			p, err := netip.ParsePrefix(in.CidrBlock)
			if err != nil || !p.Addr().Is4() || p.Masked() != p {
				return invalidValue("Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", in.CidrBlock)
			}
			blocks, err := vpcIPv4Blocks(tx, v)
			if err != nil {
				return err
			}
			if p.Bits() > 28 || !containsFunc(blocks, func(b netip.Prefix) bool { return b.Contains(p.Addr()) && p.Bits() >= b.Bits() }) {
				return Errorf(ErrCodeInvalidSubnetRange, "The CIDR '%s' is invalid.", in.CidrBlock)
			}
			for _, e := range existing {
				if e.CIDR.IsValid() && e.CIDR.Overlaps(p) {
					return Errorf(ErrCodeInvalidSubnetConflict, "The CIDR '%s' conflicts with another subnet", in.CidrBlock)
				}
			}
			s.CIDR = p
		}
		if in.Ipv6CidrBlock != "" {
			p, err := netip.ParsePrefix(in.Ipv6CidrBlock)
			if err != nil || !p.Addr().Is6() || p.Addr().Is4In6() || p.Masked() != p {
				return invalidValue("Value (%s) for parameter ipv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.", in.Ipv6CidrBlock)
			}
			if !v.IPv6CIDR.IsValid() {
				return Errorf(ErrCodeInvalidSubnetRange, "The VPC %s has no IPv6 CIDR block; create it with --amazon-provided-ipv6-cidr-block.", v.ID)
			}
			if p.Bits() != 64 || !v.IPv6CIDR.Contains(p.Addr()) {
				return Errorf(ErrCodeInvalidSubnetRange, "The IPv6 CIDR '%s' is invalid: a subnet's IPv6 block is a /64 inside the VPC's %s.", in.Ipv6CidrBlock, v.IPv6CIDR)
			}
			for _, e := range existing {
				if e.IPv6CIDR == p {
					return Errorf(ErrCodeInvalidSubnetConflict, "The CIDR '%s' conflicts with another subnet", in.Ipv6CidrBlock)
				}
			}
			s.IPv6CIDR = p
		}
		if err := tx.InsertSubnet(s); err != nil {
			return err
		}
		if err := putTags(tx, s.ID, tags, ErrCodeTagLimitExceeded); err != nil {
			return err
		}
		out, err = a.subnetView(tx, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &CreateSubnetOutput{Subnet: out}, nil
}

func validZone(region, zone string) bool {
	for _, z := range names.Zones {
		if zone == region+z {
			return true
		}
	}
	return false
}

func (a *API) subnetView(tx *store.Tx, s store.Subnet) (*Subnet, error) {
	tags, err := a.tags(tx, s.ID)
	if err != nil {
		return nil, err
	}
	out := &Subnet{AvailabilityZone: s.Zone, AvailabilityZoneID: names.ZoneID(s.Zone), DefaultForAz: s.IsDefault,
		MapPublicIPOnLaunch: false, State: StateSubnetAvailable, SubnetID: s.ID, VpcID: s.VPCID, OwnerID: s.Account,
		SubnetArn: fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", s.Region, s.Account, s.ID), Ipv6Native: s.IPv6Native, Tags: tags,
		Ipv6CidrBlockAssociationSet: []SubnetIpv6CidrBlockAssociation{}, AssignIpv6AddressOnCreation: s.IPv6Native}
	if s.CIDR.IsValid() {
		out.CidrBlock = s.CIDR.String()
		out.AvailableIPAddressCount = (1 << (32 - s.CIDR.Bits())) - 5
	}
	if s.IPv6CIDR.IsValid() {
		out.Ipv6CidrBlockAssociationSet = append(out.Ipv6CidrBlockAssociationSet, SubnetIpv6CidrBlockAssociation{
			AssociationID: subnetIPv6AssocID(s.ID), Ipv6CidrBlock: s.IPv6CIDR.String(), Ipv6CidrBlockState: BlockState{StateCidrBlockAssociated}})
	}
	return out, nil
}

// DescribeSubnetsInput is ec2 describe-subnets.
type DescribeSubnetsInput struct {
	Filters   []Filter `json:"Filters" locationName:"Filter"`
	SubnetIDs []string `json:"SubnetIds" locationName:"SubnetId"`
	DryRun    bool     `json:"DryRun"`
	EC2Paging
}

// DescribeSubnetsOutput is {"Subnets": [...]}.
type DescribeSubnetsOutput struct {
	Subnets   []Subnet `json:"Subnets" locationName:"subnetSet"`
	NextToken string   `json:"NextToken,omitempty"`
}

// DescribeSubnets lists the caller's subnets.
func (a *API) DescribeSubnets(ctx context.Context, in *DescribeSubnetsInput) (*DescribeSubnetsOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DescribeSubnets)
	}
	if err := checkPaging(a, in); err != nil {
		return nil, err
	}
	if err := a.ensureDefaultVPC(ctx); err != nil {
		return nil, err
	}
	if err := checkIDs(names.Subnet, "Subnet", in.SubnetIDs); err != nil {
		return nil, err
	}
	out := &DescribeSubnetsOutput{Subnets: []Subnet{}}
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Subnets(a.caller.Account, a.caller.Region, in.SubnetIDs)
		if err != nil {
			return err
		}
		if err := missingIDs(in.SubnetIDs, len(rows), func(i int) string { return rows[i].ID }, ErrCodeInvalidSubnetIDNotFound, "The subnet ID '%s' does not exist"); err != nil {
			return err
		}
		for _, r := range rows {
			s, err := a.subnetView(tx, r)
			if err != nil {
				return err
			}
			out.Subnets = append(out.Subnets, *s)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Subnets, err = applyFilters(out.Subnets, in.Filters, subnetFilters)
	if err != nil {
		return nil, err
	}
	out.Subnets, out.NextToken, err = pageEC2(a, in, out.Subnets, func(v Subnet) string { return v.SubnetID })
	return out, err
}

// ownedSubnet loads a subnet the caller owns.
func (a *API) ownedSubnet(tx *store.Tx, id string) (store.Subnet, error) {
	if !names.ValidID(names.Subnet, id) {
		return store.Subnet{}, malformed("Subnet", id)
	}
	s, err := tx.Subnet(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (s.Account != a.caller.Account || s.Region != a.caller.Region)) {
		return store.Subnet{}, Errorf(ErrCodeInvalidSubnetIDNotFound, "The subnet ID '%s' does not exist", id)
	}
	return s, err
}

// DeleteSubnetInput is ec2 delete-subnet.
type DeleteSubnetInput struct {
	SubnetID string `json:"SubnetId" aws:"required"`
	DryRun   bool   `json:"DryRun"`
}

// DeleteSubnetOutput is empty: delete-subnet prints nothing.
type DeleteSubnetOutput struct{}

// DeleteSubnet deletes a subnet nothing uses.
func (a *API) DeleteSubnet(ctx context.Context, in *DeleteSubnetInput) (*DeleteSubnetOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DeleteSubnet)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	id := in.SubnetID
	return done[DeleteSubnetOutput](a.write(ctx, func(tx *store.Tx) error {

		s, err := a.ownedSubnet(tx, id)
		if err != nil {
			return err
		}
		owner, err := tx.SubnetInUse(s.ID)
		if err != nil {
			return err
		}
		if owner != "" {
			return Errorf(ErrCodeDependencyViolation, "The subnet '%s' has dependencies and cannot be deleted (%s).", id, owner)
		}
		return tx.DeleteSubnet(s.ID)
	}))
}

package control

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"github.com/plink-dev/plink/internal/names"
	"github.com/plink-dev/plink/internal/store"
)

// SecurityGroup is the EC2 SecurityGroup shape.
type SecurityGroup struct {
	Description         string         `json:"Description" locationName:"groupDescription"`
	GroupName           string         `json:"GroupName"`
	IPPermissions       []IPPermission `json:"IpPermissions"`
	OwnerID             string         `json:"OwnerId"`
	GroupID             string         `json:"GroupId"`
	IPPermissionsEgress []IPPermission `json:"IpPermissionsEgress"`
	VpcID               string         `json:"VpcId"`
	Tags                []Tag          `json:"Tags" locationName:"tagSet"`
}

// IPPermission is one rule set: protocol, ports, source ranges.
type IPPermission struct {
	FromPort         *int              `json:"FromPort,omitempty"`
	IPProtocol       string            `json:"IpProtocol"`
	IPRanges         []IPRange         `json:"IpRanges"`
	Ipv6Ranges       []Ipv6Range       `json:"Ipv6Ranges"`
	PrefixListIDs    []PrefixListID    `json:"PrefixListIds"`
	ToPort           *int              `json:"ToPort,omitempty"`
	UserIDGroupPairs []UserIDGroupPair `json:"UserIdGroupPairs" locationName:"groups"`
}

// PrefixListID is a rule's prefix list source; plink has no prefix
// lists, so rules never carry one (the list is always empty).
type PrefixListID struct {
	Description  string `json:"Description,omitempty"`
	PrefixListID string `json:"PrefixListId"`
}

// UserIDGroupPair is a source security group of a rule: the rule admits
// traffic from the members of GroupId (owned by UserId).
type UserIDGroupPair struct {
	Description string `json:"Description,omitempty"`
	GroupID     string `json:"GroupId,omitempty"`
	GroupName   string `json:"GroupName,omitempty"`
	UserID      string `json:"UserId,omitempty"`
	VpcID       string `json:"VpcId,omitempty"`

	name string // the source group's name, for the group-name filters
}

// SecurityGroupRule is the EC2 SecurityGroupRule shape: one rule with its
// sgr- ID, as authorize-security-group-ingress returns it.
type SecurityGroupRule struct {
	SecurityGroupRuleID string                   `json:"SecurityGroupRuleId"`
	GroupID             string                   `json:"GroupId"`
	GroupOwnerID        string                   `json:"GroupOwnerId"`
	IsEgress            bool                     `json:"IsEgress"`
	IPProtocol          string                   `json:"IpProtocol"`
	FromPort            int                      `json:"FromPort"`
	ToPort              int                      `json:"ToPort"`
	CidrIpv4            string                   `json:"CidrIpv4,omitempty"`
	CidrIpv6            string                   `json:"CidrIpv6,omitempty"`
	ReferencedGroupInfo *ReferencedSecurityGroup `json:"ReferencedGroupInfo,omitempty"`
	Description         string                   `json:"Description,omitempty"`
	Tags                []Tag                    `json:"Tags" locationName:"tagSet"`
}

// ReferencedSecurityGroup is a rule's source group.
type ReferencedSecurityGroup struct {
	GroupID string `json:"GroupId"`
	UserID  string `json:"UserId"`
	VpcID   string `json:"VpcId,omitempty"`
}

// IPRange is an IPv4 source.
type IPRange struct {
	CidrIP      string `json:"CidrIp"`
	Description string `json:"Description,omitempty"`
}

// Ipv6Range is an IPv6 source.
type Ipv6Range struct {
	CidrIpv6    string `json:"CidrIpv6"`
	Description string `json:"Description,omitempty"`
}

// CreateSecurityGroupInput is ec2 create-security-group.
type CreateSecurityGroupInput struct {
	Description       string             `json:"Description" aws:"required" locationName:"GroupDescription"`
	GroupName         string             `json:"GroupName" aws:"required"`
	VpcID             string             `json:"VpcId"` // default: the caller's default VPC
	TagSpecifications []TagSpecification `json:"TagSpecifications" locationName:"TagSpecification"`
	DryRun            bool               `json:"DryRun"`
}

// CreateSecurityGroupOutput is {"GroupId": ...}.
type CreateSecurityGroupOutput struct {
	GroupID          string `json:"GroupId"`
	Tags             []Tag  `json:"Tags,omitempty" locationName:"tagSet"`
	SecurityGroupArn string `json:"SecurityGroupArn"`
}

// CreateSecurityGroup creates a group with no inbound rules.
func (a *API) CreateSecurityGroup(ctx context.Context, in *CreateSecurityGroupInput) (*CreateSecurityGroupOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.CreateSecurityGroup)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	if err := sgCheckText("group name", in.GroupName, maxSGNameLen); err != nil {
		return nil, err
	}
	if strings.HasPrefix(in.GroupName, "sg-") || in.GroupName == "default" {
		return nil, invalidValue("Group name '%s' is invalid: not 'default' and not starting with sg-.", in.GroupName)
	}
	if err := sgCheckText("group description", in.Description, maxSGDescriptionLen); err != nil {
		return nil, err
	}
	tags, err := tagsFor(in.TagSpecifications, "security-group")
	if err != nil {
		return nil, err
	}
	var out *CreateSecurityGroupOutput
	err = a.write(ctx, func(tx *store.Tx) error {
		var v store.VPC
		var err error
		if in.VpcID == "" {
			v, err = tx.DefaultVPC(a.caller.Account, a.caller.Region)
		} else {
			v, err = a.ownedVPC(tx, in.VpcID)
		}
		if err != nil {
			return err
		}
		taken, err := tx.SecurityGroupNameTaken(v.ID, in.GroupName)
		if err != nil {
			return err
		}
		if taken {
			return Errorf(ErrCodeInvalidGroupDuplicate, "The security group '%s' already exists for VPC '%s'", in.GroupName, v.ID)
		}
		g := store.SecurityGroup{ID: names.NewID(names.SecurityGroup), VPCID: v.ID, Account: v.Account, Region: v.Region,
			Name: in.GroupName, Description: in.Description, CreatedAt: timestamp(a.now())}
		if err := tx.InsertSecurityGroup(g); err != nil {
			return err
		}
		if err := putTags(tx, g.ID, tags, ErrCodeTagLimitExceeded); err != nil {
			return err
		}
		t, err := a.tags(tx, g.ID)
		out = &CreateSecurityGroupOutput{GroupID: g.ID, Tags: t, SecurityGroupArn: securityGroupArn(g)}
		return err
	})
	return out, err
}

// IngressInput is what authorize- and revoke-security-group-ingress
// share: the group, and either one rule (IpProtocol, FromPort, ToPort, and
// CidrIp or a source group: SourceSecurityGroupName with
// SourceSecurityGroupOwnerId, the AWS CLI's --source-group and
// --group-owner) or IpPermissions. CidrIp may be an IPv6 block too.
type IngressInput struct {
	CidrIP                     string         `json:"CidrIp"`
	FromPort                   *int           `json:"FromPort"`
	GroupID                    string         `json:"GroupId"`
	GroupName                  string         `json:"GroupName"` // in the default VPC, when GroupId is empty
	IPPermissions              []IPPermission `json:"IpPermissions"`
	IPProtocol                 string         `json:"IpProtocol"`
	SourceSecurityGroupName    string         `json:"SourceSecurityGroupName"`
	SourceSecurityGroupOwnerID string         `json:"SourceSecurityGroupOwnerId"`
	ToPort                     *int           `json:"ToPort"`
	DryRun                     bool           `json:"DryRun"`
}

// AuthorizeSecurityGroupIngressInput is ec2 authorize-security-group-ingress.
type AuthorizeSecurityGroupIngressInput struct {
	IngressInput
	TagSpecifications []TagSpecification `json:"TagSpecifications" locationName:"TagSpecification"`
}

// AuthorizeSecurityGroupIngressOutput is {"Return": true,
// "SecurityGroupRules": [...]}: the rules added, with their IDs.
type AuthorizeSecurityGroupIngressOutput struct {
	Return             bool                `json:"Return"`
	SecurityGroupRules []SecurityGroupRule `json:"SecurityGroupRules" locationName:"securityGroupRuleSet"`
}

// RevokeSecurityGroupIngressInput is ec2 revoke-security-group-ingress:
// the rules by value (IngressInput) or by ID (SecurityGroupRuleIds).
type RevokeSecurityGroupIngressInput struct {
	IngressInput
	SecurityGroupRuleIDs []string `json:"SecurityGroupRuleIds" locationName:"SecurityGroupRuleId"`
}

// RevokeSecurityGroupIngressOutput is {"Return": true}.
type RevokeSecurityGroupIngressOutput struct {
	Return bool `json:"Return"`
}

// ownedGroup loads a group the caller owns.
func (a *API) ownedGroup(tx *store.Tx, id, name string) (store.SecurityGroup, error) {
	if id == "" && name != "" {
		v, err := tx.DefaultVPC(a.caller.Account, a.caller.Region)
		if err != nil {
			return store.SecurityGroup{}, err
		}
		g, err := tx.SecurityGroupByName(v.ID, name)
		if errors.Is(err, store.ErrNotFound) {
			return g, Errorf(ErrCodeInvalidGroupNotFound, "The security group '%s' does not exist in default VPC '%s'", name, v.ID)
		}
		return g, err
	}
	if id == "" {
		return store.SecurityGroup{}, missing("GroupId")
	}
	if !names.ValidID(names.SecurityGroup, id) {
		return store.SecurityGroup{}, malformed("Group", id)
	}
	g, err := tx.SecurityGroup(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (g.Account != a.caller.Account || g.Region != a.caller.Region)) {
		return store.SecurityGroup{}, Errorf(ErrCodeInvalidGroupNotFound, "The security group '%s' does not exist", id)
	}
	return g, err
}

// rules turns the input into store rules of group g, resolving source
// groups (by ID, or by name in g's VPC) in tx.
func (a *API) rules(tx *store.Tx, in IngressInput, g store.SecurityGroup) ([]store.SGRule, error) {
	perms := in.IPPermissions
	if len(perms) == 0 {
		source := in.SourceSecurityGroupName != "" || in.SourceSecurityGroupOwnerID != ""
		if in.IPProtocol == "" && !source {
			return nil, missing("IpProtocol")
		}
		if in.CidrIP == "" && !source {
			return nil, missing("CidrIp")
		}
		if in.CidrIP != "" && source {
			return nil, Errorf(ErrCodeInvalidParameterCombination, "The parameter CidrIp cannot be used with the parameter SourceSecurityGroupName.")
		}
		proto := in.IPProtocol
		if proto == "" {
			proto = "-1" // a source group alone admits all of its traffic
		}
		p := IPPermission{IPProtocol: proto}
		if (in.FromPort != nil && *in.FromPort != -1) || (in.ToPort != nil && *in.ToPort != -1) {
			p.FromPort, p.ToPort = in.FromPort, in.ToPort
		}
		switch {
		case source:
			if in.SourceSecurityGroupName == "" {
				return nil, missing("SourceSecurityGroupName")
			}
			pair := UserIDGroupPair{UserID: in.SourceSecurityGroupOwnerID}
			if strings.HasPrefix(in.SourceSecurityGroupName, names.SecurityGroup+"-") {
				pair.GroupID = in.SourceSecurityGroupName
			} else {
				pair.GroupName = in.SourceSecurityGroupName
			}
			p.UserIDGroupPairs = []UserIDGroupPair{pair}
		case strings.Contains(in.CidrIP, ":"):
			p.Ipv6Ranges = []Ipv6Range{{CidrIpv6: in.CidrIP}}
		default:
			p.IPRanges = []IPRange{{CidrIP: in.CidrIP}}
		}
		perms = []IPPermission{p}
	}
	var out []store.SGRule
	for _, p := range perms {
		proto := strings.ToLower(p.IPProtocol)
		switch proto {
		case "tcp", "6":
			proto = "tcp"
		case "udp", "17":
			proto = "udp"
		case "icmp", "1":
			proto = "icmp"
		case "-1", "all":
			proto = "-1"
		default:
			return nil, invalidValue("Invalid value '%s' for IP protocol. Unknown protocol.", p.IPProtocol)
		}
		from, to := 0, 65535
		if proto == "-1" {
			from, to = -1, -1
		} else if p.FromPort != nil || p.ToPort != nil {
			if p.FromPort == nil || p.ToPort == nil {
				return nil, missing("FromPort and ToPort")
			}
			from, to = *p.FromPort, *p.ToPort
			if proto != "icmp" && (from < 0 || to > 65535 || from > to) {
				return nil, Errorf(ErrCodeInvalidParameterValue, "Invalid port range %d-%d: ports are 0-65535, from <= to.", from, to)
			}
		} else if proto == "tcp" || proto == "udp" {
			return nil, Errorf(ErrCodeInvalidParameterValue, "Invalid TCP/UDP port range: give --port.")
		}
		var cidrs, descs []string
		for _, r := range p.IPRanges {
			cidrs, descs = append(cidrs, r.CidrIP), append(descs, r.Description)
		}
		for _, r := range p.Ipv6Ranges {
			cidrs, descs = append(cidrs, r.CidrIpv6), append(descs, r.Description)
		}
		if len(cidrs) == 0 && len(p.UserIDGroupPairs) == 0 {
			return nil, missing("IpRanges")
		}
		for i, c := range cidrs {
			pre, err := netip.ParsePrefix(c)
			if err != nil {
				return nil, invalidValue("Value (%s) for parameter cidrIp is invalid. This is not a valid CIDR block.", c)
			}
			if err := sgCheckText("rule description", descs[i], maxSGDescriptionLen); err != nil {
				return nil, err
			}
			out = append(out, store.SGRule{ID: names.NewID(names.SGRule), GroupID: g.ID, Protocol: proto, FromPort: from, ToPort: to,
				CIDR: pre.Masked(), Description: descs[i]})
		}
		for _, pair := range p.UserIDGroupPairs {
			src, err := a.sourceGroup(tx, pair, g)
			if err != nil {
				return nil, err
			}
			if err := sgCheckText("rule description", pair.Description, maxSGDescriptionLen); err != nil {
				return nil, err
			}
			out = append(out, store.SGRule{ID: names.NewID(names.SGRule), GroupID: g.ID, Protocol: proto, FromPort: from, ToPort: to,
				Description: pair.Description, SourceGroup: src.ID, SourceOwner: src.Account})
		}
	}
	return out, nil
}

// sourceGroup resolves a rule's source group: by GroupId, or by GroupName
// in the VPC of g. It must be in g's VPC (plink has no VPC peering), and
// owned by UserId when that is given.
func (a *API) sourceGroup(tx *store.Tx, pair UserIDGroupPair, g store.SecurityGroup) (store.SecurityGroup, error) {
	var src store.SecurityGroup
	var err error
	switch {
	case pair.GroupID != "":
		if !names.ValidID(names.SecurityGroup, pair.GroupID) {
			return src, malformed("Group", pair.GroupID)
		}
		src, err = tx.SecurityGroup(pair.GroupID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && src.Region != g.Region) {
			return src, Errorf(ErrCodeInvalidGroupNotFound, "The security group '%s' does not exist", pair.GroupID)
		}
	case pair.GroupName != "":
		src, err = tx.SecurityGroupByName(g.VPCID, pair.GroupName)
		if errors.Is(err, store.ErrNotFound) {
			return src, Errorf(ErrCodeInvalidGroupNotFound, "The security group '%s' does not exist in VPC '%s'", pair.GroupName, g.VPCID)
		}
	default:
		return src, missing("UserIdGroupPairs.GroupId")
	}
	if err != nil {
		return src, err
	}
	owner := pair.UserID
	if owner == "" {
		owner = a.caller.Account
	}
	if src.Account != owner {
		return src, Errorf(ErrCodeInvalidGroupNotFound, "The security group '%s' does not exist", src.ID)
	}
	if src.VPCID != g.VPCID {
		return src, invalidValue("You have specified two resources that belong to different networks.")
	}
	return src, nil
}

// securityGroupArn is a group's ARN: arn:aws:ec2:<region>:<account>:security-group/<id>.
func securityGroupArn(g store.SecurityGroup) string {
	return "arn:aws:ec2:" + g.Region + ":" + g.Account + ":security-group/" + g.ID
}

// ruleView is a store rule as a SecurityGroupRule.
func ruleView(g store.SecurityGroup, r store.SGRule) SecurityGroupRule {
	out := SecurityGroupRule{SecurityGroupRuleID: r.ID, GroupID: g.ID, GroupOwnerID: g.Account, IPProtocol: r.Protocol,
		FromPort: r.FromPort, ToPort: r.ToPort, Description: r.Description, Tags: []Tag{}}
	switch {
	case r.SourceGroup != "":
		out.ReferencedGroupInfo = &ReferencedSecurityGroup{GroupID: r.SourceGroup, UserID: r.SourceOwner}
	case r.CIDR.Addr().Is4():
		out.CidrIpv4 = r.CIDR.String()
	default:
		out.CidrIpv6 = r.CIDR.String()
	}
	return out
}

// rulePeer names a rule's source in InvalidPermission messages.
func rulePeer(r store.SGRule) string {
	if r.SourceGroup != "" {
		return r.SourceGroup
	}
	return r.CIDR.String()
}

// ParsePortRange parses the AWS CLI's --port: "80", "8000-8100", or "-1"
// (all ports: both results are -1).
func ParsePortRange(s string) (int, int, error) {
	if s == "-1" {
		return -1, -1, nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		hi = lo
	}
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if err1 != nil || err2 != nil || a < 0 || b > 65535 || a > b {
		return 0, 0, invalidValue("Invalid port '%s': a port or range within 0-65535.", s)
	}
	return a, b, nil
}

// AuthorizeSecurityGroupIngress adds inbound rules.
func (a *API) AuthorizeSecurityGroupIngress(ctx context.Context, in *AuthorizeSecurityGroupIngressInput) (*AuthorizeSecurityGroupIngressOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.AuthorizeSecurityGroupIngress)
	}
	tags, err := tagsFor(in.TagSpecifications, "security-group-rule")
	if err != nil {
		return nil, err
	}
	out := &AuthorizeSecurityGroupIngressOutput{Return: true, SecurityGroupRules: []SecurityGroupRule{}}
	err = a.write(ctx, func(tx *store.Tx) error {
		out.SecurityGroupRules = out.SecurityGroupRules[:0]
		g, err := a.ownedGroup(tx, in.GroupID, in.GroupName)
		if err != nil {
			return err
		}
		rules, err := a.rules(tx, in.IngressInput, g)
		if err != nil {
			return err
		}
		for _, r := range rules {
			added, err := tx.InsertSGRule(r)
			if err != nil {
				return err
			}
			if !added {
				return Errorf(ErrCodeInvalidPermissionDuplicate, "the specified rule \"peer: %s, %s, from port: %d, to port: %d, ALLOW\" already exists", rulePeer(r), strings.ToUpper(r.Protocol), r.FromPort, r.ToPort)
			}
			if err := putTags(tx, r.ID, tags, ErrCodeTagLimitExceeded); err != nil {
				return err
			}
			v := ruleView(g, r)
			if v.Tags, err = a.tags(tx, r.ID); err != nil {
				return err
			}
			out.SecurityGroupRules = append(out.SecurityGroupRules, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RevokeSecurityGroupIngress removes inbound rules, given by value or by
// their sgr- IDs.
func (a *API) RevokeSecurityGroupIngress(ctx context.Context, in *RevokeSecurityGroupIngressInput) (*RevokeSecurityGroupIngressOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.RevokeSecurityGroupIngress)
	}
	for _, id := range in.SecurityGroupRuleIDs {
		if !names.ValidID(names.SGRule, id) {
			return nil, Errorf(ErrCodeInvalidSecurityGroupRuleIDMalformed, "The security group rule ID '%s' is malformed", id)
		}
	}
	byValue := len(in.IPPermissions) > 0 || in.IPProtocol != "" || in.CidrIP != "" || in.SourceSecurityGroupName != ""
	if len(in.SecurityGroupRuleIDs) > 0 && byValue {
		return nil, Errorf(ErrCodeInvalidParameterCombination, "The parameter SecurityGroupRuleIds cannot be used with IpPermissions, IpProtocol, CidrIp or SourceSecurityGroupName.")
	}
	err := a.write(ctx, func(tx *store.Tx) error {
		g, err := a.ownedGroup(tx, in.GroupID, in.GroupName)
		if err != nil {
			return err
		}
		if len(in.SecurityGroupRuleIDs) > 0 {
			for _, id := range in.SecurityGroupRuleIDs {
				gone, err := tx.DeleteSGRuleByID(g.ID, id)
				if err != nil {
					return err
				}
				if !gone {
					return Errorf(ErrCodeInvalidSecurityGroupRuleIDNotFound, "The security group rule ID '%s' does not exist", id)
				}
			}
			return nil
		}
		rules, err := a.rules(tx, in.IngressInput, g)
		if err != nil {
			return err
		}
		for _, r := range rules {
			gone, err := tx.DeleteSGRule(r)
			if err != nil {
				return err
			}
			if !gone {
				return Errorf(ErrCodeInvalidPermissionNotFound, "The specified rule does not exist in this security group.")
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &RevokeSecurityGroupIngressOutput{Return: true}, nil
}

// DescribeSecurityGroupsInput is ec2 describe-security-groups.
type DescribeSecurityGroupsInput struct {
	Filters    []Filter `json:"Filters" locationName:"Filter"`
	GroupIDs   []string `json:"GroupIds" locationName:"GroupId"`
	GroupNames []string `json:"GroupNames" locationName:"GroupName"`
	DryRun     bool     `json:"DryRun"`
	EC2Paging
}

// DescribeSecurityGroupsOutput is {"SecurityGroups": [...]}.
type DescribeSecurityGroupsOutput struct {
	SecurityGroups []SecurityGroup `json:"SecurityGroups" locationName:"securityGroupInfo"`
	NextToken      string          `json:"NextToken,omitempty"`
}

// DescribeSecurityGroups lists the caller's groups.
func (a *API) DescribeSecurityGroups(ctx context.Context, in *DescribeSecurityGroupsInput) (*DescribeSecurityGroupsOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DescribeSecurityGroups)
	}
	if err := checkPaging(a, in); err != nil {
		return nil, err
	}
	if err := a.ensureDefaultVPC(ctx); err != nil {
		return nil, err
	}
	if err := checkIDs(names.SecurityGroup, "Group", in.GroupIDs); err != nil {
		return nil, err
	}
	out := &DescribeSecurityGroupsOutput{SecurityGroups: []SecurityGroup{}}
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.SecurityGroups(a.caller.Account, a.caller.Region, in.GroupIDs)
		if err != nil {
			return err
		}
		if err := missingIDs(in.GroupIDs, len(rows), func(i int) string { return rows[i].ID }, ErrCodeInvalidGroupNotFound, "The security group '%s' does not exist"); err != nil {
			return err
		}
		for _, g := range rows {
			v, err := a.groupView(tx, g)
			if err != nil {
				return err
			}
			out.SecurityGroups = append(out.SecurityGroups, *v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	filters := in.Filters
	if len(in.GroupNames) > 0 {
		filters = append(filters, Filter{Name: "group-name", Values: in.GroupNames})
	}
	out.SecurityGroups, err = applyFilters(out.SecurityGroups, filters, securityGroupFilters)
	if err == nil && len(in.GroupNames) > 0 && len(out.SecurityGroups) == 0 {
		err = Errorf(ErrCodeInvalidGroupNotFound, "The security group '%s' does not exist", in.GroupNames[0])
	}
	if err != nil {
		return nil, err
	}
	out.SecurityGroups, out.NextToken, err = pageEC2(a, in, out.SecurityGroups, func(v SecurityGroup) string { return v.GroupID })
	return out, err
}

func (a *API) groupView(tx *store.Tx, g store.SecurityGroup) (*SecurityGroup, error) {
	tags, err := a.tags(tx, g.ID)
	if err != nil {
		return nil, err
	}
	out := &SecurityGroup{Description: g.Description, GroupName: g.Name, OwnerID: g.Account, GroupID: g.ID, VpcID: g.VPCID, Tags: tags,
		IPPermissions: []IPPermission{}, IPPermissionsEgress: []IPPermission{{IPProtocol: "-1", IPRanges: []IPRange{{CidrIP: "0.0.0.0/0"}},
			Ipv6Ranges: []Ipv6Range{}, PrefixListIDs: []PrefixListID{}, UserIDGroupPairs: []UserIDGroupPair{}}}}
	for _, r := range g.Rules {
		p := IPPermission{IPProtocol: r.Protocol, IPRanges: []IPRange{}, Ipv6Ranges: []Ipv6Range{}, PrefixListIDs: []PrefixListID{}, UserIDGroupPairs: []UserIDGroupPair{}}
		if r.Protocol != "-1" {
			from, to := r.FromPort, r.ToPort
			p.FromPort, p.ToPort = &from, &to
		}
		if r.SourceGroup != "" {
			pair := UserIDGroupPair{Description: r.Description, GroupID: r.SourceGroup, UserID: r.SourceOwner}
			if src, err := tx.SecurityGroup(r.SourceGroup); err == nil {
				pair.name = src.Name
			} else if !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			p.UserIDGroupPairs = append(p.UserIDGroupPairs, pair)
		} else if r.CIDR.Addr().Is4() {
			p.IPRanges = append(p.IPRanges, IPRange{CidrIP: r.CIDR.String(), Description: r.Description})
		} else {
			p.Ipv6Ranges = append(p.Ipv6Ranges, Ipv6Range{CidrIpv6: r.CIDR.String(), Description: r.Description})
		}
		out.IPPermissions = append(out.IPPermissions, p)
	}
	return out, nil
}

// DeleteSecurityGroupInput is ec2 delete-security-group: GroupId, or
// GroupName in the default VPC.
type DeleteSecurityGroupInput struct {
	GroupID   string `json:"GroupId"`
	GroupName string `json:"GroupName"`
	DryRun    bool   `json:"DryRun"`
}

// DeleteSecurityGroupOutput is {"Return": true, "GroupId": ...}, as
// AWS's newer DeleteSecurityGroup returns.
type DeleteSecurityGroupOutput struct {
	Return  bool   `json:"Return"`
	GroupID string `json:"GroupId"`
}

// DeleteSecurityGroup deletes a group no endpoint uses and no other
// group's rule names as its source.
func (a *API) DeleteSecurityGroup(ctx context.Context, in *DeleteSecurityGroupInput) (*DeleteSecurityGroupOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DeleteSecurityGroup)
	}
	var id string
	err := a.write(ctx, func(tx *store.Tx) error {
		g, err := a.ownedGroup(tx, in.GroupID, in.GroupName)
		if err != nil {
			return err
		}
		if g.Name == "default" {
			return Errorf(ErrCodeCannotDelete, "the specified group: \"%s\" name: \"default\" cannot be deleted by a user", g.ID)
		}
		ep, err := tx.SecurityGroupInUse(g.ID)
		if err != nil {
			return err
		}
		if ep != "" {
			return Errorf(ErrCodeDependencyViolation, "resource %s has a dependent object (%s)", g.ID, ep)
		}
		ref, err := tx.SGRulesReferencing(g.ID)
		if err != nil {
			return err
		}
		if ref != "" {
			return Errorf(ErrCodeDependencyViolation, "resource %s has a dependent object (%s)", g.ID, ref)
		}
		id = g.ID
		return tx.DeleteSecurityGroup(g.ID)
	})
	if err != nil {
		return nil, err
	}
	return &DeleteSecurityGroupOutput{Return: true, GroupID: id}, nil
}

package control

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/plink-dev/plink/internal/names"
	"github.com/plink-dev/plink/internal/store"
)

// ServiceConfiguration is the EC2 ServiceConfiguration shape (provider view).
type ServiceConfiguration struct {
	ServiceType                 []ServiceTypeDetail         `json:"ServiceType"`
	ServiceID                   string                      `json:"ServiceId"`
	ServiceName                 string                      `json:"ServiceName"`
	ServiceState                string                      `json:"ServiceState"`
	AvailabilityZones           []string                    `json:"AvailabilityZones" locationName:"availabilityZoneSet"`
	AcceptanceRequired          bool                        `json:"AcceptanceRequired"`
	ManagesVpcEndpoints         bool                        `json:"ManagesVpcEndpoints"`
	NetworkLoadBalancerArns     []string                    `json:"NetworkLoadBalancerArns" locationName:"networkLoadBalancerArnSet"`
	SupportedIPAddressTypes     []string                    `json:"SupportedIpAddressTypes" locationName:"supportedIpAddressTypeSet"`
	BaseEndpointDNSNames        []string                    `json:"BaseEndpointDnsNames" locationName:"baseEndpointDnsNameSet"`
	PrivateDNSName              string                      `json:"PrivateDnsName,omitempty"`
	PrivateDNSNameConfiguration PrivateDNSNameConfiguration `json:"PrivateDnsNameConfiguration"`
	PayerResponsibility         string                      `json:"PayerResponsibility,omitempty"`
	Tags                        []Tag                       `json:"Tags" locationName:"tagSet"`
}

// ServiceTypeDetail is {"ServiceType": "Interface"}.
type ServiceTypeDetail struct {
	ServiceType string `json:"ServiceType"`
}

// PrivateDNSNameConfiguration is the TXT record a provider publishes to
// prove it owns the private DNS name; {} when there is no name.
type PrivateDNSNameConfiguration struct {
	State string `json:"State,omitempty"`
	Type  string `json:"Type,omitempty"`
	Value string `json:"Value,omitempty"`
	Name  string `json:"Name,omitempty"`
}

// serviceOwned loads a service the caller owns.
func (a *API) serviceOwned(tx *store.Tx, id string) (store.Service, error) {
	if id == "" {
		return store.Service{}, missing("ServiceId")
	}
	if !names.ValidID(names.Service, id) {
		return store.Service{}, Errorf(ErrCodeInvalidVpcEndpointServiceIDMalformed, "The VpcEndpointService Id '%s' is malformed", id)
	}
	s, err := tx.Service(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (s.Account != a.caller.Account || s.Region != a.caller.Region)) {
		return store.Service{}, Errorf(ErrCodeInvalidVpcEndpointServiceIDNotFound, "The VpcEndpointService Id '%s' does not exist", id)
	}
	return s, err
}

// serviceZones is the union of the service's load balancers' zones.
func serviceZones(tx *store.Tx, s store.Service) ([]string, []store.LBInfo, error) {
	zones := map[string]bool{}
	var lbs []store.LBInfo
	for _, arn := range s.LBARNs {
		li, err := tx.LBInfo(arn)
		if err != nil {
			return nil, nil, err
		}
		lbs = append(lbs, li)
		for _, z := range li.Zones {
			zones[z] = true
		}
	}
	out := make([]string, 0, len(zones))
	for z := range zones {
		out = append(out, z)
	}
	sort.Strings(out)
	return out, lbs, nil
}

func (a *API) serviceView(tx *store.Tx, s store.Service) (*ServiceConfiguration, error) {
	zones, _, err := serviceZones(tx, s)
	if err != nil {
		return nil, err
	}
	tags, err := a.tags(tx, s.ID)
	if err != nil {
		return nil, err
	}
	out := &ServiceConfiguration{
		ServiceType: []ServiceTypeDetail{{"Interface"}}, ServiceID: s.ID, ServiceName: names.ServiceName(s.Region, s.ID),
		ServiceState: s.State, AvailabilityZones: zones, AcceptanceRequired: s.AcceptanceRequired,
		NetworkLoadBalancerArns: append([]string{}, s.LBARNs...), SupportedIPAddressTypes: supportedTypes(s),
		BaseEndpointDNSNames: []string{names.ServiceBaseDNSName(s.Region, s.ID)}, PrivateDNSName: s.PrivateDNSName, Tags: tags,
		PayerResponsibility: s.PayerResponsibility,
	}
	if s.PrivateDNSName != "" {
		out.PrivateDNSNameConfiguration = PrivateDNSNameConfiguration{State: s.PDNSState, Type: "TXT", Value: s.PDNSValue, Name: s.PDNSName}
	}
	return out, nil
}

func supportedTypes(s store.Service) []string {
	out := []string{}
	if s.SupportedIPv4 {
		out = append(out, "ipv4")
	}
	if s.SupportedIPv6 {
		out = append(out, "ipv6")
	}
	return out
}

// CreateVpcEndpointServiceConfigurationInput is ec2
// create-vpc-endpoint-service-configuration. GatewayLoadBalancerArns is
// refused when not empty: plink has network load balancers only, so no ARN
// can name a Gateway Load Balancer (InvalidParameter).
type CreateVpcEndpointServiceConfigurationInput struct {
	DryRun                  bool               `json:"DryRun"`
	AcceptanceRequired      *bool              `json:"AcceptanceRequired"` // nil: true, as the console's default
	PrivateDNSName          string             `json:"PrivateDnsName"`
	NetworkLoadBalancerArns []string           `json:"NetworkLoadBalancerArns" locationName:"NetworkLoadBalancerArn"`
	GatewayLoadBalancerArns []string           `json:"GatewayLoadBalancerArns" locationName:"GatewayLoadBalancerArn"`
	SupportedIPAddressTypes []string           `json:"SupportedIpAddressTypes" locationName:"SupportedIpAddressType"`
	ClientToken             string             `json:"ClientToken"`
	TagSpecifications       []TagSpecification `json:"TagSpecifications" locationName:"TagSpecification"`
}

// CreateVpcEndpointServiceConfigurationOutput is {"ServiceConfiguration":
// {...}}, with the request's ClientToken when it had one.
type CreateVpcEndpointServiceConfigurationOutput struct {
	ServiceConfiguration *ServiceConfiguration `json:"ServiceConfiguration"`
	ClientToken          string                `json:"ClientToken,omitempty"`
}

// CreateVpcEndpointServiceConfiguration publishes the caller's NLBs as an
// endpoint service.
func (a *API) CreateVpcEndpointServiceConfiguration(ctx context.Context, in *CreateVpcEndpointServiceConfigurationInput) (*CreateVpcEndpointServiceConfigurationOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.CreateVpcEndpointServiceConfiguration)
	}
	if err := noGatewayLoadBalancers(in.GatewayLoadBalancerArns); err != nil {
		return nil, err
	}
	if len(in.NetworkLoadBalancerArns) == 0 {
		return nil, Errorf(ErrCodeInvalidParameter, "Either network load balancer ARNs or gateway load balancer ARNs must be specified.")
	}
	v4, v6, err := ipTypes(in.SupportedIPAddressTypes)
	if err != nil {
		return nil, err
	}
	if in.PrivateDNSName != "" {
		if err := validDNSName(in.PrivateDNSName); err != nil {
			return nil, err
		}
	}
	tags, err := tagsFor(in.TagSpecifications, "vpc-endpoint-service")
	if err != nil {
		return nil, err
	}
	s := store.Service{ID: names.NewID(names.Service), Account: a.caller.Account, Region: a.caller.Region, State: StateServiceAvailable,
		AcceptanceRequired: in.AcceptanceRequired == nil || *in.AcceptanceRequired, SupportedIPv4: v4, SupportedIPv6: v6,
		CreatedAt: timestamp(a.now())}
	var out *CreateVpcEndpointServiceConfigurationOutput
	err = a.write(ctx, func(tx *store.Tx) error {
		out = nil
		if seen, err := a.replayClientToken(tx, "CreateVpcEndpointServiceConfiguration", in.ClientToken, in, &out); seen || err != nil {
			return err
		}
		lbs, err := a.checkServiceLBs(tx, in.NetworkLoadBalancerArns, "")
		if err != nil {
			return err
		}
		s.LBARNs = lbs
		if err := checkIPv6Support(tx, s); err != nil {
			return err
		}
		if in.PrivateDNSName != "" {
			if err := a.setPrivateName(tx, &s, in.PrivateDNSName); err != nil {
				return err
			}
		}
		if err := tx.InsertService(s); err != nil {
			return err
		}
		if err := putTags(tx, s.ID, tags, ErrCodeTagLimitExceeded); err != nil {
			return err
		}
		v, err := a.serviceView(tx, s)
		if err != nil {
			return err
		}
		out = &CreateVpcEndpointServiceConfigurationOutput{ServiceConfiguration: v, ClientToken: in.ClientToken}
		return a.saveClientToken(tx, "CreateVpcEndpointServiceConfiguration", in.ClientToken, in, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func ipTypes(types []string) (v4, v6 bool, err error) {
	if len(types) == 0 {
		return true, false, nil
	}
	for _, t := range types {
		switch t {
		case "ipv4":
			v4 = true
		case "ipv6":
			v6 = true
		default:
			return false, false, invalidValue("Invalid supported IP address type '%s': expected ipv4 or ipv6.", t)
		}
	}
	return v4, v6, nil
}

// checkServiceLBs checks that every ARN is a network load balancer the
// caller owns and no other service uses; it returns them sorted, deduplicated.
func (a *API) checkServiceLBs(tx *store.Tx, arns []string, serviceID string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, arn := range arns {
		if seen[arn] {
			continue
		}
		seen[arn] = true
		if !strings.HasPrefix(arn, "arn:aws:elasticloadbalancing:") || !strings.Contains(arn, ":loadbalancer/net/") {
			return nil, invalidValue("The load balancer ARN '%s' is not a valid network load balancer ARN.", arn)
		}
		li, err := tx.LBInfo(arn)
		if errors.Is(err, store.ErrNotFound) || (err == nil && (li.Account != a.caller.Account || li.Region != a.caller.Region)) {
			return nil, invalidValue("The load balancer '%s' could not be found.", arn)
		}
		if err != nil {
			return nil, err
		}
		if li.ServiceID != "" && li.ServiceID != serviceID {
			return nil, Errorf(ErrCodeInvalidParameter, "The load balancer '%s' is already associated with the VPC endpoint service %s.", arn, li.ServiceID)
		}
		out = append(out, arn)
	}
	sort.Strings(out)
	return out, nil
}

// checkIPv6Support: a service supports IPv6 only if all its NLBs are dualstack.
func checkIPv6Support(tx *store.Tx, s store.Service) error {
	if !s.SupportedIPv4 && !s.SupportedIPv6 {
		return Errorf(ErrCodeInvalidParameter, "A service must support at least one IP address type.")
	}
	if !s.SupportedIPv6 {
		return nil
	}
	for _, arn := range s.LBARNs {
		li, err := tx.LBInfo(arn)
		if err != nil {
			return err
		}
		if li.IPAddressType != "dualstack" {
			return Errorf(ErrCodeInvalidParameter, "The service cannot support the IP address type ipv6 because load balancer %s is not dualstack.", arn)
		}
	}
	return nil
}

var labelRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// validDNSName checks a private DNS name: a lowercase domain, optionally with
// a leading "*." wildcard, labels up to 63 characters, up to 255 in all.
func validDNSName(name string) error {
	bad := invalidValue("The private DNS name '%s' is invalid: a domain such as api.example.com or *.example.com.", name)
	n := strings.TrimPrefix(name, "*.")
	if len(name) > 255 || !strings.Contains(n, ".") || strings.HasSuffix(n, ".") {
		return bad
	}
	for _, l := range strings.Split(n, ".") {
		if !labelRE.MatchString(l) {
			return bad
		}
	}
	if strings.HasSuffix(n, "amazonaws.com") {
		return Errorf(ErrCodeInvalidParameter, "The private DNS name '%s' is reserved by AWS.", name)
	}
	return nil
}

// setPrivateName gives a service a private DNS name, pending verification,
// with a fresh TXT challenge.
func (a *API) setPrivateName(tx *store.Tx, s *store.Service, name string) error {
	if other, err := tx.ServiceWithPrivateName(name, s.ID); err != nil {
		return err
	} else if other != "" {
		return Errorf(ErrCodeInvalidParameter, "The private DNS name '%s' is already used by endpoint service %s.", name, other)
	}
	if s.PrivateDNSName == name && s.PDNSState != "" {
		return nil
	}
	s.PrivateDNSName, s.PDNSState = name, StatePrivateDNSPendingVerification
	s.PDNSName = "_" + names.RandomAlnum(12)
	s.PDNSValue = "vpce:" + names.RandomAlnum(20)
	return nil
}

// ModifyVpcEndpointServiceConfigurationInput is ec2
// modify-vpc-endpoint-service-configuration. AddGatewayLoadBalancerArns
// and RemoveGatewayLoadBalancerArns are refused when not empty: plink has
// no Gateway Load Balancers (InvalidParameter).
type ModifyVpcEndpointServiceConfigurationInput struct {
	DryRun                        bool     `json:"DryRun"`
	ServiceID                     string   `json:"ServiceId" aws:"required"`
	PrivateDNSName                string   `json:"PrivateDnsName"`
	RemovePrivateDNSName          bool     `json:"RemovePrivateDnsName"`
	AcceptanceRequired            *bool    `json:"AcceptanceRequired"`
	AddNetworkLoadBalancerArns    []string `json:"AddNetworkLoadBalancerArns" locationName:"AddNetworkLoadBalancerArn"`
	RemoveNetworkLoadBalancerArns []string `json:"RemoveNetworkLoadBalancerArns" locationName:"RemoveNetworkLoadBalancerArn"`
	AddGatewayLoadBalancerArns    []string `json:"AddGatewayLoadBalancerArns" locationName:"AddGatewayLoadBalancerArn"`
	RemoveGatewayLoadBalancerArns []string `json:"RemoveGatewayLoadBalancerArns" locationName:"RemoveGatewayLoadBalancerArn"`
	AddSupportedIPAddressTypes    []string `json:"AddSupportedIpAddressTypes" locationName:"AddSupportedIpAddressType"`
	RemoveSupportedIPAddressTypes []string `json:"RemoveSupportedIpAddressTypes" locationName:"RemoveSupportedIpAddressType"`
}

// ModifyVpcEndpointServiceConfigurationOutput is {"Return": true}.
type ModifyVpcEndpointServiceConfigurationOutput struct {
	Return bool `json:"Return"`
}

// ModifyVpcEndpointServiceConfiguration changes a service.
func (a *API) ModifyVpcEndpointServiceConfiguration(ctx context.Context, in *ModifyVpcEndpointServiceConfigurationInput) (*ModifyVpcEndpointServiceConfigurationOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.ModifyVpcEndpointServiceConfiguration)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	if err := noGatewayLoadBalancers(in.AddGatewayLoadBalancerArns, in.RemoveGatewayLoadBalancerArns); err != nil {
		return nil, err
	}
	if in.PrivateDNSName != "" && in.RemovePrivateDNSName {
		return nil, Errorf(ErrCodeInvalidParameterCombination, "PrivateDnsName and RemovePrivateDnsName cannot be used together.")
	}
	if in.PrivateDNSName != "" {
		if err := validDNSName(in.PrivateDNSName); err != nil {
			return nil, err
		}
	}
	err := a.write(ctx, func(tx *store.Tx) error {
		s, err := a.serviceOwned(tx, in.ServiceID)
		if err != nil {
			return err
		}
		if in.AcceptanceRequired != nil {
			s.AcceptanceRequired = *in.AcceptanceRequired
		}
		if len(in.AddNetworkLoadBalancerArns) > 0 {
			added, err := a.checkServiceLBs(tx, in.AddNetworkLoadBalancerArns, s.ID)
			if err != nil {
				return err
			}
			s.LBARNs = union(s.LBARNs, added)
		}
		for _, arn := range in.RemoveNetworkLoadBalancerArns {
			if !contains(s.LBARNs, arn) {
				return invalidValue("The load balancer '%s' is not associated with the service %s.", arn, s.ID)
			}
			s.LBARNs = remove(s.LBARNs, arn)
		}
		if len(s.LBARNs) == 0 {
			return Errorf(ErrCodeInvalidParameter, "A service must keep at least one network load balancer.")
		}
		for _, t := range in.AddSupportedIPAddressTypes {
			v4, v6, err := ipTypes([]string{t})
			if err != nil {
				return err
			}
			s.SupportedIPv4, s.SupportedIPv6 = s.SupportedIPv4 || v4, s.SupportedIPv6 || v6
		}
		for _, t := range in.RemoveSupportedIPAddressTypes {
			v4, v6, err := ipTypes([]string{t})
			if err != nil {
				return err
			}
			s.SupportedIPv4, s.SupportedIPv6 = s.SupportedIPv4 && !v4, s.SupportedIPv6 && !v6
		}
		if err := checkIPv6Support(tx, s); err != nil {
			return err
		}
		if in.RemovePrivateDNSName {
			s.PrivateDNSName, s.PDNSState, s.PDNSName, s.PDNSValue = "", "", "", ""
		}
		if in.PrivateDNSName != "" {
			if err := a.setPrivateName(tx, &s, in.PrivateDNSName); err != nil {
				return err
			}
		}
		return tx.UpdateService(s)
	})
	if err != nil {
		return nil, err
	}
	return &ModifyVpcEndpointServiceConfigurationOutput{Return: true}, nil
}

func union(a, b []string) []string {
	out := append([]string{}, a...)
	for _, s := range b {
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func remove(list []string, s string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// DescribeVpcEndpointServiceConfigurationsInput is ec2
// describe-vpc-endpoint-service-configurations.
type DescribeVpcEndpointServiceConfigurationsInput struct {
	DryRun     bool     `json:"DryRun"`
	ServiceIDs []string `json:"ServiceIds" locationName:"ServiceId"`
	Filters    []Filter `json:"Filters" locationName:"Filter"`
	EC2Paging
}

// DescribeVpcEndpointServiceConfigurationsOutput is {"ServiceConfigurations": [...]}.
type DescribeVpcEndpointServiceConfigurationsOutput struct {
	ServiceConfigurations []ServiceConfiguration `json:"ServiceConfigurations" locationName:"serviceConfigurationSet"`
	NextToken             string                 `json:"NextToken,omitempty"`
}

// DescribeVpcEndpointServiceConfigurations lists the caller's services.
func (a *API) DescribeVpcEndpointServiceConfigurations(ctx context.Context, in *DescribeVpcEndpointServiceConfigurationsInput) (*DescribeVpcEndpointServiceConfigurationsOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DescribeVpcEndpointServiceConfigurations)
	}
	if err := checkPaging(a, in); err != nil {
		return nil, err
	}
	if err := checkListLen(ErrCodeInvalidParameterValue, "ServiceIds", len(in.ServiceIDs), maxIDsPerRequest); err != nil {
		return nil, err
	}
	for _, id := range in.ServiceIDs {
		if !names.ValidID(names.Service, id) {
			return nil, Errorf(ErrCodeInvalidVpcEndpointServiceIDMalformed, "The VpcEndpointService Id '%s' is malformed", id)
		}
	}
	out := &DescribeVpcEndpointServiceConfigurationsOutput{ServiceConfigurations: []ServiceConfiguration{}}
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Services(a.caller.Account, a.caller.Region, in.ServiceIDs)
		if err != nil {
			return err
		}
		if err := missingIDs(in.ServiceIDs, len(rows), func(i int) string { return rows[i].ID }, ErrCodeInvalidVpcEndpointServiceIDNotFound, "The VpcEndpointService Id '%s' does not exist"); err != nil {
			return err
		}
		for _, s := range rows {
			v, err := a.serviceView(tx, s)
			if err != nil {
				return err
			}
			out.ServiceConfigurations = append(out.ServiceConfigurations, *v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.ServiceConfigurations, err = applyFilters(out.ServiceConfigurations, in.Filters, serviceConfigurationFilters)
	if err != nil {
		return nil, err
	}
	out.ServiceConfigurations, out.NextToken, err = pageEC2(a, in, out.ServiceConfigurations, func(v ServiceConfiguration) string { return v.ServiceID })
	return out, err
}

// DeleteVpcEndpointServiceConfigurations deletes services; a service with
// available or pendingAcceptance connections stays, reported in
// Unsuccessful as ExistingVpcEndpointConnections, as on AWS.
func (a *API) DeleteVpcEndpointServiceConfigurations(ctx context.Context, in *DeleteVpcEndpointServiceConfigurationsInput) (*DeleteVpcEndpointServiceConfigurationsOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DeleteVpcEndpointServiceConfigurations)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	ids := in.ServiceIDs
	if err := checkListLen(ErrCodeInvalidParameterValue, "ServiceIds", len(ids), maxIDsPerRequest); err != nil {
		return nil, err
	}
	out := &DeleteVpcEndpointServiceConfigurationsOutput{BatchResult{Unsuccessful: []UnsuccessfulItem{}}}
	err := a.write(ctx, func(tx *store.Tx) error {
		for _, id := range ids {
			s, err := a.serviceOwned(tx, id)
			if _, refused := AsError(err); refused {
				out.fail(id, Errorf(ErrCodeInvalidVpcEndpointServiceNotFound, "The VpcEndpointService Id '%s' does not exist", id))
				continue
			}
			if err != nil {
				return err
			}
			n, err := tx.ActiveConnections(s.ID)
			if err != nil {
				return err
			}
			if n > 0 {
				out.fail(id, Errorf(ErrCodeExistingVpcEndpointConnections, "Service has existing active VPC Endpoint connections!"))
				continue
			}
			if err := tx.DeleteService(s.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AllowedPrincipal is one entry of describe-vpc-endpoint-service-permissions.
type AllowedPrincipal struct {
	PrincipalType       string `json:"PrincipalType"`
	Principal           string `json:"Principal"`
	ServicePermissionID string `json:"ServicePermissionId"`
	ServiceID           string `json:"ServiceId"`
}

// DeleteVpcEndpointServiceConfigurationsInput is ec2
// delete-vpc-endpoint-service-configurations.
type DeleteVpcEndpointServiceConfigurationsInput struct {
	DryRun     bool     `json:"DryRun"`
	ServiceIDs []string `json:"ServiceIds" aws:"required" locationName:"ServiceId"`
}

// DeleteVpcEndpointServiceConfigurationsOutput is {"Unsuccessful": [...]}.
type DeleteVpcEndpointServiceConfigurationsOutput struct{ BatchResult }

// ModifyVpcEndpointServicePermissionsInput is ec2
// modify-vpc-endpoint-service-permissions.
type ModifyVpcEndpointServicePermissionsInput struct {
	DryRun                  bool     `json:"DryRun"`
	ServiceID               string   `json:"ServiceId" aws:"required"`
	AddAllowedPrincipals    []string `json:"AddAllowedPrincipals"`
	RemoveAllowedPrincipals []string `json:"RemoveAllowedPrincipals"`
}

// ModifyVpcEndpointServicePermissionsOutput is the AWS answer.
type ModifyVpcEndpointServicePermissionsOutput struct {
	AddedPrincipals []AllowedPrincipal `json:"AddedPrincipals,omitempty" locationName:"addedPrincipalSet"`
	ReturnValue     bool               `json:"ReturnValue" locationName:"return"`
}

func principalType(p string) string {
	switch {
	case p == "*":
		return "All"
	case strings.HasSuffix(p, ":root"):
		return "Account"
	case strings.Contains(p, ":role/"):
		return "Role"
	default:
		return "User"
	}
}

// permissionID is a stable ID for a permission row: vpce-svc-perm- and 17
// hex digits of a hash of the service and the principal.
func permissionID(serviceID, principal string) string {
	return "vpce-svc-perm-" + fmt.Sprintf("%017x", fnv64(serviceID+"|"+principal))
}

// fnv64 is FNV-1a, for stable IDs derived from names.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range []byte(s) {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h
}

// ModifyVpcEndpointServicePermissions adds and removes allowed principals.
// Removing a principal leaves its existing endpoints connected, as on AWS.
func (a *API) ModifyVpcEndpointServicePermissions(ctx context.Context, in *ModifyVpcEndpointServicePermissionsInput) (*ModifyVpcEndpointServicePermissionsOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.ModifyVpcEndpointServicePermissions)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	if len(in.AddAllowedPrincipals) == 0 && len(in.RemoveAllowedPrincipals) == 0 {
		return nil, missing("AddAllowedPrincipals or RemoveAllowedPrincipals")
	}
	for _, p := range append(append([]string{}, in.AddAllowedPrincipals...), in.RemoveAllowedPrincipals...) {
		if p == "*" {
			continue
		}
		if _, ok := names.PrincipalAccount(p); !ok {
			return nil, invalidValue("Invalid principal '%s': expected '*' or an IAM ARN such as arn:aws:iam::123456789012:root.", p)
		}
	}
	out := &ModifyVpcEndpointServicePermissionsOutput{ReturnValue: true}
	err := a.write(ctx, func(tx *store.Tx) error {
		s, err := a.serviceOwned(tx, in.ServiceID)
		if err != nil {
			return err
		}
		for _, p := range in.AddAllowedPrincipals {
			if _, err := tx.AddPermission(store.Permission{ServiceID: s.ID, Principal: p, CreatedAt: timestamp(a.now())}); err != nil {
				return err
			}
			out.AddedPrincipals = append(out.AddedPrincipals, AllowedPrincipal{PrincipalType: principalType(p), Principal: p,
				ServicePermissionID: permissionID(s.ID, p), ServiceID: s.ID})
		}
		for _, p := range in.RemoveAllowedPrincipals {
			gone, err := tx.RemovePermission(s.ID, p)
			if err != nil {
				return err
			}
			if !gone {
				return invalidValue("The principal '%s' is not allowed on service %s.", p, s.ID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DescribeVpcEndpointServicePermissionsInput is ec2
// describe-vpc-endpoint-service-permissions.
type DescribeVpcEndpointServicePermissionsInput struct {
	DryRun    bool     `json:"DryRun"`
	ServiceID string   `json:"ServiceId" aws:"required"`
	Filters   []Filter `json:"Filters" locationName:"Filter"`
	EC2Paging
}

// DescribeVpcEndpointServicePermissionsOutput is {"AllowedPrincipals": [...]}.
type DescribeVpcEndpointServicePermissionsOutput struct {
	AllowedPrincipals []AllowedPrincipal `json:"AllowedPrincipals"`
	NextToken         string             `json:"NextToken,omitempty"`
}

// DescribeVpcEndpointServicePermissions lists a service's allowed principals.
func (a *API) DescribeVpcEndpointServicePermissions(ctx context.Context, in *DescribeVpcEndpointServicePermissionsInput) (*DescribeVpcEndpointServicePermissionsOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DescribeVpcEndpointServicePermissions)
	}
	if err := checkPaging(a, in); err != nil {
		return nil, err
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	serviceID, filters := in.ServiceID, in.Filters
	out := &DescribeVpcEndpointServicePermissionsOutput{AllowedPrincipals: []AllowedPrincipal{}}
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		s, err := a.serviceOwned(tx, serviceID)
		if err != nil {
			return err
		}
		ps, err := tx.Permissions(s.ID)
		if err != nil {
			return err
		}
		for _, p := range ps {
			out.AllowedPrincipals = append(out.AllowedPrincipals, AllowedPrincipal{PrincipalType: principalType(p.Principal),
				Principal: p.Principal, ServicePermissionID: permissionID(s.ID, p.Principal), ServiceID: s.ID})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.AllowedPrincipals, err = applyFilters(out.AllowedPrincipals, filters, servicePermissionFilters)
	if err != nil {
		return nil, err
	}
	out.AllowedPrincipals, out.NextToken, err = pageEC2(a, in, out.AllowedPrincipals, func(v AllowedPrincipal) string { return v.Principal })
	return out, err
}

// StartVpcEndpointServicePrivateDnsVerificationInput is ec2
// start-vpc-endpoint-service-private-dns-verification.
type StartVpcEndpointServicePrivateDnsVerificationInput struct {
	DryRun    bool   `json:"DryRun"`
	ServiceID string `json:"ServiceId" aws:"required"`
}

// StartVpcEndpointServicePrivateDnsVerificationOutput is {"ReturnValue": true}.
type StartVpcEndpointServicePrivateDnsVerificationOutput struct {
	ReturnValue bool `json:"ReturnValue" locationName:"return"`
}

// verificationNames are where the TXT challenge may be published, in the
// order they are tried: under the name's domain (api.example.com or, for
// *.example.com, example.com), then under each parent domain down to two
// labels (verifying example.com covers api.example.com, as on AWS), and at
// each of those domains itself for DNS providers that refuse underscores.
func verificationNames(privateName, label string) []string {
	domain := strings.TrimPrefix(privateName, "*.")
	var out []string
	for d := domain; strings.Count(d, ".") >= 1; {
		out = append(out, label+"."+d, d)
		_, parent, _ := strings.Cut(d, ".")
		d = parent
	}
	return out
}

// StartVpcEndpointServicePrivateDnsVerification looks up the service's TXT
// challenge (see verificationNames) through the configured resolver and
// moves the name to verified, or to failed when the record is missing or
// wrong.
// AWS checks asynchronously; plink checks before it answers, so the state is
// final when the command returns.
func (a *API) StartVpcEndpointServicePrivateDnsVerification(ctx context.Context, in *StartVpcEndpointServicePrivateDnsVerificationInput) (*StartVpcEndpointServicePrivateDnsVerificationOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.StartVpcEndpointServicePrivateDnsVerification)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	serviceID := in.ServiceID
	var s store.Service
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		var err error
		s, err = a.serviceOwned(tx, serviceID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.PrivateDNSName == "" {
		return nil, Errorf(ErrCodeInvalidParameter, "The service %s has no private DNS name to verify.", s.ID)
	}
	if s.PDNSState == StatePrivateDNSVerified {
		return nil, Errorf(ErrCodeInvalidParameter, "The private DNS name of service %s is already verified.", s.ID)
	}
	verified, answers := a.lookupVerification(ctx, s)
	resolver := ""
	if a.txtResolver != nil {
		resolver = a.txtResolver()
	}
	state := StatePrivateDNSFailed
	if verified {
		state = StatePrivateDNSVerified
	} else {
		// AWS's answer has no room for why: the explanation goes to the
		// log (standard error at the default level) and the event.
		a.log.Warn(verificationFailure(s, resolver, answers))
	}
	err = a.write(ctx, func(tx *store.Tx) error {
		cur, err := a.serviceOwned(tx, serviceID)
		if err != nil {
			return err
		}
		if cur.PrivateDNSName != s.PrivateDNSName || cur.PDNSValue != s.PDNSValue {
			return Errorf(ErrCodeIncorrectState, "The private DNS name of service %s changed during verification; try again.", s.ID)
		}
		cur.PDNSState = state
		if err := tx.UpdateService(cur); err != nil {
			return err
		}
		return tx.InsertEvent(store.Event{Time: timestamp(a.now()), Account: a.caller.Account,
			Type: verificationEvent(verified), ResourceID: s.ID, ServiceID: s.ID, State: state,
			Detail: mustJSON(verificationDetail{PrivateDNSName: s.PrivateDNSName, Resolver: resolver,
				Expected: s.PDNSValue, ExpectedAt: s.PDNSName + "." + strings.TrimPrefix(s.PrivateDNSName, "*."), Answers: answers})})
	})
	if err != nil {
		return nil, err
	}
	return &StartVpcEndpointServicePrivateDnsVerificationOutput{ReturnValue: true}, nil

}

// verificationEvent is the event type of a verification's outcome.
func verificationEvent(verified bool) string {
	if verified {
		return "PrivateDnsNameVerification.Succeeded"
	}
	return "PrivateDnsNameVerification.Failed"
}

// txtAnswer is what one TXT query of a private DNS verification got.
type txtAnswer struct {
	Name    string   `json:"Name"`
	Records []string `json:"Records,omitempty"`
	Error   string   `json:"Error,omitempty"`
}

// verificationDetail is the detail of a PrivateDnsNameVerification event:
// what was asked of whom, what came back, what was expected.
type verificationDetail struct {
	PrivateDNSName string      `json:"PrivateDnsName"`
	Resolver       string      `json:"Resolver,omitempty"`
	Expected       string      `json:"Expected"`
	ExpectedAt     string      `json:"ExpectedAt"`
	Answers        []txtAnswer `json:"Answers"`
}

// lookupVerification queries the verification names (verificationNames)
// until one holds the service's value, and returns every answer got.
func (a *API) lookupVerification(ctx context.Context, s store.Service) (bool, []txtAnswer) {
	answers := []txtAnswer{}
	if a.txt == nil {
		return false, answers
	}
	for _, name := range verificationNames(s.PrivateDNSName, s.PDNSName) {
		vals, err := a.txt(ctx, name)
		ans := txtAnswer{Name: name, Records: vals}
		if err != nil {
			ans.Error = err.Error()
			a.log.Debug("private DNS verification lookup failed", "name", name, "err", err)
		} else {
			a.log.Debug("private DNS verification lookup", "name", name, "records", vals)
		}
		answers = append(answers, ans)
		for _, v := range vals {
			if strings.TrimSpace(v) == s.PDNSValue {
				return true, answers
			}
		}
	}
	return false, answers
}

// verificationFailure explains a failed verification: the resolver, each
// name queried and what came back, and the record expected.
func verificationFailure(s store.Service, resolver string, answers []txtAnswer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "private DNS name %s of service %s not verified", s.PrivateDNSName, s.ID)
	if resolver != "" {
		fmt.Fprintf(&b, "; asked resolver %s", resolver)
	}
	for _, ans := range answers {
		fmt.Fprintf(&b, "; TXT %s: ", ans.Name)
		switch {
		case ans.Error != "":
			b.WriteString(ans.Error)
		case len(ans.Records) == 0:
			b.WriteString("no TXT record")
		default:
			q := make([]string, len(ans.Records))
			for i, r := range ans.Records {
				q[i] = strconv.Quote(r)
			}
			b.WriteString("got " + strings.Join(q, ", "))
		}
	}
	if len(answers) == 0 {
		b.WriteString("; no resolver is configured for verification")
	}
	fmt.Fprintf(&b, "; expected a TXT record %q at %s.%s: publish it there, then start the verification again",
		s.PDNSValue, s.PDNSName, strings.TrimPrefix(s.PrivateDNSName, "*."))
	return b.String()
}

// noGatewayLoadBalancers refuses Gateway Load Balancer ARNs: plink's
// services front network load balancers only.
func noGatewayLoadBalancers(lists ...[]string) error {
	for _, l := range lists {
		if len(l) > 0 {
			return Errorf(ErrCodeInvalidParameter, "The Gateway Load Balancer ARN '%s' is invalid: plink has network load balancers only (--network-load-balancer-arns).", l[0])
		}
	}
	return nil
}

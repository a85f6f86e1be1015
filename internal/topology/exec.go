package topology

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/plink-dev/plink/internal/control"
)

func (n *node) ec2Tags(resourceType string) []control.TagSpecification {
	return []control.TagSpecification{{ResourceType: resourceType, Tags: []control.Tag{{Key: TagName, Value: n.name}, {Key: TagSource, Value: n.topo}}}}
}

func (n *node) elbTags() []control.ELBTag {
	return []control.ELBTag{{Key: TagName, Value: n.name}, {Key: TagSource, Value: n.topo}}
}

func ids(ns []*node) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.id)
	}
	return out
}

// diffSets is what to add to have to get want, and what to remove.
func diffSets(have, want string) (add, remove []string) {
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	h, w := split(have), split(want)
	for _, v := range w {
		if !slices.Contains(h, v) {
			add = append(add, v)
		}
	}
	for _, v := range h {
		if !slices.Contains(w, v) {
			remove = append(remove, v)
		}
	}
	return add, remove
}

// batchErr is the first failure of a batch call.
func batchErr(b control.BatchResult) error {
	if len(b.Unsuccessful) == 0 {
		return nil
	}
	u := b.Unsuccessful[0]
	e := u.Error
	return &e
}

// create makes n as its account, then sets what creation cannot.
func (e *Engine) create(ctx context.Context, n *node, p *plan) error {
	api, err := e.api(n.acct)
	if err != nil {
		return err
	}
	n.have = map[string]string{}
	switch n.kind {
	case KindVPC:
		out, err := api.CreateVpc(ctx, &control.CreateVpcInput{CidrBlock: n.vpc.CIDR, AmazonProvidedIpv6CidrBlock: n.vpc.IPv6, TagSpecifications: n.ec2Tags("vpc")})
		if err != nil {
			return err
		}
		n.id = out.Vpc.VpcID
		if len(out.Vpc.Ipv6CidrBlockAssociationSet) > 0 {
			n.have["_ipv6"] = out.Vpc.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock
		}
		if err := e.setVPCAttributes(ctx, api, n, nil); err != nil {
			return err
		}
	case KindSubnet:
		in := &control.CreateSubnetInput{VpcID: n.parent.id, AvailabilityZone: n.subnet.Zone, CidrBlock: n.subnet.CIDR, TagSpecifications: n.ec2Tags("subnet")}
		if n.subnet.IPv6Subnet != nil {
			if in.Ipv6CidrBlock, err = subnet64(n.parent.have["_ipv6"], *n.subnet.IPv6Subnet); err != nil {
				return err
			}
		}
		out, err := api.CreateSubnet(ctx, in)
		if err != nil {
			return err
		}
		n.id = out.Subnet.SubnetID
	case KindSecurityGroup:
		desc := n.sg.Description
		if desc == "" {
			desc = "plink apply: " + n.name
		}
		out, err := api.CreateSecurityGroup(ctx, &control.CreateSecurityGroupInput{GroupName: n.name, Description: desc, VpcID: n.vpcRef.id, TagSpecifications: n.ec2Tags("security-group")})
		if err != nil {
			return err
		}
		n.id = out.GroupID
		if err := e.setRules(ctx, api, n, "", wantRules(n.sg.Ingress)); err != nil {
			return err
		}
	case KindTargetGroup:
		return e.createTG(ctx, api, n)
	case KindLoadBalancer:
		out, err := api.CreateLoadBalancer(ctx, &control.CreateLoadBalancerInput{Name: n.name, Type: "network", Scheme: n.lb.Scheme, Subnets: ids(n.subnets),
			IPAddressType: n.lb.IPAddressType, Tags: n.elbTags()})
		if err != nil {
			return err
		}
		n.id = out.LoadBalancers[0].LoadBalancerARN
		if len(n.lb.Attributes) > 0 {
			if _, err := api.ModifyLoadBalancerAttributes(ctx, &control.ModifyLoadBalancerAttributesInput{LoadBalancerARN: n.id, Attributes: attrList(n.lb.Attributes, nil)}); err != nil {
				return err
			}
		}
	case KindListener:
		out, err := api.CreateListener(ctx, &control.CreateListenerInput{LoadBalancerARN: n.parent.id, Protocol: n.ln.Protocol, Port: n.ln.Port,
			DefaultActions: []control.Action{{Type: "forward", TargetGroupARN: n.tgRef.id}}})
		if err != nil {
			return err
		}
		n.id = out.Listeners[0].ListenerARN
	case KindService:
		return e.createService(ctx, api, n, p)
	case KindEndpoint:
		return e.createEndpoint(ctx, api, n, p)
	}
	e.names[n.id] = n.name
	return nil
}

// setVPCAttributes sets the DNS attributes the file gives (all of them on
// creation, p == nil; the changed ones otherwise), one call each as AWS
// takes them.
func (e *Engine) setVPCAttributes(ctx context.Context, api *control.API, n *node, p *plan) error {
	set := func(field string, v *bool, in *control.ModifyVpcAttributeInput, slot **control.AttributeBooleanValue) error {
		if v == nil || (p != nil && !p.changed(field)) {
			return nil
		}
		*slot = &control.AttributeBooleanValue{Value: *v}
		_, err := api.ModifyVpcAttribute(ctx, in)
		return err
	}
	// Support first: AWS refuses hostnames without it.
	in := &control.ModifyVpcAttributeInput{VpcID: n.id}
	if err := set("dnsSupport", n.vpc.DNSSupport, in, &in.EnableDNSSupport); err != nil {
		return err
	}
	in = &control.ModifyVpcAttributeInput{VpcID: n.id}
	return set("dnsHostnames", n.vpc.DNSHostnames, in, &in.EnableDNSHostnames)
}

// subnet64 is the n-th /64 of a VPC's /56.
func subnet64(block string, n int) (string, error) {
	p, err := netip.ParsePrefix(block)
	if err != nil {
		return "", errors.New("the VPC has no IPv6 block: add ipv6: true to it (a VPC's IPv6 block is given at its creation)")
	}
	b := p.Addr().As16()
	b[7] = byte(n)
	return netip.PrefixFrom(netip.AddrFrom16(b), 64).String(), nil
}

func attrList(attrs map[string]string, only []string) []control.ELBAttribute {
	var out []control.ELBAttribute
	for k, v := range attrs {
		if only == nil || slices.Contains(only, k) {
			out = append(out, control.ELBAttribute{Key: k, Value: v})
		}
	}
	slices.SortFunc(out, func(a, b control.ELBAttribute) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func healthSettings(hc *HealthCheck) control.HealthCheckSettings {
	var s control.HealthCheckSettings
	if hc == nil {
		return s
	}
	s.HealthCheckProtocol, s.HealthCheckPort, s.HealthCheckPath = strings.ToUpper(hc.Protocol), hc.Port, hc.Path
	if hc.Matcher != "" {
		s.Matcher = &control.Matcher{HTTPCode: hc.Matcher}
	}
	s.HealthCheckIntervalSeconds, s.HealthCheckTimeoutSeconds = hc.IntervalSeconds, hc.TimeoutSeconds
	s.HealthyThresholdCount, s.UnhealthyThresholdCount = hc.HealthyThreshold, hc.UnhealthyThreshold
	return s
}

func (e *Engine) createTG(ctx context.Context, api *control.API, n *node) error {
	tg := n.tg
	out, err := api.CreateTargetGroup(ctx, &control.CreateTargetGroupInput{Name: n.name, Protocol: tg.Protocol, Port: tg.Port, VpcID: n.vpcRef.id,
		TargetType: tg.TargetType, IPAddressType: tg.IPAddressType, HealthCheckSettings: healthSettings(tg.HealthCheck), Tags: n.elbTags()})
	if err != nil {
		return err
	}
	n.id = out.TargetGroups[0].TargetGroupARN
	e.names[n.id] = n.name
	if len(tg.Attributes) > 0 {
		if _, err := api.ModifyTargetGroupAttributes(ctx, &control.ModifyTargetGroupAttributesInput{TargetGroupARN: n.id, Attributes: attrList(tg.Attributes, nil)}); err != nil {
			return err
		}
	}
	return e.setTargets(ctx, api, n, "")
}

// setTargets registers and deregisters targets from have to the file's.
func (e *Engine) setTargets(ctx context.Context, api *control.API, n *node, have string) error {
	var want []string
	for _, t := range n.tg.Targets {
		want = append(want, targetString(t.IP, t.Port, t.Zone))
	}
	add, remove := diffSets(have, joinSorted(want))
	desc := func(s []string) ([]control.TargetDescription, error) {
		var out []control.TargetDescription
		for _, t := range s {
			addr, zone, _ := strings.Cut(t, "@")
			ap, err := netip.ParseAddrPort(addr)
			if err != nil {
				return nil, err
			}
			port := int(ap.Port())
			out = append(out, control.TargetDescription{ID: ap.Addr().String(), Port: &port, AvailabilityZone: zone})
		}
		return out, nil
	}
	if len(remove) > 0 {
		ts, err := desc(remove)
		if err != nil {
			return err
		}
		if _, err := api.DeregisterTargets(ctx, &control.DeregisterTargetsInput{TargetsInput: control.TargetsInput{TargetGroupARN: n.id, Targets: ts}}); err != nil {
			return err
		}
	}
	if len(add) > 0 {
		ts, err := desc(add)
		if err != nil {
			return err
		}
		if _, err := api.RegisterTargets(ctx, &control.RegisterTargetsInput{TargetsInput: control.TargetsInput{TargetGroupARN: n.id, Targets: ts}}); err != nil {
			return err
		}
	}
	return nil
}

// setRules authorizes and revokes inbound rules from have to want (both in
// rulesOf's form).
func (e *Engine) setRules(ctx context.Context, api *control.API, n *node, have, want string) error {
	split := func(s string) string { return strings.ReplaceAll(s, ", ", ",") }
	add, remove := diffSets(split(have), split(want))
	byString := map[string]rule{}
	for _, r := range n.sg.Ingress {
		pr, _ := parseRule(r)
		byString[pr.String()] = pr
	}
	perm := func(s string) (control.IPPermission, error) {
		r, ok := byString[s]
		if !ok {
			var err error
			if r, err = parseRuleString(s); err != nil {
				return control.IPPermission{}, err
			}
		}
		p := control.IPPermission{IPProtocol: r.proto}
		if r.proto != "-1" {
			from, to := r.from, r.to
			p.FromPort, p.ToPort = &from, &to
		}
		if r.cidr.Addr().Is4() {
			p.IPRanges = []control.IPRange{{CidrIP: r.cidr.String()}}
		} else {
			p.Ipv6Ranges = []control.Ipv6Range{{CidrIpv6: r.cidr.String()}}
		}
		return p, nil
	}
	for _, s := range remove {
		p, err := perm(s)
		if err != nil {
			return err
		}
		if _, err := api.RevokeSecurityGroupIngress(ctx, &control.RevokeSecurityGroupIngressInput{IngressInput: control.IngressInput{GroupID: n.id, IPPermissions: []control.IPPermission{p}}}); err != nil {
			return err
		}
	}
	for _, s := range add {
		p, err := perm(s)
		if err != nil {
			return err
		}
		if _, err := api.AuthorizeSecurityGroupIngress(ctx, &control.AuthorizeSecurityGroupIngressInput{IngressInput: control.IngressInput{GroupID: n.id, IPPermissions: []control.IPPermission{p}}}); err != nil {
			return err
		}
	}
	return nil
}

// parseRuleString reads rule.String() back (a rule the store has that the
// file no longer lists).
func parseRuleString(s string) (rule, error) {
	head, cidr, ok := strings.Cut(s, " from ")
	if !ok {
		return rule{}, fmt.Errorf("unreadable rule %q", s)
	}
	if head == "all" {
		return parseRule(Rule{Protocol: "all", CIDR: cidr})
	}
	proto, ports, _ := strings.Cut(head, "/")
	return parseRule(Rule{Protocol: proto, Ports: ports, CIDR: cidr})
}

func (e *Engine) createService(ctx context.Context, api *control.API, n *node, p *plan) error {
	s := n.svc
	out, err := api.CreateVpcEndpointServiceConfiguration(ctx, &control.CreateVpcEndpointServiceConfigurationInput{AcceptanceRequired: s.AcceptanceRequired,
		PrivateDNSName: s.PrivateDNSName, NetworkLoadBalancerArns: ids(n.lbs), SupportedIPAddressTypes: s.SupportedIPAddressTypes,
		TagSpecifications: n.ec2Tags("vpc-endpoint-service")})
	if err != nil {
		return err
	}
	c := out.ServiceConfiguration
	n.id = c.ServiceID
	n.have = map[string]string{"_serviceName": c.ServiceName, "privateDnsState": c.PrivateDNSNameConfiguration.State,
		"_txtName": c.PrivateDNSNameConfiguration.Name, "_txtValue": c.PrivateDNSNameConfiguration.Value}
	e.names[n.id] = n.name
	e.names[c.ServiceName] = n.acct.Name + "/" + n.name
	if len(n.princ) > 0 {
		if _, err := api.ModifyVpcEndpointServicePermissions(ctx, &control.ModifyVpcEndpointServicePermissionsInput{ServiceID: n.id, AddAllowedPrincipals: n.princ}); err != nil {
			return err
		}
	}
	if s.PrivateDNSName != "" {
		return e.verify(ctx, api, n, p)
	}
	return nil
}

// verify starts the private DNS name verification of service n. A name
// not verified is no error: the plan says what to publish, and the next
// apply tries again.
func (e *Engine) verify(ctx context.Context, api *control.API, n *node, p *plan) error {
	if _, err := api.StartVpcEndpointServicePrivateDnsVerification(ctx, &control.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceID: n.id}); err != nil {
		return err
	}
	out, err := api.DescribeVpcEndpointServiceConfigurations(ctx, &control.DescribeVpcEndpointServiceConfigurationsInput{ServiceIDs: []string{n.id}})
	if err != nil {
		return err
	}
	c := out.ServiceConfigurations[0].PrivateDNSNameConfiguration
	n.have["privateDnsState"] = c.State
	if c.State != control.StatePrivateDNSVerified {
		p.notes = append(p.notes, fmt.Sprintf("private DNS name %s is not verified (%s): publish the TXT record %s.%s with the value %q "+
			"where the resolver finds it (--resolver, or the system's), then apply again",
			n.svc.PrivateDNSName, c.State, c.Name, strings.TrimPrefix(n.svc.PrivateDNSName, "*."), c.Value))
	}
	return nil
}

// privateDNSReady says whether endpoint n may enable private DNS now: the
// file's service has a verified name (a service outside the file is left
// to the API to judge).
func (n *node) privateDNSReady() bool {
	return n.svcRef == nil || n.svcRef.have["privateDnsState"] == control.StatePrivateDNSVerified
}

func (e *Engine) createEndpoint(ctx context.Context, api *control.API, n *node, p *plan) error {
	ep := n.ep
	in := &control.CreateVpcEndpointInput{VpcEndpointType: "Interface", VpcID: n.vpcRef.id, ServiceName: n.serviceName(), SubnetIDs: ids(n.subnets),
		SecurityGroupIDs: ids(n.sgs), IPAddressType: ep.IPAddressType, PrivateDNSEnabled: ep.PrivateDNS, TagSpecifications: n.ec2Tags("vpc-endpoint")}
	if ep.DNSRecordIPType != "" {
		in.DNSOptions = &control.DNSOptions{DNSRecordIPType: ep.DNSRecordIPType}
	}
	if ep.PrivateDNS != nil && *ep.PrivateDNS && !n.privateDNSReady() {
		off := false
		in.PrivateDNSEnabled = &off
		p.notes = append(p.notes, "private DNS stays off until the service's private DNS name is verified; the next apply turns it on")
	} else if ep.PrivateDNS == nil && n.svcRef != nil && !n.privateDNSReady() && n.svcRef.svc.PrivateDNSName != "" {
		off := false
		in.PrivateDNSEnabled = &off
	}
	out, err := api.CreateVpcEndpoint(ctx, in)
	if err != nil {
		return err
	}
	n.id = out.VpcEndpoint.VpcEndpointID
	e.names[n.id] = n.name
	n.have = endpointHave(out.VpcEndpoint)
	if ep.Accept && n.have["state"] == control.StateEndpointPendingAcceptance {
		return e.accept(ctx, n)
	}
	p.notes = append(p.notes, n.pendingNote()...)
	return nil
}

// pendingNote says what an endpoint waiting for acceptance waits for.
func (n *node) pendingNote() []string {
	if n.ep.Accept || n.have["state"] != control.StateEndpointPendingAcceptance {
		return nil
	}
	note := "pendingAcceptance: no traffic until the service's owner accepts it (plink accept-endpoint-connections)"
	if n.svcRef != nil {
		note = fmt.Sprintf("pendingAcceptance: no traffic until %s accepts it: add accept: true to the endpoint (apply then accepts as %s), "+
			"or run plink --account %s accept-endpoint-connections --service-id %s --vpc-endpoint-ids %s",
			n.svcRef.acct.Name, n.svcRef.acct.Name, n.svcRef.acct.ID, n.svcRef.id, n.id)
	}
	return []string{note}
}

// accept accepts endpoint n as its service's provider.
func (e *Engine) accept(ctx context.Context, n *node) error {
	prov, err := e.api(n.svcRef.acct)
	if err != nil {
		return err
	}
	res, err := prov.AcceptVpcEndpointConnections(ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{
		ServiceID: n.svcRef.id, VpcEndpointIDs: []string{n.id}}})
	if err != nil {
		return fmt.Errorf("accepting it as %s (%s): %w", n.svcRef.acct.Name, n.svcRef.acct.ID, err)
	}
	if err := batchErr(res.BatchResult); err != nil {
		return fmt.Errorf("accepting it as %s (%s): %w", n.svcRef.acct.Name, n.svcRef.acct.ID, err)
	}
	return nil
}

// changed lists the fields of p's changes.
func (p *plan) changed(name string) bool {
	for _, c := range p.changes {
		if c.Field == name {
			return true
		}
	}
	return false
}

func (p *plan) changedPrefix(prefix string) []string {
	var out []string
	for _, c := range p.changes {
		if k, ok := strings.CutPrefix(c.Field, prefix); ok {
			out = append(out, k)
		}
	}
	return out
}

// update changes n in place: each changed field through the call AWS has
// for it.
func (e *Engine) update(ctx context.Context, n *node, p *plan) error {
	api, err := e.api(n.acct)
	if err != nil {
		return err
	}
	want := map[string]string{}
	for _, f := range e.fields(n) {
		want[f.name] = f.want
	}
	switch n.kind {
	case KindVPC:
		return e.setVPCAttributes(ctx, api, n, p)
	case KindSecurityGroup:
		return e.setRules(ctx, api, n, n.have["ingress"], want["ingress"])
	case KindTargetGroup:
		if len(p.changedPrefix("healthCheck.")) > 0 {
			if _, err := api.ModifyTargetGroup(ctx, &control.ModifyTargetGroupInput{TargetGroupARN: n.id, HealthCheckSettings: healthSettings(n.tg.HealthCheck)}); err != nil {
				return err
			}
		}
		if ks := p.changedPrefix("attributes."); len(ks) > 0 {
			if _, err := api.ModifyTargetGroupAttributes(ctx, &control.ModifyTargetGroupAttributesInput{TargetGroupARN: n.id, Attributes: attrList(n.tg.Attributes, ks)}); err != nil {
				return err
			}
		}
		if p.changed("targets") {
			return e.setTargets(ctx, api, n, n.have["targets"])
		}
	case KindLoadBalancer:
		if p.changed("ipAddressType") {
			if _, err := api.SetIpAddressType(ctx, &control.SetIpAddressTypeInput{LoadBalancerARN: n.id, IPAddressType: n.lb.IPAddressType}); err != nil {
				return err
			}
		}
		if p.changed("subnets") {
			if _, err := api.SetSubnets(ctx, &control.SetSubnetsInput{LoadBalancerARN: n.id, Subnets: ids(n.subnets)}); err != nil {
				return err
			}
		}
		if ks := p.changedPrefix("attributes."); len(ks) > 0 {
			if _, err := api.ModifyLoadBalancerAttributes(ctx, &control.ModifyLoadBalancerAttributesInput{LoadBalancerARN: n.id, Attributes: attrList(n.lb.Attributes, ks)}); err != nil {
				return err
			}
		}
	case KindListener:
		_, err := api.ModifyListener(ctx, &control.ModifyListenerInput{ListenerARN: n.id, Protocol: n.ln.Protocol,
			DefaultActions: []control.Action{{Type: "forward", TargetGroupARN: n.tgRef.id}}})
		return err
	case KindService:
		return e.updateService(ctx, api, n, p, want)
	case KindEndpoint:
		return e.updateEndpoint(ctx, api, n, p, want)
	}
	return nil
}

func (e *Engine) updateService(ctx context.Context, api *control.API, n *node, p *plan, want map[string]string) error {
	s := n.svc
	in := &control.ModifyVpcEndpointServiceConfigurationInput{ServiceID: n.id}
	modify := false
	if p.changed("loadBalancers") {
		in.AddNetworkLoadBalancerArns, in.RemoveNetworkLoadBalancerArns = diffSets(n.have["loadBalancers"], want["loadBalancers"])
		modify = true
	}
	if p.changed("acceptanceRequired") {
		in.AcceptanceRequired, modify = s.AcceptanceRequired, true
	}
	if p.changed("privateDnsName") {
		in.PrivateDNSName, in.RemovePrivateDNSName, modify = s.PrivateDNSName, s.PrivateDNSName == "", true
	}
	if p.changed("supportedIpAddressTypes") {
		in.AddSupportedIPAddressTypes, in.RemoveSupportedIPAddressTypes = diffSets(n.have["supportedIpAddressTypes"], want["supportedIpAddressTypes"])
		modify = true
	}
	if modify {
		if _, err := api.ModifyVpcEndpointServiceConfiguration(ctx, in); err != nil {
			return err
		}
	}
	if p.changed("allowedPrincipals") {
		add, remove := diffSets(n.have["allowedPrincipals"], want["allowedPrincipals"])
		if _, err := api.ModifyVpcEndpointServicePermissions(ctx, &control.ModifyVpcEndpointServicePermissionsInput{ServiceID: n.id,
			AddAllowedPrincipals: add, RemoveAllowedPrincipals: remove}); err != nil {
			return err
		}
	}
	if s.PrivateDNSName != "" && (p.changed("privateDnsState") || p.changed("privateDnsName")) {
		return e.verify(ctx, api, n, p)
	}
	return nil
}

func (e *Engine) updateEndpoint(ctx context.Context, api *control.API, n *node, p *plan, want map[string]string) error {
	in := &control.ModifyVpcEndpointInput{VpcEndpointID: n.id}
	modify := false
	if p.changed("subnets") {
		in.AddSubnetIDs, in.RemoveSubnetIDs = diffSets(n.have["subnets"], want["subnets"])
		modify = true
	}
	if p.changed("securityGroups") {
		in.AddSecurityGroupIDs, in.RemoveSecurityGroupIDs = diffSets(n.have["securityGroups"], want["securityGroups"])
		modify = true
	}
	if p.changed("ipAddressType") {
		in.IPAddressType, modify = n.ep.IPAddressType, true
	}
	if p.changed("dnsRecordIpType") {
		in.DNSOptions, modify = &control.DNSOptions{DNSRecordIPType: n.ep.DNSRecordIPType}, true
	}
	if p.changed("privateDns") {
		if *n.ep.PrivateDNS && !n.privateDNSReady() {
			p.notes = append(p.notes, "private DNS stays off until the service's private DNS name is verified")
		} else {
			in.PrivateDNSEnabled, modify = n.ep.PrivateDNS, true
		}
	}
	if modify {
		if _, err := api.ModifyVpcEndpoint(ctx, in); err != nil {
			return err
		}
	}
	if p.changed("state") && n.have["state"] == control.StateEndpointPendingAcceptance {
		return e.accept(ctx, n)
	}
	return nil
}

// remove deletes one resource as its account.
func (e *Engine) remove(ctx context.Context, a *Account, kind, id string) error {
	api, err := e.api(a)
	if err != nil {
		return err
	}
	switch kind {
	case KindVPC:
		_, err = api.DeleteVpc(ctx, &control.DeleteVpcInput{VpcID: id})
	case KindSubnet:
		_, err = api.DeleteSubnet(ctx, &control.DeleteSubnetInput{SubnetID: id})
	case KindSecurityGroup:
		_, err = api.DeleteSecurityGroup(ctx, &control.DeleteSecurityGroupInput{GroupID: id})
	case KindTargetGroup:
		_, err = api.DeleteTargetGroup(ctx, &control.DeleteTargetGroupInput{TargetGroupARN: id})
	case KindLoadBalancer:
		_, err = api.DeleteLoadBalancer(ctx, &control.DeleteLoadBalancerInput{LoadBalancerARN: id})
	case KindListener:
		_, err = api.DeleteListener(ctx, &control.DeleteListenerInput{ListenerARN: id})
	case KindService:
		var out *control.DeleteVpcEndpointServiceConfigurationsOutput
		if out, err = api.DeleteVpcEndpointServiceConfigurations(ctx, &control.DeleteVpcEndpointServiceConfigurationsInput{ServiceIDs: []string{id}}); err == nil {
			err = batchErr(out.BatchResult)
		}
		if e, ok := control.AsError(err); ok && e.Code == control.ErrCodeExistingVpcEndpointConnections {
			err = &control.Error{Code: e.Code, Message: e.Message + " Endpoints that apply did not create still use it: reject them " +
				"(plink reject-endpoint-connections --service-id " + id + " --vpc-endpoint-ids ...) or have their owners delete them, then delete again."}
		}
	case KindEndpoint:
		var out *control.DeleteVpcEndpointsOutput
		if out, err = api.DeleteVpcEndpoints(ctx, &control.DeleteVpcEndpointsInput{VpcEndpointIDs: []string{id}}); err == nil {
			err = batchErr(out.BatchResult)
		}
	default:
		err = errors.New("unknown kind " + kind + " " + strconv.Quote(id))
	}
	return err
}

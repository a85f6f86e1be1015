package topology

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/plink-dev/plink/internal/control"
)

// found is one resource apply created, as the store holds it.
type found struct {
	kind, name, topo string
	acct             *Account
	id               string
	have             map[string]string // field -> value, as the plan compares them
}

// observed is what the store holds of a topology's sources, per account.
type observed struct {
	all []*found
}

func tagsOf(ts []control.Tag) (name, topo string) {
	for _, t := range ts {
		switch t.Key {
		case TagName:
			name = t.Value
		case TagSource:
			topo = t.Value
		}
	}
	return name, topo
}

func elbTagsOf(ts []control.ELBTag) (name, topo string) {
	for _, t := range ts {
		switch t.Key {
		case TagName:
			name = t.Value
		case TagSource:
			topo = t.Value
		}
	}
	return name, topo
}

func joinSorted(vs []string) string {
	vs = append([]string(nil), vs...)
	sort.Strings(vs)
	return strings.Join(vs, ",")
}

func boolStr(b bool) string { return strconv.FormatBool(b) }

// observe reads, as each account, what apply created for sources.
func (e *Engine) observe(ctx context.Context, t *Topology) (*observed, error) {
	o := &observed{}
	for _, a := range t.Accounts {
		api, err := e.api(a)
		if err != nil {
			return nil, err
		}
		if err := e.observeEC2(ctx, api, a, t.Sources, o); err != nil {
			return nil, &ActionError{At: fmt.Sprintf("reading the resources of account %s (%s)", a.Name, a.ID), Err: err}
		}
		if err := e.observeELB(ctx, api, a, t.Sources, o); err != nil {
			return nil, &ActionError{At: fmt.Sprintf("reading the load balancers of account %s (%s)", a.Name, a.ID), Err: err}
		}
	}
	return o, nil
}

func ours(topo string, sources []string) bool {
	for _, s := range sources {
		if s == topo {
			return true
		}
	}
	return false
}

func (e *Engine) observeEC2(ctx context.Context, api *control.API, a *Account, sources []string, o *observed) error {
	filter := []control.Filter{{Name: "tag:" + TagSource, Values: sources}}
	add := func(kind string, tags []control.Tag, id string, have map[string]string) {
		name, topo := tagsOf(tags)
		if name == "" || !ours(topo, sources) {
			return
		}
		o.all = append(o.all, &found{kind: kind, name: name, topo: topo, acct: a, id: id, have: have})
	}
	vpcs, err := api.DescribeVpcs(ctx, &control.DescribeVpcsInput{Filters: filter})
	if err != nil {
		return err
	}
	for _, v := range vpcs.Vpcs {
		h := map[string]string{"cidr": v.CidrBlock, "ipv6": boolStr(len(v.Ipv6CidrBlockAssociationSet) > 0)}
		if len(v.Ipv6CidrBlockAssociationSet) > 0 {
			h["_ipv6"] = v.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock
		}
		for _, at := range []string{"enableDnsHostnames", "enableDnsSupport"} {
			out, err := api.DescribeVpcAttribute(ctx, &control.DescribeVpcAttributeInput{VpcID: v.VpcID, Attribute: at})
			if err != nil {
				return err
			}
			if out.EnableDNSHostnames != nil {
				h["dnsHostnames"] = boolStr(out.EnableDNSHostnames.Value)
			}
			if out.EnableDNSSupport != nil {
				h["dnsSupport"] = boolStr(out.EnableDNSSupport.Value)
			}
		}
		add(KindVPC, v.Tags, v.VpcID, h)
	}
	subs, err := api.DescribeSubnets(ctx, &control.DescribeSubnetsInput{Filters: filter})
	if err != nil {
		return err
	}
	for _, s := range subs.Subnets {
		h := map[string]string{"vpc": s.VpcID, "zone": s.AvailabilityZone, "cidr": s.CidrBlock, "ipv6Subnet": ""}
		for _, c := range s.Ipv6CidrBlockAssociationSet {
			if p, err := netip.ParsePrefix(c.Ipv6CidrBlock); err == nil {
				h["ipv6Subnet"] = strconv.Itoa(int(p.Addr().As16()[7]))
			}
		}
		add(KindSubnet, s.Tags, s.SubnetID, h)
	}
	sgs, err := api.DescribeSecurityGroups(ctx, &control.DescribeSecurityGroupsInput{Filters: filter})
	if err != nil {
		return err
	}
	for _, g := range sgs.SecurityGroups {
		add(KindSecurityGroup, g.Tags, g.GroupID, map[string]string{"vpc": g.VpcID, "description": g.Description, "ingress": rulesOf(g.IPPermissions)})
	}
	svcs, err := api.DescribeVpcEndpointServiceConfigurations(ctx, &control.DescribeVpcEndpointServiceConfigurationsInput{Filters: filter})
	if err != nil {
		return err
	}
	for _, s := range svcs.ServiceConfigurations {
		perms, err := api.DescribeVpcEndpointServicePermissions(ctx, &control.DescribeVpcEndpointServicePermissionsInput{ServiceID: s.ServiceID})
		if err != nil {
			return err
		}
		var ps []string
		for _, p := range perms.AllowedPrincipals {
			ps = append(ps, p.Principal)
		}
		add(KindService, s.Tags, s.ServiceID, map[string]string{
			"loadBalancers":           joinSorted(s.NetworkLoadBalancerArns),
			"acceptanceRequired":      boolStr(s.AcceptanceRequired),
			"privateDnsName":          s.PrivateDNSName,
			"privateDnsState":         s.PrivateDNSNameConfiguration.State,
			"supportedIpAddressTypes": joinSorted(s.SupportedIPAddressTypes),
			"allowedPrincipals":       joinSorted(ps),
			"_serviceName":            s.ServiceName,
			"_txtName":                s.PrivateDNSNameConfiguration.Name,
			"_txtValue":               s.PrivateDNSNameConfiguration.Value,
		})
	}
	eps, err := api.DescribeVpcEndpoints(ctx, &control.DescribeVpcEndpointsInput{Filters: filter})
	if err != nil {
		return err
	}
	for _, ep := range eps.VpcEndpoints {
		add(KindEndpoint, ep.Tags, ep.VpcEndpointID, endpointHave(ep))
	}
	return nil
}

func endpointHave(ep control.VpcEndpoint) map[string]string {
	var groups []string
	for _, g := range ep.Groups {
		groups = append(groups, g.GroupID)
	}
	return map[string]string{
		"service":         ep.ServiceName,
		"vpc":             ep.VpcID,
		"subnets":         joinSorted(ep.SubnetIDs),
		"securityGroups":  joinSorted(groups),
		"privateDns":      boolStr(ep.PrivateDNSEnabled),
		"ipAddressType":   ep.IPAddressType,
		"dnsRecordIpType": ep.DNSOptions.DNSRecordIPType,
		"state":           ep.State,
	}
}

// rulesOf is the inbound rules of a group in the canonical form of rule.
func rulesOf(perms []control.IPPermission) string {
	var out []string
	for _, p := range perms {
		r := rule{proto: p.IPProtocol}
		if p.FromPort != nil {
			r.from = *p.FromPort
		}
		if p.ToPort != nil {
			r.to = *p.ToPort
		}
		for _, c := range p.IPRanges {
			if pr, err := netip.ParsePrefix(c.CidrIP); err == nil {
				r.cidr = pr
				out = append(out, r.String())
			}
		}
		for _, c := range p.Ipv6Ranges {
			if pr, err := netip.ParsePrefix(c.CidrIpv6); err == nil {
				r.cidr = pr
				out = append(out, r.String())
			}
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func (e *Engine) observeELB(ctx context.Context, api *control.API, a *Account, sources []string, o *observed) error {
	lbs, err := api.DescribeLoadBalancers(ctx, &control.DescribeLoadBalancersInput{})
	if err != nil {
		return err
	}
	var arns []string
	for _, lb := range lbs.LoadBalancers {
		arns = append(arns, lb.LoadBalancerARN)
	}
	lbTags, err := elbTags(ctx, api, arns)
	if err != nil {
		return err
	}
	for _, lb := range lbs.LoadBalancers {
		name, topo := elbTagsOf(lbTags[lb.LoadBalancerARN])
		if name == "" || !ours(topo, sources) {
			continue
		}
		var subnets []string
		for _, z := range lb.AvailabilityZones {
			subnets = append(subnets, z.SubnetID)
		}
		h := map[string]string{"scheme": lb.Scheme, "subnets": joinSorted(subnets), "ipAddressType": lb.IPAddressType}
		attrs, err := api.DescribeLoadBalancerAttributes(ctx, &control.DescribeLoadBalancerAttributesInput{LoadBalancerARN: lb.LoadBalancerARN})
		if err != nil {
			return err
		}
		for _, at := range attrs.Attributes {
			h["attributes."+at.Key] = at.Value
		}
		o.all = append(o.all, &found{kind: KindLoadBalancer, name: name, topo: topo, acct: a, id: lb.LoadBalancerARN, have: h})
		ls, err := api.DescribeListeners(ctx, &control.DescribeListenersInput{LoadBalancerARN: lb.LoadBalancerARN})
		if err != nil {
			return err
		}
		for _, l := range ls.Listeners {
			tg := ""
			if len(l.DefaultActions) > 0 {
				tg = l.DefaultActions[0].TargetGroupARN
			}
			o.all = append(o.all, &found{kind: KindListener, name: name + ":" + strconv.Itoa(l.Port), topo: topo, acct: a, id: l.ListenerARN,
				have: map[string]string{"protocol": l.Protocol, "targetGroup": tg}})
		}
	}
	tgs, err := api.DescribeTargetGroups(ctx, &control.DescribeTargetGroupsInput{})
	if err != nil {
		return err
	}
	arns = arns[:0]
	for _, tg := range tgs.TargetGroups {
		arns = append(arns, tg.TargetGroupARN)
	}
	tgTags, err := elbTags(ctx, api, arns)
	if err != nil {
		return err
	}
	for _, tg := range tgs.TargetGroups {
		name, topo := elbTagsOf(tgTags[tg.TargetGroupARN])
		if name == "" || !ours(topo, sources) {
			continue
		}
		h := map[string]string{"vpc": tg.VpcID, "protocol": tg.Protocol, "port": strconv.Itoa(tg.Port), "targetType": tg.TargetType,
			"ipAddressType":        tg.IPAddressType,
			"healthCheck.protocol": tg.HealthCheckProtocol, "healthCheck.port": tg.HealthCheckPort, "healthCheck.path": tg.HealthCheckPath,
			"healthCheck.intervalSeconds": strconv.Itoa(tg.HealthCheckIntervalSeconds), "healthCheck.timeoutSeconds": strconv.Itoa(tg.HealthCheckTimeoutSeconds),
			"healthCheck.healthyThreshold": strconv.Itoa(tg.HealthyThresholdCount), "healthCheck.unhealthyThreshold": strconv.Itoa(tg.UnhealthyThresholdCount)}
		if tg.Matcher != nil {
			h["healthCheck.matcher"] = tg.Matcher.HTTPCode
		}
		attrs, err := api.DescribeTargetGroupAttributes(ctx, &control.DescribeTargetGroupAttributesInput{TargetGroupARN: tg.TargetGroupARN})
		if err != nil {
			return err
		}
		for _, at := range attrs.Attributes {
			h["attributes."+at.Key] = at.Value
		}
		th, err := api.DescribeTargetHealth(ctx, &control.DescribeTargetHealthInput{TargetGroupARN: tg.TargetGroupARN})
		if err != nil {
			return err
		}
		var ts []string
		for _, d := range th.TargetHealthDescriptions {
			if d.TargetHealth.State == "draining" {
				continue // deregistered: gone once the deregistration delay ends
			}
			port := tg.Port
			if d.Target.Port != nil {
				port = *d.Target.Port
			}
			ts = append(ts, targetString(d.Target.ID, port, d.Target.AvailabilityZone))
		}
		h["targets"] = joinSorted(ts)
		o.all = append(o.all, &found{kind: KindTargetGroup, name: name, topo: topo, acct: a, id: tg.TargetGroupARN, have: h})
	}
	return nil
}

func targetString(ip string, port int, zone string) string {
	if zone == "" {
		zone = "all"
	}
	return net2(ip, port) + "@" + zone
}

func net2(ip string, port int) string {
	if a, err := netip.ParseAddr(ip); err == nil {
		return netip.AddrPortFrom(a, uint16(port)).String()
	}
	return ip + ":" + strconv.Itoa(port)
}

// elbTags returns the tags of arns, 20 at a time as AWS allows.
func elbTags(ctx context.Context, api *control.API, arns []string) (map[string][]control.ELBTag, error) {
	out := map[string][]control.ELBTag{}
	for i := 0; i < len(arns); i += 20 {
		j := min(i+20, len(arns))
		res, err := api.DescribeTags(ctx, &control.DescribeTagsInput{ResourceARNs: arns[i:j]})
		if err != nil {
			return nil, err
		}
		for _, d := range res.TagDescriptions {
			out[d.ResourceARN] = d.Tags
		}
	}
	return out, nil
}

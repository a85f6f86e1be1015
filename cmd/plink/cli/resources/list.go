package resources

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/topology"
)

// none is an empty cell, as the AWS commands' tables show it.
const none = "<none>"

func cell(s string) string {
	if s == "" {
		return none
	}
	return s
}

func cells(ss []string) string { return cell(strings.Join(ss, ",")) }

// withNames is what an argument may name an endpoint or a service by: its
// ID, its Name tag, and the name a topology file gave it (apply's
// plink:apply/name tag), so that after 'plink apply -f
// examples/two-accounts.yaml' a user can type 'plink wait
// endpoint-listening web' without first looking up the ID.
func withNames(id string, tags []control.Tag) []string {
	keys := []string{id}
	for _, t := range tags {
		if (t.Key == "Name" || t.Key == topology.TagName) && t.Value != "" {
			keys = append(keys, t.Value)
		}
	}
	return keys
}

// lbName is the name in a load balancer's or target group's ARN
// (…:loadbalancer/net/NAME/ID, …:targetgroup/NAME/ID).
func lbName(arn string) string {
	parts := strings.Split(arn, "/")
	switch {
	case strings.Contains(arn, ":loadbalancer/") && len(parts) >= 3:
		return parts[2]
	case strings.Contains(arn, ":targetgroup/") && len(parts) >= 2:
		return parts[1]
	}
	return arn
}

func lbNames(arns []string) string {
	var out []string
	for _, a := range arns {
		out = append(out, lbName(a))
	}
	return cells(out)
}

var servicesKind = &Kind{
	Op:   "DescribeVpcEndpointServiceConfigurations",
	Name: "services", Singular: "service", Noun: "endpoint service", Aliases: []string{"svc", "vpce-svc"},
	Short:    "endpoint services you provide (describe-vpc-endpoint-service-configurations)",
	IDHeader: "ID", NotFound: "InvalidVpcEndpointServiceId.NotFound",
	Columns: []Column{{Header: "STATE"}, {Header: "SERVICE NAME"}, {Header: "PRIVATE DNS"}, {Header: "ACCEPTANCE"},
		{Header: "NLBS", Wide: true}, {Header: "ZONES", Wide: true}, {Header: "IP TYPES", Wide: true}},
	list: func(ctx context.Context, src source) ([]Item, error) {
		out, err := src.api.DescribeVpcEndpointServiceConfigurations(ctx, &control.DescribeVpcEndpointServiceConfigurationsInput{})
		if err != nil {
			return nil, err
		}
		created := src.created(ctx, "service")
		var items []Item
		for _, s := range out.ServiceConfigurations {
			pdns := none
			if s.PrivateDNSName != "" {
				pdns = s.PrivateDNSName + " (" + cell(s.PrivateDNSNameConfiguration.State) + ")"
			}
			acceptance := "auto"
			if s.AcceptanceRequired {
				acceptance = "required"
			}
			items = append(items, Item{ID: s.ServiceID, Keys: append(withNames(s.ServiceID, s.Tags), s.ServiceName), State: s.ServiceState,
				Cells: []string{cell(s.ServiceState), s.ServiceName, pdns, acceptance,
					lbNames(s.NetworkLoadBalancerArns), cells(s.AvailabilityZones), cells(s.SupportedIPAddressTypes)},
				Created: created[s.ServiceID], Object: s})
		}
		return items, nil
	},
}

// eniAddresses maps the caller's network interfaces to their addresses.
func eniAddresses(ctx context.Context, api *control.API) (map[string][]string, error) {
	out, err := api.DescribeNetworkInterfaces(ctx, &control.DescribeNetworkInterfacesInput{})
	if err != nil {
		return nil, err
	}
	addrs := map[string][]string{}
	for _, n := range out.NetworkInterfaces {
		if n.PrivateIPAddress != "" {
			addrs[n.NetworkInterfaceID] = append(addrs[n.NetworkInterfaceID], n.PrivateIPAddress)
		}
		for _, a := range n.Ipv6Addresses {
			addrs[n.NetworkInterfaceID] = append(addrs[n.NetworkInterfaceID], a.Ipv6Address)
		}
	}
	return addrs, nil
}

// EndpointAddresses are the addresses of an endpoint's network interfaces:
// what a client connects to.
func EndpointAddresses(e control.VpcEndpoint, enis map[string][]string) []string {
	var out []string
	for _, id := range e.NetworkInterfaceIDs {
		out = append(out, enis[id]...)
	}
	return out
}

var endpointsKind = &Kind{
	Op:   "DescribeVpcEndpoints",
	Name: "endpoints", Singular: "endpoint", Aliases: []string{"ep", "vpce"},
	Short:    "your interface endpoints (describe-vpc-endpoints), with their addresses",
	IDHeader: "ID", NotFound: "InvalidVpcEndpointId.NotFound",
	Columns: []Column{{Header: "STATE"}, {Header: "SERVICE NAME"}, {Header: "ADDRESSES"}, {Header: "DNS NAME"},
		{Header: "VPC", Wide: true}, {Header: "PRIVATE DNS", Wide: true}, {Header: "DNS NAMES", Wide: true}, {Header: "ENIS", Wide: true}},
	list: func(ctx context.Context, src source) ([]Item, error) {
		out, err := src.api.DescribeVpcEndpoints(ctx, &control.DescribeVpcEndpointsInput{})
		if err != nil {
			return nil, err
		}
		enis, err := eniAddresses(ctx, src.api)
		if err != nil {
			return nil, err
		}
		var items []Item
		for _, e := range out.VpcEndpoints {
			var dns []string
			for _, d := range e.DNSEntries {
				dns = append(dns, d.DNSName)
			}
			first := ""
			if len(dns) > 0 {
				first = dns[0]
			}
			pdns := "disabled"
			if e.PrivateDNSEnabled {
				pdns = "enabled"
			}
			items = append(items, Item{ID: e.VpcEndpointID, Keys: withNames(e.VpcEndpointID, e.Tags), State: e.State,
				Cells: []string{e.State, e.ServiceName, cells(EndpointAddresses(e, enis)), cell(first),
					e.VpcID, pdns, cells(dns), cells(e.NetworkInterfaceIDs)},
				Created: e.CreationTimestamp, Object: e})
		}
		return items, nil
	},
}

var connectionsKind = &Kind{
	Op:   "DescribeVpcEndpointConnections",
	Name: "connections", Singular: "connection", Noun: "endpoint connection", Aliases: []string{"conn", "vpce-con"},
	Short:    "endpoint connections to your services, provider side (describe-vpc-endpoint-connections)",
	IDHeader: "ENDPOINT", NotFound: "InvalidVpcEndpointId.NotFound",
	Columns: []Column{{Header: "STATE"}, {Header: "SERVICE"}, {Header: "OWNER"}, {Header: "DNS NAME"},
		{Header: "IP TYPE", Wide: true}, {Header: "CONNECTION ID", Wide: true}},
	list: func(ctx context.Context, src source) ([]Item, error) {
		out, err := src.api.DescribeVpcEndpointConnections(ctx, &control.DescribeVpcEndpointConnectionsInput{})
		if err != nil {
			return nil, err
		}
		var items []Item
		for _, c := range out.VpcEndpointConnections {
			first := ""
			if len(c.DNSEntries) > 0 {
				first = c.DNSEntries[0].DNSName
			}
			items = append(items, Item{ID: c.VpcEndpointID, Keys: []string{c.VpcEndpointID, c.VpcEndpointConnectionID}, State: c.VpcEndpointState,
				Cells:   []string{c.VpcEndpointState, c.ServiceID, c.VpcEndpointOwner, cell(first), cell(c.IPAddressType), c.VpcEndpointConnectionID},
				Created: c.CreationTimestamp, Object: c})
		}
		return items, nil
	},
}

var vpcsKind = &Kind{
	Op:   "DescribeVpcs",
	Name: "vpcs", Singular: "vpc", Aliases: nil,
	Short:    "your VPCs (describe-vpcs)",
	IDHeader: "ID", NotFound: "InvalidVpcID.NotFound",
	Columns: []Column{{Header: "STATE"}, {Header: "CIDR"}, {Header: "IPV6 CIDR"}, {Header: "DEFAULT"}},
	list: func(ctx context.Context, src source) ([]Item, error) {
		out, err := src.api.DescribeVpcs(ctx, &control.DescribeVpcsInput{})
		if err != nil {
			return nil, err
		}
		created := src.created(ctx, "vpc")
		var items []Item
		for _, v := range out.Vpcs {
			v6 := ""
			if len(v.Ipv6CidrBlockAssociationSet) > 0 {
				v6 = v.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock
			}
			items = append(items, Item{ID: v.VpcID, State: v.State,
				Cells:   []string{v.State, v.CidrBlock, cell(v6), strconv.FormatBool(v.IsDefault)},
				Created: created[v.VpcID], Object: v})
		}
		return items, nil
	},
}

var subnetsKind = &Kind{
	Op:   "DescribeSubnets",
	Name: "subnets", Singular: "subnet", Aliases: []string{"sn"},
	Short:    "your subnets (describe-subnets)",
	IDHeader: "ID", NotFound: "InvalidSubnetID.NotFound",
	Columns: []Column{{Header: "STATE"}, {Header: "VPC"}, {Header: "ZONE"}, {Header: "CIDR"}, {Header: "IPV6 CIDR", Wide: true}},
	list: func(ctx context.Context, src source) ([]Item, error) {
		out, err := src.api.DescribeSubnets(ctx, &control.DescribeSubnetsInput{})
		if err != nil {
			return nil, err
		}
		created := src.created(ctx, "subnet")
		var items []Item
		for _, s := range out.Subnets {
			v6 := ""
			if len(s.Ipv6CidrBlockAssociationSet) > 0 {
				v6 = s.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock
			}
			items = append(items, Item{ID: s.SubnetID, State: s.State,
				Cells:   []string{s.State, s.VpcID, s.AvailabilityZone, cell(s.CidrBlock), cell(v6)},
				Created: created[s.SubnetID], Object: s})
		}
		return items, nil
	},
}

var lbsKind = &Kind{
	Op:   "DescribeLoadBalancers",
	Name: "lbs", Singular: "lb", Noun: "load balancer", Aliases: []string{"loadbalancers", "loadbalancer", "nlb", "nlbs"},
	Short:    "your load balancers (describe-load-balancers), with their node addresses",
	IDHeader: "NAME", NotFound: control.ErrCodeLoadBalancerNotFound,
	Columns: []Column{{Header: "STATE"}, {Header: "SCHEME"}, {Header: "ADDRESSES"}, {Header: "DNS NAME"},
		{Header: "VPC", Wide: true}, {Header: "ZONES", Wide: true}, {Header: "ARN", Wide: true}},
	list: func(ctx context.Context, src source) ([]Item, error) {
		out, err := src.api.DescribeLoadBalancers(ctx, &control.DescribeLoadBalancersInput{})
		if err != nil {
			return nil, err
		}
		var items []Item
		for _, lb := range out.LoadBalancers {
			var addrs, zones []string
			for _, z := range lb.AvailabilityZones {
				zones = append(zones, z.ZoneName)
				for _, a := range z.LoadBalancerAddresses {
					for _, ip := range []string{a.IPAddress, a.PrivateIPv4Address, a.IPv6Address} {
						if ip != "" && !slices.Contains(addrs, ip) {
							addrs = append(addrs, ip)
						}
					}
				}
			}
			items = append(items, Item{ID: lb.LoadBalancerName, ARN: lb.LoadBalancerARN, Keys: []string{lb.LoadBalancerName, lb.LoadBalancerARN}, State: lb.State.Code,
				Cells:   []string{lb.State.Code, lb.Scheme, cells(addrs), lb.DNSName, lb.VpcID, cells(zones), lb.LoadBalancerARN},
				Created: lb.CreatedTime, Object: lb})
		}
		return items, nil
	},
}

var targetGroupsKind = &Kind{
	Op:   "DescribeTargetGroups",
	Name: "targetgroups", Singular: "targetgroup", Noun: "target group", Aliases: []string{"tg", "tgs", "target-groups", "target-group"},
	Short:    "your target groups (describe-target-groups), with how many targets are healthy",
	IDHeader: "NAME", NotFound: control.ErrCodeTargetGroupNotFound,
	Columns: []Column{{Header: "PROTOCOL"}, {Header: "PORT"}, {Header: "HEALTHY"}, {Header: "LOAD BALANCERS"},
		{Header: "VPC", Wide: true}, {Header: "TYPE", Wide: true}, {Header: "ARN", Wide: true}},
	list: func(ctx context.Context, src source) ([]Item, error) {
		out, err := src.api.DescribeTargetGroups(ctx, &control.DescribeTargetGroupsInput{})
		if err != nil {
			return nil, err
		}
		created := src.created(ctx, "target-group")
		var items []Item
		for _, g := range out.TargetGroups {
			h, err := src.api.DescribeTargetHealth(ctx, &control.DescribeTargetHealthInput{TargetGroupARN: g.TargetGroupARN})
			if err != nil {
				return nil, err
			}
			healthy := 0
			for _, d := range h.TargetHealthDescriptions {
				if d.TargetHealth.State == "healthy" {
					healthy++
				}
			}
			items = append(items, Item{ID: g.TargetGroupName, ARN: g.TargetGroupARN, Keys: []string{g.TargetGroupName, g.TargetGroupARN},
				Cells: []string{g.Protocol, strconv.Itoa(g.Port), fmt.Sprintf("%d/%d", healthy, len(h.TargetHealthDescriptions)),
					lbNames(g.LoadBalancerARNs), g.VpcID, g.TargetType, g.TargetGroupARN},
				Created: created[g.TargetGroupARN], Object: g})
		}
		return items, nil
	},
}

// Target is a target's health with the target group it is registered in:
// a DescribeTargetHealth item, which alone does not name its group.
type Target struct {
	TargetGroupArn string `json:"TargetGroupArn"`
	control.TargetHealthDescription
}

// TargetID names a target in a target group: NAME/IP:PORT.
func TargetID(tgName string, t control.TargetDescription) string {
	port := ""
	if t.Port != nil {
		port = ":" + strconv.Itoa(*t.Port)
	}
	return tgName + "/" + t.ID + port
}

var targetsKind = &Kind{
	Op:   "DescribeTargetHealth",
	Name: "targets", Singular: "target", Noun: "target group", Aliases: []string{"tgt"},
	Short:    "the targets of your target groups and their health (describe-target-health); arguments name target groups",
	IDHeader: "TARGET", NotFound: control.ErrCodeTargetGroupNotFound,
	NoAge: true, // the store keeps no registration time: AGE would always be <unknown>
	Columns: []Column{{Header: "STATE"}, {Header: "TARGET GROUP"}, {Header: "PORT"}, {Header: "ZONE"}, {Header: "REASON"},
		{Header: "DESCRIPTION", Wide: true}, {Header: "TARGET GROUP ARN", Wide: true}},
	list: func(ctx context.Context, src source) ([]Item, error) {
		out, err := src.api.DescribeTargetGroups(ctx, &control.DescribeTargetGroupsInput{})
		if err != nil {
			return nil, err
		}
		var items []Item
		for _, g := range out.TargetGroups {
			h, err := src.api.DescribeTargetHealth(ctx, &control.DescribeTargetHealthInput{TargetGroupARN: g.TargetGroupARN})
			if err != nil {
				return nil, err
			}
			for _, d := range h.TargetHealthDescriptions {
				port := none
				if d.Target.Port != nil {
					port = strconv.Itoa(*d.Target.Port)
				}
				items = append(items, Item{ID: TargetID(g.TargetGroupName, d.Target),
					Keys:  []string{g.TargetGroupName, g.TargetGroupARN, TargetID(g.TargetGroupName, d.Target)},
					State: d.TargetHealth.State,
					Cells: []string{d.TargetHealth.State, g.TargetGroupName, port, cell(d.Target.AvailabilityZone), cell(d.TargetHealth.Reason),
						cell(d.TargetHealth.Description), g.TargetGroupARN},
					Object: Target{TargetGroupArn: g.TargetGroupARN, TargetHealthDescription: d}})
			}
		}
		return items, nil
	},
}

var notificationsKind = &Kind{
	Op:   "DescribeVpcEndpointConnectionNotifications",
	Name: "notifications", Singular: "notification", Noun: "connection notification", Aliases: []string{"nfn", "vpce-nfn"},
	Short:    "your connection notifications (describe-vpc-endpoint-connection-notifications)",
	IDHeader: "ID", NotFound: control.ErrCodeInvalidConnectionNotification,
	Columns: []Column{{Header: "STATE"}, {Header: "RESOURCE"}, {Header: "TARGET"}, {Header: "EVENTS"}},
	list: func(ctx context.Context, src source) ([]Item, error) {
		out, err := src.api.DescribeVpcEndpointConnectionNotifications(ctx, &control.DescribeVpcEndpointConnectionNotificationsInput{})
		if err != nil {
			return nil, err
		}
		created := src.created(ctx, "notification")
		var items []Item
		for _, n := range out.ConnectionNotificationSet {
			res := n.ServiceID
			if res == "" {
				res = n.VpcEndpointID
			}
			items = append(items, Item{ID: n.ConnectionNotificationID, State: n.ConnectionNotificationState,
				Cells:   []string{n.ConnectionNotificationState, res, n.ConnectionNotificationArn, cells(n.ConnectionEvents)},
				Created: created[n.ConnectionNotificationID], Object: n})
		}
		return items, nil
	},
}

// EventColumns are the columns of an event after its SEQ: `plink events -o
// table` shows the same.
var EventColumns = []Column{{Header: "TIME"}, {Header: "TYPE"}, {Header: "RESOURCE"}, {Header: "SERVICE"}, {Header: "ENDPOINT"},
	{Header: "STATE"}, {Header: "CALLER", Wide: true}, {Header: "NOTIFICATION", Wide: true}}

// EventItem is one event as a row.
func EventItem(e control.EventRecord) Item {
	return Item{ID: strconv.FormatInt(e.Seq, 10), Keys: []string{strconv.FormatInt(e.Seq, 10), e.ResourceID, e.ServiceID, e.VpcEndpointID},
		State: e.State,
		Cells: []string{e.Time, e.Type, cell(e.ResourceID), cell(e.ServiceID), cell(e.VpcEndpointID), cell(e.State),
			cell(e.Caller), cell(e.NotificationID)},
		Created: e.Time, Object: e}
}

var eventsKind = &Kind{
	Op:   "Events",
	Name: "events", Singular: "event", Aliases: []string{"ev"},
	Short:    "connection events that concern you (plink events); arguments filter by seq or resource ID",
	IDHeader: "SEQ", Columns: EventColumns, NoAge: true,
	list: func(ctx context.Context, src source) ([]Item, error) {
		evs, err := src.api.Events(ctx, 0, 0)
		if err != nil {
			return nil, err
		}
		var items []Item
		for _, e := range evs {
			items = append(items, EventItem(e))
		}
		return items, nil
	},
}

var hostsKind = &Kind{
	Op:   "Hosts",
	Name: "hosts", Singular: "host", Aliases: []string{"hs"},
	Short:    "the hosts serving zones (plink serve --zones): their zones, addresses, heartbeat and state",
	IDHeader: "HOST",
	Columns: []Column{{Header: "ZONES"}, {Header: "ADDRESSES"}, {Header: "VERSION"}, {Header: "PID"},
		{Header: "HEARTBEAT"}, {Header: "STATE"}, {Header: "ID", Wide: true}},
	list: func(ctx context.Context, src source) ([]Item, error) {
		hosts, err := src.api.Hosts(ctx)
		if err != nil {
			return nil, err
		}
		now := time.Now()
		var items []Item
		for _, h := range hosts {
			addrs := h.Addresses
			if h.HostAddress != "" {
				addrs = append([]string{h.HostAddress}, addrs...)
			}
			beat := "-" // stopped
			if h.LastHeartbeat != "" {
				beat = heartbeatAge(h.LastHeartbeat, now)
			}
			items = append(items, Item{ID: h.HostName, Keys: []string{h.HostName, h.HostID}, State: h.State,
				Cells: []string{cell(strings.Join(h.Zones, ",")), cell(strings.Join(addrs, ",")), cell(h.Version),
					strconv.Itoa(h.Pid), beat, h.State, h.HostID},
				Created: h.StartTime, Object: h})
		}
		return items, nil
	},
}

// heartbeatAge is how long ago at was, to a tenth of a second: heartbeats
// come every second, so whole seconds would hide a late one.
func heartbeatAge(at string, now time.Time) string {
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return "<unknown>"
	}
	return fmt.Sprintf("%.1fs ago", max(0, now.Sub(t).Seconds()))
}

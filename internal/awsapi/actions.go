package awsapi

import (
	"sync"

	"github.com/plink-dev/plink/internal/control"
)

// Actions returns every action plink serves, EC2's, then ELBv2's, then
// STS's, each service's in the order of this list.
func Actions() []*Action { return actions() }

// Lookup returns the action of svc named name (the AWS name, e.g.
// DescribeVpcEndpoints), or nil.
func Lookup(svc Service, name string) *Action {
	for _, a := range actions() {
		if a.Service == svc && a.Name == name {
			return a
		}
	}
	return nil
}

// actions is the registry, made once.
var actions = sync.OnceValue(registry)

// registry is one line per action.
func registry() []*Action {
	return []*Action{
		// ec2
		Register(EC2, (*control.API).AcceptVpcEndpointConnections, Doc{
			Short:   "accept-endpoint-connections",
			Summary: "Accept endpoints waiting in pendingAcceptance",
			Help: map[string]string{
				"ServiceId":      "service ID",
				"VpcEndpointIds": "endpoint IDs"},
			Table: batchTable}),
		Register(EC2, (*control.API).AuthorizeSecurityGroupIngress, Doc{
			Summary: "Allow inbound traffic to a security group",
			Help: map[string]string{
				"GroupId":       "security group ID",
				"GroupName":     "security group name (default VPC)",
				"IpPermissions": "IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=127.0.0.0/8}]"}}),
		Register(EC2, (*control.API).CreateSecurityGroup, Doc{
			Summary: "Create a security group (no inbound rules)",
			Help: map[string]string{
				"Description":       "description",
				"GroupName":         "name, unique in the VPC",
				"TagSpecifications": "ResourceType=security-group,Tags=[{Key=k,Value=v}]",
				"VpcId":             "VPC ID (default: the default VPC)"},
			Table: sgCreateTable}),
		Register(EC2, (*control.API).CreateSubnet, Doc{
			Summary: "Create a subnet in one zone of a VPC",
			Help: map[string]string{
				"AvailabilityZoneId": "zone ID, e.g. use1-az1 (describe-availability-zones); with --availability-zone, the same zone",
				"OutpostArn":         "refused: plink has no Outposts",
				"AvailabilityZone":   "zone, e.g. us-east-1a (default <region>a)",
				"CidrBlock":          "IPv4 CIDR inside the VPC's block",
				"Ipv6CidrBlock":      "IPv6 /64 inside the VPC's /56",
				"Ipv6Native":         "IPv6-only subnet (no IPv4 block)",
				"TagSpecifications":  "ResourceType=subnet,Tags=[{Key=k,Value=v}]",
				"VpcId":              "VPC ID"},
			Table: single(subnetTable, "Subnet")}),
		Register(EC2, (*control.API).CreateVpc, Doc{
			Summary: "Create a VPC (its CIDR must not overlap any other VPC in the store)",
			Help: map[string]string{
				"InstanceTenancy":                 "default only (plink has no instances; dedicated and host are refused)",
				"Ipv4IpamPoolId":                  "refused: plink has no IPAM pools",
				"Ipv4NetmaskLength":               "refused: plink has no IPAM pools",
				"Ipv6IpamPoolId":                  "refused: plink has no IPAM pools",
				"Ipv6NetmaskLength":               "refused: plink has no IPAM pools",
				"Ipv6Pool":                        "refused: plink has no BYOIP pools (use --amazon-provided-ipv6-cidr-block)",
				"Ipv6CidrBlock":                   "refused: needs an IPv6 pool, which plink has not",
				"Ipv6CidrBlockNetworkBorderGroup": "the region, plink's only border group (with --amazon-provided-ipv6-cidr-block)",
				"AmazonProvidedIpv6CidrBlock":     "also give the VPC an IPv6 /56 (a ULA block)",
				"CidrBlock":                       "IPv4 CIDR, e.g. 127.100.0.0/16 (stays inside 127.0.0.0/8 to need no root)",
				"TagSpecifications":               "ResourceType=vpc,Tags=[{Key=k,Value=v}]"},
			Table: single(vpcTable, "Vpc")}),
		Register(EC2, (*control.API).CreateVpcEndpoint, Doc{
			Short:   "create-endpoint",
			Summary: "Create an interface endpoint to a service",
			Long: `Create an interface endpoint: one network interface per subnet (one subnet per
zone, in zones the service offers), with addresses from the subnets.

The endpoint is pendingAcceptance until the provider accepts it when the service
requires acceptance, else available at once. Private DNS is on by default when
the service has a verified private DNS name. Only Interface endpoints exist here.`,
			Help: map[string]string{
				"RouteTableIds":     "refused: Gateway endpoints only, plink's are Interface endpoints",
				"DnsOptions":        "DnsRecordIpType=ipv4|ipv6|dualstack|service-defined",
				"IpAddressType":     "ipv4, ipv6 or dualstack",
				"PrivateDnsEnabled": "answer the service's private DNS name inside the VPC",
				"SecurityGroupIds":  "security groups (default: the VPC's default group)",
				"ServiceName":       "com.amazonaws.vpce.<region>.vpce-svc-...",
				"SubnetIds":         "subnets, one per zone",
				"TagSpecifications": "ResourceType=vpc-endpoint,Tags=[{Key=k,Value=v}]",
				"VpcEndpointType":   "Interface (the only type plink serves)",
				"VpcId":             "VPC ID"},
			Table: single(endpointTable, "VpcEndpoint")}),
		Register(EC2, (*control.API).CreateVpcEndpointConnectionNotification, Doc{
			Short:   "create-endpoint-connection-notification",
			Summary: "Be told of connection events",
			Long: `Be told of an endpoint service's or an endpoint's connection events.

TARGET is an SNS topic ARN (the message is recorded in the store: see 'plink
events'), an http:// or https:// URL (POSTed as JSON), or file:///path
(appended as one JSON line per event; the directory must exist, and the path
must be a regular file or absent, outside /proc, /sys and /dev).

Messages are written with the change that causes them. The command making
the change then tries them, all at once, for at most 2 seconds in total;
what fails, 'plink serve' retries with backoff (in order per target, up to
10 attempts or an hour). Failures are logged and recorded as events:
Notification.Retrying on the first, Notification.Failed when given up.`,
			Help: map[string]string{
				"ConnectionEvents":          "Connect, Accept, Reject, Delete",
				"ConnectionNotificationArn": "SNS topic ARN, http(s) URL or file:// path",
				"ServiceId":                 "service ID (provider)",
				"VpcEndpointId":             "endpoint ID (consumer)"},
			Table: single(notificationTable, "ConnectionNotification")}),
		Register(EC2, (*control.API).CreateVpcEndpointServiceConfiguration, Doc{
			Short:   "create-endpoint-service",
			Summary: "Publish network load balancers as an endpoint service",
			Long: `Publish network load balancers as an endpoint service.

Acceptance is required unless --no-acceptance-required is given (the console's
default). IPv6 support needs every load balancer to be dualstack.`,
			Help: map[string]string{
				"GatewayLoadBalancerArns": "refused: plink has network load balancers only",
				"AcceptanceRequired":      "endpoints wait in pendingAcceptance until accepted (default)",
				"NetworkLoadBalancerArns": "ARNs of the network load balancers",
				"PrivateDnsName":          "private DNS name, e.g. api.example.com or *.example.com (needs verification)",
				"SupportedIpAddressTypes": "ipv4 and/or ipv6 (default ipv4)",
				"TagSpecifications":       "ResourceType=vpc-endpoint-service,Tags=[{Key=k,Value=v}]"},
			Table: single(serviceTable, "ServiceConfiguration")}),
		Register(EC2, (*control.API).DeleteSecurityGroup, Doc{
			Summary: "Delete a security group no endpoint uses",
			Help: map[string]string{
				"GroupId":   "security group ID",
				"GroupName": "security group name (default VPC)"}}),
		Register(EC2, (*control.API).DeleteSubnet, Doc{
			Summary: "Delete a subnet no endpoint or load balancer uses",
			Help: map[string]string{
				"SubnetId": "subnet ID"}}),
		Register(EC2, (*control.API).DeleteVpc, Doc{
			Summary: "Delete a VPC that holds nothing",
			Help: map[string]string{
				"VpcId": "VPC ID"}}),
		Register(EC2, (*control.API).DeleteVpcEndpointConnectionNotifications, Doc{
			Short:   "delete-endpoint-connection-notifications",
			Summary: "Delete connection notifications",
			Help: map[string]string{
				"ConnectionNotificationIds": "notification IDs"},
			Table: batchTable}),
		Register(EC2, (*control.API).DeleteVpcEndpointServiceConfigurations, Doc{
			Short:   "delete-endpoint-services",
			Summary: "Delete endpoint services without active connections",
			Help: map[string]string{
				"ServiceIds": "service IDs"},
			Table: batchTable}),
		Register(EC2, (*control.API).DeleteVpcEndpoints, Doc{
			Short:   "delete-endpoints",
			Summary: "Delete your endpoints",
			Help: map[string]string{
				"VpcEndpointIds": "endpoint IDs"},
			Table: batchTable}),
		Register(EC2, (*control.API).DescribeNetworkInterfaces, Doc{
			Summary: "List your endpoints' network interfaces and their addresses",
			Help: map[string]string{
				"NetworkInterfaceIds": "ENI IDs"},
			Table: eniTable}),
		Register(EC2, (*control.API).DescribeSecurityGroups, Doc{
			Summary: "List security groups with their inbound rules",
			Help: map[string]string{
				"GroupIds":   "security group IDs",
				"GroupNames": "security group names"},
			Table: sgTable}),
		Register(EC2, (*control.API).DescribeSubnets, Doc{
			Summary: "List subnets",
			Help: map[string]string{
				"SubnetIds": "subnet IDs"},
			Table: subnetTable}),
		Register(EC2, (*control.API).DescribeVpcEndpointConnectionNotifications, Doc{
			Short:   "describe-endpoint-connection-notifications",
			Summary: "List your connection notifications",
			Help: map[string]string{
				"ConnectionNotificationId": "notification ID"},
			Table: notificationTable}),
		Register(EC2, (*control.API).DescribeVpcEndpointConnections, Doc{
			Short:   "describe-endpoint-connections",
			Summary: "List the endpoints connected to your services",
			Table:   connectionsTable}),
		Register(EC2, (*control.API).DescribeVpcEndpointServiceConfigurations, Doc{
			Short:   "describe-endpoint-service-configurations",
			Summary: "List your endpoint services",
			Help: map[string]string{
				"ServiceIds": "service IDs"},
			Table: serviceTable}),
		Register(EC2, (*control.API).DescribeVpcEndpointServicePermissions, Doc{
			Short:   "describe-endpoint-service-permissions",
			Summary: "List the principals allowed to connect",
			Help: map[string]string{
				"ServiceId": "service ID"},
			Table: permissionsTable}),
		Register(EC2, (*control.API).DescribeVpcEndpointServices, Doc{
			Short:   "describe-endpoint-services",
			Summary: "List the endpoint services you may connect to",
			Help: map[string]string{
				"ServiceNames": "service names"},
			Table: servicesTable}),
		Register(EC2, (*control.API).DescribeVpcEndpoints, Doc{
			Short:   "describe-endpoints",
			Summary: "List your endpoints",
			Help: map[string]string{
				"VpcEndpointIds": "endpoint IDs"},
			Table: endpointTable}),
		Register(EC2, (*control.API).DescribeVpcs, Doc{
			Summary: "List VPCs",
			Help: map[string]string{
				"VpcIds": "VPC IDs"},
			Table: vpcTable}),
		Register(EC2, (*control.API).ModifyVpcEndpoint, Doc{
			Short:   "modify-endpoint",
			Summary: "Change an endpoint's subnets, groups, private DNS or IP types",
			Help: map[string]string{
				"AddRouteTableIds":       "refused: Gateway endpoints only",
				"RemoveRouteTableIds":    "refused: Gateway endpoints only",
				"AddSecurityGroupIds":    "security groups to add",
				"AddSubnetIds":           "subnets to add",
				"DnsOptions":             "DnsRecordIpType=ipv4|ipv6|dualstack|service-defined",
				"IpAddressType":          "ipv4, ipv6 or dualstack",
				"PrivateDnsEnabled":      "enable private DNS",
				"RemoveSecurityGroupIds": "security groups to remove",
				"RemoveSubnetIds":        "subnets to remove",
				"VpcEndpointId":          "endpoint ID"}}),
		Register(EC2, (*control.API).ModifyVpcEndpointConnectionNotification, Doc{
			Short:   "modify-endpoint-connection-notification",
			Summary: "Change a connection notification's target or events",
			Help: map[string]string{
				"ConnectionEvents":          "Connect, Accept, Reject, Delete",
				"ConnectionNotificationArn": "SNS topic ARN, http(s) URL or file:// path",
				"ConnectionNotificationId":  "notification ID"}}),
		Register(EC2, (*control.API).ModifyVpcEndpointServiceConfiguration, Doc{
			Short:   "modify-endpoint-service",
			Summary: "Change an endpoint service",
			Help: map[string]string{
				"AddGatewayLoadBalancerArns":    "refused: plink has network load balancers only",
				"RemoveGatewayLoadBalancerArns": "refused: plink has network load balancers only",
				"AcceptanceRequired":            "require acceptance",
				"AddNetworkLoadBalancerArns":    "load balancers to add",
				"AddSupportedIpAddressTypes":    "ipv4 and/or ipv6",
				"PrivateDnsName":                "set the private DNS name (starts a new verification)",
				"RemoveNetworkLoadBalancerArns": "load balancers to remove",
				"RemovePrivateDnsName":          "remove the private DNS name",
				"RemoveSupportedIpAddressTypes": "ipv4 and/or ipv6",
				"ServiceId":                     "service ID"}}),
		Register(EC2, (*control.API).ModifyVpcEndpointServicePermissions, Doc{
			Short:   "modify-endpoint-service-permissions",
			Summary: "Allow or disallow principals to connect",
			Long: `Allow or disallow principals to connect to an endpoint service.

A principal is '*' (everyone), an account root (arn:aws:iam::123456789012:root:
every principal of that account), or a user or role ARN. Removing a principal
leaves its existing endpoints connected, as on AWS.`,
			Help: map[string]string{
				"AddAllowedPrincipals":    "principals to allow",
				"RemoveAllowedPrincipals": "principals to remove",
				"ServiceId":               "service ID"}}),
		Register(EC2, (*control.API).RejectVpcEndpointConnections, Doc{
			Short:   "reject-endpoint-connections",
			Summary: "Reject pending or available endpoints",
			Help: map[string]string{
				"ServiceId":      "service ID",
				"VpcEndpointIds": "endpoint IDs"},
			Table: batchTable}),
		Register(EC2, (*control.API).RevokeSecurityGroupIngress, Doc{
			Summary: "Remove an inbound rule from a security group",
			Help: map[string]string{
				"GroupId":       "security group ID",
				"GroupName":     "security group name (default VPC)",
				"IpPermissions": "IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=127.0.0.0/8}]"}}),
		Register(EC2, (*control.API).StartVpcEndpointServicePrivateDnsVerification, Doc{
			Short:   "start-endpoint-service-private-dns-verification",
			Summary: "Verify the service's private DNS name through DNS",
			Long: `Look up the TXT record shown in PrivateDnsNameConfiguration (Name under the
private DNS name's domain, Value "vpce:...") through --resolver (default: the
system's resolver) and move the name to verified, or to failed.

Unlike AWS, plink checks before it answers, so the state is final on return.`,
			Help: map[string]string{
				"ServiceId": "service ID"}}),
		Register(EC2, (*control.API).AssociateSubnetCidrBlock, Doc{
			Summary: "Give a subnet an IPv6 /64 inside its VPC's /56"}),
		Register(EC2, (*control.API).AssociateVpcCidrBlock, Doc{
			Summary: "Add an IPv4 block or the Amazon-provided IPv6 /56 to a VPC"}),
		Register(EC2, (*control.API).CreateTags, Doc{
			Summary: "Add or overwrite tags on your EC2 resources (at most 50 a resource)"}),
		Register(EC2, (*control.API).DeleteTags, Doc{
			Summary: "Remove tags from your EC2 resources (every tag when none is given)"}),
		Register(EC2, (*control.API).DescribeAvailabilityZones, Doc{
			Summary: "List the zones of the region (a, b and c) with their zone IDs",
			Table:   azTable}),
		Register(EC2, (*control.API).DescribeTagsEC2, Doc{
			Action:  "DescribeTags",
			Summary: "List the tags of your EC2 resources",
			Table:   ec2TagsTable}),
		Register(EC2, (*control.API).DescribeVpcAttribute, Doc{
			Summary: "Show one attribute of a VPC (enableDnsSupport, enableDnsHostnames, ...)"}),
		Register(EC2, (*control.API).DisassociateSubnetCidrBlock, Doc{
			Summary: "Remove the IPv6 block of a subnet once no address of it is in use"}),
		Register(EC2, (*control.API).DisassociateVpcCidrBlock, Doc{
			Summary: "Remove a secondary IPv4 block or the IPv6 block of a VPC once no subnet uses it"}),
		Register(EC2, (*control.API).ModifyVpcAttribute, Doc{
			Summary: "Turn a VPC's DNS attributes on or off (private DNS on an endpoint needs both)"}),
		Register(EC2, (*control.API).ModifyVpcEndpointServicePayerResponsibility, Doc{
			Summary: "Make the service owner pay for its endpoint connections"}),
		// elbv2
		Register(ELBv2, (*control.API).AddTags, Doc{
			Summary: "Tag load balancers, target groups and listeners",
			Help: map[string]string{
				"ResourceArns": "ARNs of load balancers, target groups or listeners",
				"Tags":         "Key=K,Value=V ..."}}),
		Register(ELBv2, (*control.API).CreateListener, Doc{
			Summary: "Add a TCP listener forwarding to a target group",
			Long: `Add a TCP listener forwarding to one target group, in the load balancer's VPC
and used by no other load balancer. Only TCP listeners and forward actions
exist here. Creating a listener again with the same settings answers the
existing one; another listener on the port is DuplicateListener.`,
			Help: map[string]string{
				"SslPolicy":       "refused: TLS listeners only, plink's are TCP",
				"Certificates":    "refused: TLS listeners only, plink's are TCP",
				"AlpnPolicy":      "refused: TLS listeners only, plink's are TCP",
				"DefaultActions":  "Type=forward,TargetGroupArn=ARN (or JSON with ForwardConfig)",
				"LoadBalancerArn": "load balancer ARN",
				"Port":            "listener port",
				"Protocol":        "TCP",
				"Tags":            "Key=k,Value=v ..."},
			Table: listenerTable}),
		Register(ELBv2, (*control.API).CreateLoadBalancer, Doc{
			Summary: "Create a network load balancer",
			Long: `Create a network load balancer with one node per subnet (one subnet per zone,
all in one VPC). Each node gets a real address of its subnet, which
'plink serve' binds; dualstack also gives each node an IPv6 address, so every
subnet needs an IPv6 block.

Only --type network exists here, and it is the default (AWS defaults to
application). Cross-zone load balancing is off, as on AWS. Creating a load
balancer again with the same settings answers the existing one.`,
			Help: map[string]string{
				"SecurityGroups":        "refused: plink's load balancers filter no traffic (endpoints' security groups do)",
				"CustomerOwnedIpv4Pool": "refused: Application Load Balancers on Outposts only",
				"IpAddressType":         "ipv4 (default) or dualstack",
				"Name":                  "name: 1-32 letters, digits and hyphens, unique in the account and region",
				"Scheme":                "internet-facing (default) or internal (DNS name starts with internal-)",
				"SubnetMappings":        "SubnetId=ID[,PrivateIPv4Address=IP][,IPv6Address=IP] (private addresses for internal load balancers)",
				"Subnets":               "subnet IDs, one per zone",
				"Tags":                  "Key=k,Value=v ...",
				"Type":                  "load balancer type: network"},
			Table: lbTable}),
		Register(ELBv2, (*control.API).CreateTargetGroup, Doc{
			Summary: "Create a target group of IP targets",
			Long: `Create a TCP target group of IP targets with an active health check (NLB
defaults: TCP on the traffic port every 30 s, timeout 10 s (6 s for HTTP),
healthy after 5 checks, unhealthy after 2; HTTP checks use path / and codes
200-399).

Only --target-type ip exists here, and it is the default (AWS defaults to
instance): instance, lambda and alb targets do not exist on one host.
Creating a target group again with the same settings answers the existing one.`,
			Help: map[string]string{
				"ProtocolVersion":            "refused: HTTP and HTTPS target groups only, plink's are TCP",
				"HealthCheckEnabled":         "enable health checks (default)",
				"HealthCheckIntervalSeconds": "5-300 (default 30)",
				"HealthCheckPath":            "HTTP path (default /)",
				"HealthCheckPort":            "traffic-port (default) or a port",
				"HealthCheckProtocol":        "TCP (default) or HTTP",
				"HealthCheckTimeoutSeconds":  "2-120 (default 10, 6 for HTTP)",
				"HealthyThresholdCount":      "2-10 (default 5)",
				"IpAddressType":              "ipv4 (default) or ipv6 targets",
				"Matcher":                    "HttpCode=200-399 (HTTP checks; codes as 200, 200,202 or 200-299)",
				"Name":                       "name: 1-32 letters, digits and hyphens, unique in the account and region",
				"Port":                       "the targets' default port",
				"Protocol":                   "TCP",
				"Tags":                       "Key=k,Value=v ...",
				"TargetType":                 "ip",
				"UnhealthyThresholdCount":    "2-10 (default 2)",
				"VpcId":                      "VPC of the targets"},
			Table: tgTable}),
		Register(ELBv2, (*control.API).DeleteListener, Doc{
			Summary: "Delete a listener",
			Help: map[string]string{
				"ListenerArn": "listener ARN"}}),
		Register(ELBv2, (*control.API).DeleteLoadBalancer, Doc{
			Summary: "Delete a load balancer and its listeners",
			Long: `Delete a load balancer with its listeners and free its node addresses.
Its target groups stay. As on AWS, deleting a load balancer that does not
exist succeeds; one with deletion_protection.enabled or used by an endpoint
service is refused.`,
			Help: map[string]string{
				"LoadBalancerArn": "load balancer ARN"}}),
		Register(ELBv2, (*control.API).DeleteTargetGroup, Doc{
			Summary: "Delete a target group no listener uses",
			Long: `Delete a target group and its targets. A group a listener forwards to is
refused (ResourceInUse). As on AWS, deleting one that does not exist succeeds.`,
			Help: map[string]string{
				"TargetGroupArn": "target group ARN"}}),
		Register(ELBv2, (*control.API).DeregisterTargets, Doc{
			Summary: "Deregister targets from a target group",
			Long: `Deregister targets. They drain: the data plane sends them no new connections
and ends open ones after the group's deregistration_delay.timeout_seconds
(300 s by default); describe-target-health shows them draining until then, and
the next change to the group after that removes them. Deregistering a target
that is not registered is InvalidTarget.`,
			Help: map[string]string{
				"TargetGroupArn": "target group ARN",
				"Targets":        "Id=IP[,Port=PORT][,AvailabilityZone=ZONE|all] ..."}}),
		Register(ELBv2, (*control.API).DescribeListenerAttributes, Doc{
			Summary: "Show a listener's attributes",
			Long: `Show every attribute of a listener with its value:
tcp.idle_timeout.seconds (60-6000, default 350)`,
			Table: attrTable}),
		Register(ELBv2, (*control.API).DescribeListeners, Doc{
			Summary: "List listeners",
			Help: map[string]string{
				"ListenerArns":    "listener ARNs",
				"LoadBalancerArn": "load balancer ARN"},
			Table: listenerTable}),
		Register(ELBv2, (*control.API).DescribeLoadBalancerAttributes, Doc{
			Summary: "Show a load balancer's attributes",
			Long: `Show every attribute of a load balancer with its value:
deletion_protection.enabled (true|false, default false: delete-load-balancer refuses while true)
load_balancing.cross_zone.enabled (true|false, default false)
dns_record.client_routing_policy (any_availability_zone (default) | availability_zone_affinity | partial_availability_zone_affinity)`,
			Help: map[string]string{
				"LoadBalancerArn": "load balancer ARN"},
			Table: attrTable}),
		Register(ELBv2, (*control.API).DescribeLoadBalancers, Doc{
			Summary: "List network load balancers",
			Help: map[string]string{
				"LoadBalancerArns": "load balancer ARNs",
				"Names":            "load balancer names"},
			Table: lbTable}),
		Register(ELBv2, (*control.API).DescribeTags, Doc{
			Summary: "Show the tags of load balancers, target groups and listeners",
			Help: map[string]string{
				"ResourceArns": "ARNs of load balancers, target groups or listeners"},
			Table: tagsTable}),
		Register(ELBv2, (*control.API).DescribeTargetGroupAttributes, Doc{
			Summary: "Show a target group's attributes",
			Long: `Show every attribute of a target group with its value:
proxy_protocol_v2.enabled (true|false, default false)
deregistration_delay.timeout_seconds (0-3600, default 300)
deregistration_delay.connection_termination.enabled (true|false, default false)
load_balancing.cross_zone.enabled (true|false|use_load_balancer_configuration (default))
preserve_client_ip.enabled (true|false, default false)
stickiness.enabled (true|false, default false), stickiness.type (source_ip)
target_health_state.unhealthy.connection_termination.enabled (true|false, default true)
target_health_state.unhealthy.draining_interval_seconds (0-360000, default 0)`,
			Help: map[string]string{
				"TargetGroupArn": "target group ARN"},
			Table: attrTable}),
		Register(ELBv2, (*control.API).DescribeTargetGroups, Doc{
			Summary: "List target groups",
			Help: map[string]string{
				"LoadBalancerArn": "only the groups this load balancer's listeners use",
				"Names":           "target group names",
				"TargetGroupArns": "target group ARNs"},
			Table: tgTable}),
		Register(ELBv2, (*control.API).DescribeTargetHealth, Doc{
			Summary: "Show the health of a target group's targets",
			Long: `Show each target's health: initial until 'plink serve' has checked it, then
healthy or unhealthy as serve observed; unused while no listener forwards to
the group (or the target's zone is not one of the load balancer's); draining
after deregistration; unavailable when health checks are disabled.`,
			Help: map[string]string{
				"TargetGroupArn": "target group ARN",
				"Targets":        "only these targets: Id=IP[,Port=PORT] ..."},
			Table: healthTable}),
		Register(ELBv2, (*control.API).ModifyListener, Doc{
			Summary: "Change a listener's port or target group",
			Help: map[string]string{
				"SslPolicy":      "refused: TLS listeners only, plink's are TCP",
				"Certificates":   "refused: TLS listeners only, plink's are TCP",
				"AlpnPolicy":     "refused: TLS listeners only, plink's are TCP",
				"DefaultActions": "Type=forward,TargetGroupArn=ARN",
				"ListenerArn":    "listener ARN",
				"Port":           "new port",
				"Protocol":       "TCP"},
			Table: listenerTable}),
		Register(ELBv2, (*control.API).ModifyListenerAttributes, Doc{
			Summary: "Change a listener's attributes",
			Long: `Change attributes of a listener; the answer lists them all. Keys:
tcp.idle_timeout.seconds (60-6000, default 350)`,
			Table: attrTable}),
		Register(ELBv2, (*control.API).ModifyLoadBalancerAttributes, Doc{
			Summary: "Change a load balancer's attributes",
			Long: `Change attributes of a load balancer; the answer lists them all. Keys:
deletion_protection.enabled (true|false, default false: delete-load-balancer refuses while true)
load_balancing.cross_zone.enabled (true|false, default false)
dns_record.client_routing_policy (any_availability_zone (default) | availability_zone_affinity | partial_availability_zone_affinity)`,
			Help: map[string]string{
				"Attributes":      "Key=K,Value=V ...",
				"LoadBalancerArn": "load balancer ARN"},
			Table: attrTable}),
		Register(ELBv2, (*control.API).ModifyTargetGroup, Doc{
			Summary: "Change a target group's health check",
			Help: map[string]string{
				"HealthCheckEnabled":         "enable health checks (default)",
				"HealthCheckIntervalSeconds": "5-300 (default 30)",
				"HealthCheckPath":            "HTTP path (default /)",
				"HealthCheckPort":            "traffic-port (default) or a port",
				"HealthCheckProtocol":        "TCP (default) or HTTP",
				"HealthCheckTimeoutSeconds":  "2-120 (default 10, 6 for HTTP)",
				"HealthyThresholdCount":      "2-10 (default 5)",
				"Matcher":                    "HttpCode=200-399 (HTTP checks; codes as 200, 200,202 or 200-299)",
				"TargetGroupArn":             "target group ARN",
				"UnhealthyThresholdCount":    "2-10 (default 2)"},
			Table: tgTable}),
		Register(ELBv2, (*control.API).ModifyTargetGroupAttributes, Doc{
			Summary: "Change a target group's attributes",
			Long: `Change attributes of a target group; the answer lists them all. Keys:
proxy_protocol_v2.enabled (true|false, default false)
deregistration_delay.timeout_seconds (0-3600, default 300)
deregistration_delay.connection_termination.enabled (true|false, default false)
load_balancing.cross_zone.enabled (true|false|use_load_balancer_configuration (default))
preserve_client_ip.enabled (true|false, default false)
stickiness.enabled (true|false, default false), stickiness.type (source_ip)
target_health_state.unhealthy.connection_termination.enabled (true|false, default true)
target_health_state.unhealthy.draining_interval_seconds (0-360000, default 0)`,
			Help: map[string]string{
				"Attributes":     "Key=K,Value=V ...",
				"TargetGroupArn": "target group ARN"},
			Table: attrTable}),
		Register(ELBv2, (*control.API).RegisterTargets, Doc{
			Summary: "Register IP targets with a target group",
			Long: `Register IP targets with a target group:
  --targets Id=127.0.0.1,Port=8080 Id=127.16.0.50

Port defaults to the group's port. AvailabilityZone defaults to the zone of
the VPC subnet holding the IP; an IP outside the group's VPC serves every zone
("all"). AWS requires AvailabilityZone=all for such an IP; plink also takes it
without. A zone that does not match the IP's subnet is refused. Registering a
draining target again brings it back.`,
			Help: map[string]string{
				"TargetGroupArn": "target group ARN",
				"Targets":        "Id=IP[,Port=PORT][,AvailabilityZone=ZONE|all] ..."}}),
		Register(ELBv2, (*control.API).RemoveTags, Doc{
			Summary: "Remove tags from load balancers, target groups and listeners",
			Help: map[string]string{
				"ResourceArns": "ARNs of load balancers, target groups or listeners",
				"TagKeys":      "tag keys"}}),
		Register(ELBv2, (*control.API).SetIpAddressType, Doc{
			Summary: "Make a load balancer ipv4 or dualstack (dualstack needs an IPv6 block on every subnet)"}),
		Register(ELBv2, (*control.API).SetSubnets, Doc{
			Summary: "Add or remove a load balancer's subnets: one node per subnet"}),
		// sts
		Register(STS, (*control.API).GetCallerIdentity, Doc{
			Summary: "Show the account and principal commands act as",
			Table:   callerTable}),
	}
}

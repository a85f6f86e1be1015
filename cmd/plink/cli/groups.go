package cli

import (
	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
)

// The help groups of plink --help, in the order it lists them.
const (
	groupVPC       = "vpc"
	groupLB        = "lb"
	groupServices  = "services"
	groupEndpoints = "endpoints"
	groupDataPlane = "dataplane"
	groupTools     = "tools"
	groupAWS       = "aws"
)

// helpGroups are the groups' titles.
var helpGroups = []*cobra.Group{
	{ID: groupVPC, Title: "VPCs, subnets and security groups:"},
	{ID: groupLB, Title: "Load balancing (network load balancers, target groups, listeners):"},
	{ID: groupServices, Title: "Endpoint services (the provider's side):"},
	{ID: groupEndpoints, Title: "Endpoints (the consumer's side):"},
	{ID: groupDataPlane, Title: "Data plane (making the topology real):"},
	{ID: groupTools, Title: "Tools:"},
	{ID: groupAWS, Title: "Every action by its AWS CLI name (as 'aws <service> <command>'):"},
}

// commandGroups assigns every top-level command to its group by name. A
// command missing here fails TestEveryCommandGrouped: a new command is
// added to this table, not given a GroupID of its own, so the groups are
// read in one place. Names of commands not built yet (other work in
// progress) are harmless.
var commandGroups = map[string]string{
	// VPC
	"create-vpc": groupVPC, "delete-vpc": groupVPC, "describe-vpcs": groupVPC,
	"describe-vpc-attribute": groupVPC, "modify-vpc-attribute": groupVPC,
	"associate-vpc-cidr-block": groupVPC, "disassociate-vpc-cidr-block": groupVPC,
	"create-subnet": groupVPC, "delete-subnet": groupVPC, "describe-subnets": groupVPC,
	"associate-subnet-cidr-block": groupVPC, "disassociate-subnet-cidr-block": groupVPC,
	"create-security-group": groupVPC, "delete-security-group": groupVPC, "describe-security-groups": groupVPC,
	"authorize-security-group-ingress": groupVPC, "revoke-security-group-ingress": groupVPC,
	"describe-availability-zones": groupVPC, "describe-network-interfaces": groupVPC,
	"create-tags": groupVPC, "delete-tags": groupVPC,

	// Load balancing
	"create-load-balancer": groupLB, "delete-load-balancer": groupLB, "describe-load-balancers": groupLB,
	"describe-load-balancer-attributes": groupLB, "modify-load-balancer-attributes": groupLB,
	"set-ip-address-type": groupLB, "set-subnets": groupLB,
	"create-target-group": groupLB, "delete-target-group": groupLB, "describe-target-groups": groupLB,
	"describe-target-group-attributes": groupLB, "modify-target-group": groupLB, "modify-target-group-attributes": groupLB,
	"register-targets": groupLB, "deregister-targets": groupLB, "describe-target-health": groupLB,
	"create-listener": groupLB, "delete-listener": groupLB, "describe-listeners": groupLB,
	"describe-listener-attributes": groupLB, "modify-listener": groupLB, "modify-listener-attributes": groupLB,
	"add-tags": groupLB, "remove-tags": groupLB, "describe-tags": groupLB,

	// Endpoint services
	"create-endpoint-service": groupServices, "delete-endpoint-services": groupServices,
	"describe-endpoint-service-configurations": groupServices, "modify-endpoint-service": groupServices,
	"describe-endpoint-service-permissions": groupServices, "modify-endpoint-service-permissions": groupServices,
	"describe-endpoint-connections": groupServices, "accept-endpoint-connections": groupServices,
	"reject-endpoint-connections":             groupServices,
	"create-endpoint-connection-notification": groupServices, "modify-endpoint-connection-notification": groupServices,
	"delete-endpoint-connection-notifications": groupServices, "describe-endpoint-connection-notifications": groupServices,
	"start-endpoint-service-private-dns-verification":  groupServices,
	"modify-vpc-endpoint-service-payer-responsibility": groupServices,

	// Endpoints
	"create-endpoint": groupEndpoints, "delete-endpoints": groupEndpoints, "describe-endpoints": groupEndpoints,
	"modify-endpoint": groupEndpoints, "describe-endpoint-services": groupEndpoints,

	// Data plane
	"serve": groupDataPlane, "backend": groupDataPlane, "api": groupDataPlane, "events": groupDataPlane,

	// Tools
	"get": groupTools, "apply": groupTools, "delete": groupTools, "wait": groupTools, "graph": groupTools,
	"doctor": groupTools, "man": groupTools, "demo": groupTools, "version": groupTools,
	"completion": groupTools, "help": groupTools, "get-caller-identity": groupTools,

	// The services: every action under its AWS CLI name.
	"ec2": groupAWS, "elbv2": groupAWS, "sts": groupAWS,
}

// serviceGroups groups the commands of a service command (plink ec2 ...)
// whose top-level namesake is another service's action: EC2's describe-tags
// is not ELBv2's.
var serviceGroups = map[string]string{
	"ec2 describe-tags": groupVPC,
}

// groupCommands sets the GroupID of root's commands from commandGroups,
// and of the service commands' actions from their top-level namesakes (the
// top-level command that answers to the same AWS CLI name), so 'plink ec2
// --help' is grouped as 'plink --help' is.
func groupCommands(root *cobra.Command) {
	root.AddGroup(helpGroups...)
	root.SetHelpCommandGroupID(groupTools)
	root.SetCompletionCommandGroupID(groupTools)
	for _, c := range root.Commands() {
		c.GroupID = commandGroups[c.Name()]
	}
	for _, svc := range root.Commands() {
		if commandGroups[svc.Name()] != groupAWS {
			continue
		}
		var used []*cobra.Group
		seen := map[string]bool{}
		for _, c := range svc.Commands() {
			c.GroupID = serviceCommandGroup(root, svc, c)
			if c.GroupID != "" && !seen[c.GroupID] {
				seen[c.GroupID] = true
			}
		}
		for _, g := range helpGroups {
			if seen[g.ID] {
				used = append(used, g)
			}
		}
		svc.AddGroup(used...)
	}
}

// serviceCommandGroup is the group of c, an action of the service command
// svc: its top-level namesake's group when that is the same AWS operation.
func serviceCommandGroup(root, svc, c *cobra.Command) string {
	if g, ok := serviceGroups[svc.Name()+" "+c.Name()]; ok {
		return g
	}
	for _, top := range root.Commands() {
		if top == svc || (top.Name() != c.Name() && !top.HasAlias(c.Name())) {
			continue
		}
		if top.Annotations[cmdutil.OpAnnotation] == c.Annotations[cmdutil.OpAnnotation] {
			return top.GroupID
		}
	}
	return ""
}

package control_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/awsmodel"
	"github.com/plink-dev/plink/internal/control"
)

// documentedFilters reads, from the EC2 model botocore installs, the
// filter names the documentation of each operation's Filters member lists
// (<li><p><code>name</code> - ...). It skips the test when the model is
// not on this machine.
func documentedFilters(t *testing.T, ops ...string) map[string][]string {
	t.Helper()
	dir := filepath.Join(awsmodel.DataDir(), "ec2")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("EC2 model not installed under %s (apt-get install python3-botocore)", dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	var raw []byte
	for i := len(entries) - 1; i >= 0 && raw == nil; i-- { // the newest API version
		p := filepath.Join(dir, entries[i].Name(), "service-2.json")
		if b, err := os.ReadFile(p); err == nil {
			raw = b
		} else if b, err := os.ReadFile(p + ".gz"); err == nil {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if raw, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
	}
	if raw == nil {
		t.Skipf("no EC2 service-2.json under %s", dir)
	}
	var model struct {
		Operations map[string]struct {
			Input struct {
				Shape string `json:"shape"`
			} `json:"input"`
		} `json:"operations"`
		Shapes map[string]struct {
			Members map[string]struct {
				Documentation string `json:"documentation"`
			} `json:"members"`
		} `json:"shapes"`
	}
	if err := json.Unmarshal(raw, &model); err != nil {
		t.Fatal(err)
	}
	item := regexp.MustCompile(`<li>\s*<p>\s*<code>([^<]+)</code>`)
	out := map[string][]string{}
	for _, op := range ops {
		in := model.Shapes[model.Operations[op].Input.Shape]
		doc := in.Members["Filters"].Documentation
		if doc == "" {
			doc = in.Members["Filter"].Documentation
		}
		for _, m := range item.FindAllStringSubmatch(doc, -1) {
			name := strings.TrimSpace(m[1])
			if name == "tag" { // tag:<key>, the key outside the <code>
				name = "tag:Name"
			}
			out[op] = append(out[op], name)
		}
		if len(out[op]) == 0 {
			t.Fatalf("%s: no filters found in the model's documentation", op)
		}
	}
	return out
}

// TestDocumentedFiltersAccepted: every filter name AWS documents for a
// describe action plink has is accepted by plink's action.
func TestDocumentedFiltersAccepted(t *testing.T) {
	e := cpNewEnv(t)
	svc := e.readyService(false)
	e.endpoint(svc, "a")
	ctx, p, c := e.ctx, e.provider, e.consumer
	describe := map[string]func(f []control.Filter) error{
		"DescribeVpcs": func(f []control.Filter) error {
			_, err := c.DescribeVpcs(ctx, &control.DescribeVpcsInput{Filters: f})
			return err
		},
		"DescribeSubnets": func(f []control.Filter) error {
			_, err := c.DescribeSubnets(ctx, &control.DescribeSubnetsInput{Filters: f})
			return err
		},
		"DescribeSecurityGroups": func(f []control.Filter) error {
			_, err := c.DescribeSecurityGroups(ctx, &control.DescribeSecurityGroupsInput{Filters: f})
			return err
		},
		"DescribeNetworkInterfaces": func(f []control.Filter) error {
			_, err := c.DescribeNetworkInterfaces(ctx, &control.DescribeNetworkInterfacesInput{Filters: f})
			return err
		},
		"DescribeVpcEndpoints": func(f []control.Filter) error {
			_, err := c.DescribeVpcEndpoints(ctx, &control.DescribeVpcEndpointsInput{Filters: f})
			return err
		},
		"DescribeVpcEndpointServices": func(f []control.Filter) error {
			_, err := c.DescribeVpcEndpointServices(ctx, &control.DescribeVpcEndpointServicesInput{Filters: f})
			return err
		},
		"DescribeVpcEndpointServiceConfigurations": func(f []control.Filter) error {
			_, err := p.DescribeVpcEndpointServiceConfigurations(ctx, &control.DescribeVpcEndpointServiceConfigurationsInput{Filters: f})
			return err
		},
		"DescribeVpcEndpointConnections": func(f []control.Filter) error {
			_, err := p.DescribeVpcEndpointConnections(ctx, &control.DescribeVpcEndpointConnectionsInput{Filters: f})
			return err
		},
		"DescribeVpcEndpointConnectionNotifications": func(f []control.Filter) error {
			_, err := p.DescribeVpcEndpointConnectionNotifications(ctx, &control.DescribeVpcEndpointConnectionNotificationsInput{Filters: f})
			return err
		},
		"DescribeAvailabilityZones": func(f []control.Filter) error {
			_, err := c.DescribeAvailabilityZones(ctx, &control.DescribeAvailabilityZonesInput{Filters: f})
			return err
		},
		"DescribeTags": func(f []control.Filter) error {
			_, err := c.DescribeTagsEC2(ctx, &control.DescribeTagsEC2Input{Filters: f})
			return err
		},
		"DescribeVpcEndpointServicePermissions": func(f []control.Filter) error {
			_, err := p.DescribeVpcEndpointServicePermissions(ctx, &control.DescribeVpcEndpointServicePermissionsInput{ServiceID: svc.ServiceID, Filters: f})
			return err
		},
	}
	var ops []string
	for op := range describe {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	docs := documentedFilters(t, ops...)
	for _, op := range ops {
		t.Run(op, func(t *testing.T) {
			for _, name := range docs[op] {
				if err := describe[op]([]control.Filter{{Name: name, Values: []string{"x"}}}); err != nil {
					t.Errorf("filter %q: %v", name, err)
				}
			}
			t.Logf("%d documented filters accepted", len(docs[op]))
		})
	}
	// An unknown name is still refused, as on AWS.
	cpCode(t, describe["DescribeSubnets"]([]control.Filter{{Name: "no-such-filter", Values: []string{"x"}}}), control.ErrCodeInvalidParameterValue)
	// "tags" is how the tables carry tag:<key>, not a filter AWS has.
	cpCode(t, describe["DescribeVpcs"]([]control.Filter{{Name: "tags", Values: []string{"x"}}}), control.ErrCodeInvalidParameterValue)
}

// TestFilterValues: what the filters match, including those on values
// plink's resources never have or always have.
func TestFilterValues(t *testing.T) {
	e := cpNewEnv(t)
	svc := e.readyService(false)
	ep := e.endpoint(svc, "a")
	ctx, c := e.ctx, e.consumer
	vpc := e.defaultVPC(c)
	sg := cpMust(c.CreateSecurityGroup(ctx, &control.CreateSecurityGroupInput{GroupName: "web", Description: "web", VpcID: vpc.VpcID}))(t)
	port := 443
	cpMust(c.AuthorizeSecurityGroupIngress(ctx, &control.AuthorizeSecurityGroupIngressInput{IngressInput: control.IngressInput{
		GroupID: sg.GroupID, IPProtocol: "tcp", FromPort: &port, ToPort: &port, CidrIP: "10.1.0.0/16"}}))(t)
	def := cpMust(c.DescribeSecurityGroups(ctx, &control.DescribeSecurityGroupsInput{Filters: []control.Filter{
		{Name: "group-name", Values: []string{"default"}}, {Name: "vpc-id", Values: []string{vpc.VpcID}}}}))(t).SecurityGroups[0]
	cpMust(c.AuthorizeSecurityGroupIngress(ctx, &control.AuthorizeSecurityGroupIngressInput{IngressInput: control.IngressInput{
		GroupID: sg.GroupID, IPPermissions: []control.IPPermission{{IPProtocol: "tcp", FromPort: &port, ToPort: &port,
			UserIDGroupPairs: []control.UserIDGroupPair{{GroupID: def.GroupID}}}}}}))(t)

	f := func(name string, values ...string) []control.Filter {
		return []control.Filter{{Name: name, Values: values}}
	}
	count := func(t *testing.T, n int, err error) int {
		t.Helper()
		cpNoErr(t, err)
		return n
	}
	subnets := func(fs []control.Filter) (int, error) {
		out, err := c.DescribeSubnets(ctx, &control.DescribeSubnetsInput{Filters: fs})
		if err != nil {
			return 0, err
		}
		return len(out.Subnets), nil
	}
	vpcs := func(fs []control.Filter) (int, error) {
		out, err := c.DescribeVpcs(ctx, &control.DescribeVpcsInput{Filters: fs})
		if err != nil {
			return 0, err
		}
		return len(out.Vpcs), nil
	}
	groups := func(fs []control.Filter) (int, error) {
		out, err := c.DescribeSecurityGroups(ctx, &control.DescribeSecurityGroupsInput{Filters: fs})
		if err != nil {
			return 0, err
		}
		return len(out.SecurityGroups), nil
	}
	enis := func(fs []control.Filter) (int, error) {
		out, err := c.DescribeNetworkInterfaces(ctx, &control.DescribeNetworkInterfacesInput{Filters: fs})
		if err != nil {
			return 0, err
		}
		return len(out.NetworkInterfaces), nil
	}
	eniID := ep.NetworkInterfaceIDs[0]
	cases := []struct {
		name     string
		describe func([]control.Filter) (int, error)
		filters  []control.Filter
		want     int
	}{
		{"subnet outpost-arn matches nothing", subnets, f("outpost-arn", "*"), 0},
		{"subnet customer-owned pool matches nothing", subnets, f("customer-owned-ipv4-pool", "*"), 0},
		{"subnet map-public-ip-on-launch false is every subnet", subnets, f("map-public-ip-on-launch", "false"), 3},
		{"subnet enable-dns64 true is none", subnets, f("enable-dns64", "true"), 0},
		{"subnet hostname-type ip-name", subnets, f("private-dns-name-options-on-launch.hostname-type", "ip-name"), 3},
		{"subnet alias availabilityZone", subnets, f("availabilityZone", cpRegion+"a"), 1},
		{"subnet alias cidrBlock", subnets, f("cidrBlock", e.defaultSubnets(c)["b"].CidrBlock), 1},
		{"subnet available-ip-address-count", subnets, f("available-ip-address-count", "4091"), 3},
		{"subnet-arn wildcard", subnets, f("subnet-arn", "arn:aws:ec2:*:subnet/*"), 3},
		{"vpc dhcp-options-id default", vpcs, f("dhcp-options-id", "default"), 1},
		{"vpc cidr-block-association.cidr-block", vpcs, f("cidr-block-association.cidr-block", vpc.CidrBlock), 1},
		{"vpc cidr-block-association.state", vpcs, f("cidr-block-association.state", "associated"), 1},
		{"vpc ipv6 pool: none without IPv6", vpcs, f("ipv6-cidr-block-association.ipv6-pool", "*"), 0},
		{"sg ip-permission.cidr", groups, f("ip-permission.cidr", "10.1.0.0/16"), 1},
		{"sg ip-permission.protocol by number", groups, append(f("ip-permission.protocol", "6"), f("group-name", "web")...), 1},
		{"sg ip-permission.from-port", groups, f("ip-permission.from-port", "443"), 1},
		{"sg ip-permission.group-id", groups, f("ip-permission.group-id", def.GroupID), 1},
		{"sg ip-permission.group-name", groups, f("ip-permission.group-name", "default"), 1},
		{"sg ip-permission.user-id", groups, f("ip-permission.user-id", cpConsumer), 1},
		{"sg prefix lists match nothing", groups, f("ip-permission.prefix-list-id", "*"), 0},
		{"sg egress all traffic to anywhere", groups, append(f("egress.ip-permission.cidr", "0.0.0.0/0"), f("egress.ip-permission.protocol", "-1")...), 2},
		{"sg egress has no ports", groups, f("egress.ip-permission.from-port", "*"), 0},
		{"eni by id", enis, f("network-interface-id", eniID), 1},
		{"eni attachment matches nothing", enis, f("attachment.status", "*"), 0},
		{"eni public ip matches nothing", enis, f("association.public-ip", "*"), 0},
		{"eni requester-managed", enis, f("requester-managed", "true"), 1},
		{"eni status in-use", enis, f("status", "in-use"), 1},
		{"eni source-dest-check", enis, f("source-dest-check", "true"), 1},
		{"eni addresses.primary", enis, f("addresses.primary", "true"), 1},
		{"eni group-name", enis, f("group-name", "default"), 1},
		{"eni mac-address matches nothing", enis, f("mac-address", "*"), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := tc.describe(tc.filters)
			if got := count(t, n, err); got != tc.want {
				t.Errorf("%v matched %d, want %d", tc.filters, got, tc.want)
			}
		})
	}
}

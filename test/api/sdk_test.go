package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/miekg/dns"

	"github.com/plink-dev/plink/test/testenv"
)

// sdkClients are one account's AWS SDK clients against plink's API.
type sdkClients struct {
	EC2 *ec2.Client
	ELB *elb.Client
	STS *sts.Client
}

// sdkFor builds the SDK's clients as account (the access key ID; any
// secret) with the API address as the base endpoint, reading no shared
// config or credentials files.
func sdkFor(t testing.TB, api, account string) sdkClients {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(account, "x", "")),
		config.WithBaseEndpoint("http://"+api),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return sdkClients{EC2: ec2.NewFromConfig(cfg), ELB: elb.NewFromConfig(cfg), STS: sts.NewFromConfig(cfg)}
}

// apiCode is the AWS error code of err, or "" when err is no API error.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// defaultNetwork is an account's default VPC and its subnets.
func defaultNetwork(t *testing.T, ctx context.Context, c *ec2.Client) (string, []string) {
	t.Helper()
	vpcs := must[*ec2.DescribeVpcsOutput](t, "DescribeVpcs")(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{
		Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}}))
	if len(vpcs.Vpcs) != 1 {
		t.Fatalf("DescribeVpcs is-default=true: %d VPCs, want 1", len(vpcs.Vpcs))
	}
	vpc := aws.ToString(vpcs.Vpcs[0].VpcId)
	subs := must[*ec2.DescribeSubnetsOutput](t, "DescribeSubnets")(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}}))
	var ids []string
	for _, s := range subs.Subnets {
		ids = append(ids, aws.ToString(s.SubnetId))
	}
	if len(ids) == 0 {
		t.Fatalf("no subnets in %s", vpc)
	}
	slices.Sort(ids)
	return vpc, ids
}

// TestSDKStory runs the provider/consumer story through the AWS SDK for Go
// v2, then moves bytes through the endpoint and resolves its DNS name.
func TestSDKStory(t *testing.T) {
	e := newEnv(t)
	backend := e.plinkBackend("sdk-backend")
	// The API alone (plink api) and the data plane (plink serve) on the
	// same store; the CLI and boto3 tests use serve --api-addr.
	api := e.api()
	srv := e.serve(false)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, c := sdkFor(t, api, provider), sdkFor(t, api, consumer)

	for acct, cl := range map[string]sdkClients{provider: p, consumer: c} {
		id := must[*sts.GetCallerIdentityOutput](t, "GetCallerIdentity")(cl.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
		if aws.ToString(id.Account) != acct {
			t.Errorf("GetCallerIdentity as %s: Account %q", acct, aws.ToString(id.Account))
		}
	}

	// The provider: a target group with the backend, an NLB, a listener,
	// an endpoint service that wants acceptance, the consumer allowed.
	pvpc, psubs := defaultNetwork(t, ctx, p.EC2)
	port := int32(testenv.FreePort(t))
	tg := must[*elb.CreateTargetGroupOutput](t, "CreateTargetGroup")(p.ELB.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("sdk-tg"), Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(9), VpcId: aws.String(pvpc),
		TargetType: elbtypes.TargetTypeEnumIp}))
	tgArn := aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	must[*elb.RegisterTargetsOutput](t, "RegisterTargets")(p.ELB.RegisterTargets(ctx, &elb.RegisterTargetsInput{
		TargetGroupArn: aws.String(tgArn),
		Targets:        []elbtypes.TargetDescription{{Id: aws.String(backend.Addr().String()), Port: aws.Int32(int32(backend.Port()))}}}))
	lb := must[*elb.CreateLoadBalancerOutput](t, "CreateLoadBalancer")(p.ELB.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String("sdk-nlb"), Type: elbtypes.LoadBalancerTypeEnumNetwork, Scheme: elbtypes.LoadBalancerSchemeEnumInternal,
		Subnets: psubs}))
	lbArn := aws.ToString(lb.LoadBalancers[0].LoadBalancerArn)
	must[*elb.CreateListenerOutput](t, "CreateListener")(p.ELB.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: aws.String(lbArn), Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(port),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tgArn)}}}))
	svc := must[*ec2.CreateVpcEndpointServiceConfigurationOutput](t, "CreateVpcEndpointServiceConfiguration")(
		p.EC2.CreateVpcEndpointServiceConfiguration(ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
			NetworkLoadBalancerArns: []string{lbArn}, AcceptanceRequired: aws.Bool(true),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcEndpointService,
				Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("sdk")}}}}}))
	svcID := aws.ToString(svc.ServiceConfiguration.ServiceId)
	svcName := aws.ToString(svc.ServiceConfiguration.ServiceName)
	if !aws.ToBool(svc.ServiceConfiguration.AcceptanceRequired) || svcName == "" {
		t.Fatalf("CreateVpcEndpointServiceConfiguration: %+v", svc.ServiceConfiguration)
	}
	if !slices.ContainsFunc(svc.ServiceConfiguration.Tags, func(tg ec2types.Tag) bool { return aws.ToString(tg.Key) == "team" }) {
		t.Errorf("the service's tags %+v lack team=sdk from TagSpecifications", svc.ServiceConfiguration.Tags)
	}
	must[*ec2.ModifyVpcEndpointServicePermissionsOutput](t, "ModifyVpcEndpointServicePermissions")(
		p.EC2.ModifyVpcEndpointServicePermissions(ctx, &ec2.ModifyVpcEndpointServicePermissionsInput{
			ServiceId: aws.String(svcID), AddAllowedPrincipals: []string{"arn:aws:iam::" + consumer + ":root"}}))

	// The consumer finds the service.
	found := must[*ec2.DescribeVpcEndpointServicesOutput](t, "DescribeVpcEndpointServices")(
		c.EC2.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{svcName}}))
	if len(found.ServiceDetails) != 1 || aws.ToString(found.ServiceDetails[0].ServiceName) != svcName {
		t.Fatalf("DescribeVpcEndpointServices %s: %+v", svcName, found.ServiceDetails)
	}
	cvpc, csubs := defaultNetwork(t, ctx, c.EC2)
	create := &ec2.CreateVpcEndpointInput{VpcEndpointType: ec2types.VpcEndpointTypeInterface, VpcId: aws.String(cvpc),
		ServiceName: aws.String(svcName), SubnetIds: csubs}

	t.Run("dry run", func(t *testing.T) {
		dry := *create
		dry.DryRun = aws.Bool(true)
		_, err := c.EC2.CreateVpcEndpoint(ctx, &dry)
		if apiCode(err) != "DryRunOperation" {
			t.Errorf("CreateVpcEndpoint DryRun: %v, want DryRunOperation", err)
		}
		var re interface{ HTTPStatusCode() int }
		if errors.As(err, &re) && re.HTTPStatusCode() != 412 {
			t.Errorf("DryRunOperation with HTTP %d, want 412", re.HTTPStatusCode())
		}
		n := must[*ec2.DescribeVpcEndpointsOutput](t, "DescribeVpcEndpoints")(c.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{}))
		if len(n.VpcEndpoints) != 0 {
			t.Errorf("a dry run created %d endpoints", len(n.VpcEndpoints))
		}
	})
	t.Run("typed errors", func(t *testing.T) {
		_, err := c.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{"vpce-0123456789abcdef0"}})
		if got := apiCode(err); got != "InvalidVpcEndpointId.NotFound" {
			t.Errorf("DescribeVpcEndpoints of an unknown ID: %v (code %q), want InvalidVpcEndpointId.NotFound", err, got)
		}
		_, err = c.EC2.AcceptVpcEndpointConnections(ctx, &ec2.AcceptVpcEndpointConnectionsInput{
			ServiceId: aws.String(svcID), VpcEndpointIds: []string{"vpce-0123456789abcdef0"}})
		if err == nil {
			t.Errorf("the consumer accepted on the provider's service")
		}
		_, err = p.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"no-such-lb"}})
		var nf *elbtypes.LoadBalancerNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("DescribeLoadBalancers of an unknown name: %v, want LoadBalancerNotFoundException", err)
		}
	})

	ep := must[*ec2.CreateVpcEndpointOutput](t, "CreateVpcEndpoint")(c.EC2.CreateVpcEndpoint(ctx, create))
	epID := aws.ToString(ep.VpcEndpoint.VpcEndpointId)
	// AWS answers the states in lower camel case ("pendingAcceptance",
	// "available"), not as the model's enum constants spell them.
	if ep.VpcEndpoint.State != "pendingAcceptance" {
		t.Errorf("new endpoint in state %q, want pendingAcceptance", ep.VpcEndpoint.State)
	}
	acc := must[*ec2.AcceptVpcEndpointConnectionsOutput](t, "AcceptVpcEndpointConnections")(
		p.EC2.AcceptVpcEndpointConnections(ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: aws.String(svcID), VpcEndpointIds: []string{epID}}))
	if len(acc.Unsuccessful) != 0 {
		t.Fatalf("AcceptVpcEndpointConnections: unsuccessful %+v", acc.Unsuccessful)
	}
	// The SDK has no VpcEndpointAvailable waiter in this version: poll as
	// its waiters do.
	var avail ec2types.VpcEndpoint
	testenv.Eventually(t, 30*time.Second, func() error {
		out, err := c.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{epID}})
		if err != nil {
			return err
		}
		if len(out.VpcEndpoints) != 1 || out.VpcEndpoints[0].State != "available" {
			return fmt.Errorf("endpoint %s: %d endpoints, state %v, want available", epID, len(out.VpcEndpoints), states(out.VpcEndpoints))
		}
		avail = out.VpcEndpoints[0]
		return nil
	})

	t.Run("paginator", func(t *testing.T) {
		for range 6 {
			in := *create
			in.SubnetIds = csubs[:1]
			must[*ec2.CreateVpcEndpointOutput](t, "CreateVpcEndpoint")(c.EC2.CreateVpcEndpoint(ctx, &in))
		}
		pg := ec2.NewDescribeVpcEndpointsPaginator(c.EC2, &ec2.DescribeVpcEndpointsInput{MaxResults: aws.Int32(5)})
		seen := map[string]bool{}
		pages := 0
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			if err != nil {
				t.Fatalf("page %d: %v", pages+1, err)
			}
			pages++
			if len(out.VpcEndpoints) > 5 {
				t.Errorf("page %d has %d endpoints, MaxResults 5", pages, len(out.VpcEndpoints))
			}
			for _, v := range out.VpcEndpoints {
				id := aws.ToString(v.VpcEndpointId)
				if seen[id] {
					t.Errorf("%s on two pages", id)
				}
				seen[id] = true
			}
		}
		if len(seen) != 7 || pages != 2 {
			t.Errorf("paginator: %d endpoints on %d pages, want 7 on 2", len(seen), pages)
		}
	})

	// Bytes: the endpoint's network interfaces carry the listener's port
	// to the backend.
	enis := must[*ec2.DescribeNetworkInterfacesOutput](t, "DescribeNetworkInterfaces")(
		c.EC2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: avail.NetworkInterfaceIds}))
	var ips []netip.Addr
	for _, n := range enis.NetworkInterfaces {
		if a, err := netip.ParseAddr(aws.ToString(n.PrivateIpAddress)); err == nil {
			ips = append(ips, a)
		}
	}
	if len(ips) == 0 {
		t.Fatalf("endpoint %s: no IPv4 addresses on its interfaces %v", epID, avail.NetworkInterfaceIds)
	}
	slices.SortFunc(ips, netip.Addr.Compare)
	t.Run("traffic", func(t *testing.T) {
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		for _, ip := range ips {
			url := fmt.Sprintf("http://%s/sdk", netip.AddrPortFrom(ip, uint16(port)))
			var reply backendReply
			testenv.Eventually(t, 15*time.Second, func() error {
				resp, err := client.Get(url)
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 {
					return fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, body)
				}
				return json.Unmarshal(body, &reply)
			})
			if reply.Backend != "sdk-backend" || reply.Path != "/sdk" {
				t.Errorf("GET %s answered %+v, want sdk-backend /sdk", url, reply)
			}
		}
	})
	t.Run("dns", func(t *testing.T) {
		if srv.DNS == "" {
			t.Fatal("serve's ready file names no DNS listener on 127.0.0.1")
		}
		if len(avail.DnsEntries) == 0 {
			t.Fatalf("endpoint %s has no DnsEntries", epID)
		}
		name := aws.ToString(avail.DnsEntries[0].DnsName)
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(name), dns.TypeA)
		r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, srv.DNS)
		if err != nil {
			t.Fatalf("A %s @%s: %v", name, srv.DNS, err)
		}
		var got []netip.Addr
		for _, rr := range r.Answer {
			if a, ok := rr.(*dns.A); ok {
				ad, _ := netip.AddrFromSlice(a.A.To4())
				got = append(got, ad)
			}
		}
		slices.SortFunc(got, netip.Addr.Compare)
		if r.Rcode != dns.RcodeSuccess || !slices.Equal(got, ips) {
			t.Errorf("A %s: %s %v, want NOERROR %v", name, dns.RcodeToString[r.Rcode], got, ips)
		}
	})
}

func states(eps []ec2types.VpcEndpoint) []string {
	var out []string
	for _, e := range eps {
		out = append(out, string(e.State))
	}
	return out
}

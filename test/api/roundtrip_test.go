package api

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
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

	_ "modernc.org/sqlite"

	"github.com/plink-dev/plink/internal/awsapi"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/store"
	"github.com/plink-dev/plink/test/testenv"
)

// recorder keeps the body of the last response it carried.
type recorder struct {
	mu   sync.Mutex
	last []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.last = b
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

func (r *recorder) body() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// xmlLeaves are the text values of a response's leaf elements by path,
// without the request ID.
func xmlLeaves(b []byte) (map[string]string, error) {
	out := map[string]string{}
	d := xml.NewDecoder(bytes.NewReader(b))
	var path []string
	var text string
	leaf := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			path = append(path, t.Name.Local)
			text, leaf = "", true
		case xml.CharData:
			text += string(t)
		case xml.EndElement:
			name := path[len(path)-1]
			if leaf && strings.TrimSpace(text) != "" && !strings.EqualFold(name, "requestId") {
				out[strings.Join(path, "/")] = strings.TrimSpace(text)
			}
			path, leaf = path[:len(path)-1], false
		}
	}
}

// sdkLeaves collects every scalar value in an SDK output, in the forms
// the wire could carry it.
func sdkLeaves(v reflect.Value, out map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			sdkLeaves(v.Elem(), out)
		}
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			u := t.UTC()
			for _, f := range []string{time.RFC3339, time.RFC3339Nano, "2006-01-02T15:04:05.000Z", "2006-01-02T15:04:05Z"} {
				out[u.Format(f)] = true
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() && v.Type().Field(i).Name != "ResultMetadata" {
				sdkLeaves(v.Field(i), out)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			sdkLeaves(v.Index(i), out)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			sdkLeaves(k, out)
			sdkLeaves(v.MapIndex(k), out)
		}
	case reflect.String:
		out[v.String()] = true
	case reflect.Bool:
		out[strconv.FormatBool(v.Bool())] = true
	case reflect.Int, reflect.Int32, reflect.Int64:
		out[strconv.FormatInt(v.Int(), 10)] = true
	case reflect.Float32, reflect.Float64:
		out[strconv.FormatFloat(v.Float(), 'f', -1, 64)] = true
	}
}

// TestEveryActionRoundTrips makes a real, successful call of every
// registered action through the AWS SDK for Go v2 (the table calls; the
// destructive ones last, each on a resource of its own), on a store
// holding the story's service (acceptance required, a private DNS name),
// endpoints (one accepted, one pending), notifications, security groups,
// tags, NLBs, target groups with a target, listeners and a spare VPC and
// subnet. For each call:
//   - the answer parses, and every value plink puts in the response is in
//     the SDK's decoded output (a value the SDK drops is a member name or
//     shape plink gets wrong);
//   - the SDK's output equals, member by member, the output of the same
//     call made in-process on control.API against a copy of the store
//     taken just before the call (JSON of both by AWS member name; nulls
//     and empty values dropped; generated IDs masked where they differ,
//     but paired one to one across the output; timestamps within a
//     minute: see normalise, generated and compareOutputs).
func TestEveryActionRoundTrips(t *testing.T) {
	e := newEnv(t)
	api := e.api()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rec := &recorder{}
	clients := func(account string) (*ec2.Client, *elb.Client, *sts.Client) {
		cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(account, "x", "")),
			config.WithBaseEndpoint("http://"+api), config.WithSharedConfigFiles([]string{}),
			config.WithSharedCredentialsFiles([]string{}), config.WithRetryMaxAttempts(1))
		if err != nil {
			t.Fatal(err)
		}
		cfg.HTTPClient = &http.Client{Transport: rec}
		return ec2.NewFromConfig(cfg), elb.NewFromConfig(cfg), sts.NewFromConfig(cfg)
	}
	pEC2, pELB, pSTS := clients(provider)
	cEC2, cELB, cSTS := clients(consumer)

	// The story's state, so that describes answer something.
	pvpc, psubs := defaultNetwork(t, ctx, pEC2)
	tg := must[*elb.CreateTargetGroupOutput](t, "CreateTargetGroup")(pELB.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("rt-tg"), Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(9), VpcId: aws.String(pvpc), TargetType: elbtypes.TargetTypeEnumIp}))
	must[*elb.RegisterTargetsOutput](t, "RegisterTargets")(pELB.RegisterTargets(ctx, &elb.RegisterTargetsInput{
		TargetGroupArn: tg.TargetGroups[0].TargetGroupArn, Targets: []elbtypes.TargetDescription{{Id: aws.String("127.0.0.1"), Port: aws.Int32(9)}}}))
	lb := must[*elb.CreateLoadBalancerOutput](t, "CreateLoadBalancer")(pELB.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String("rt-nlb"), Type: elbtypes.LoadBalancerTypeEnumNetwork, Scheme: elbtypes.LoadBalancerSchemeEnumInternal, Subnets: psubs,
		Tags: []elbtypes.Tag{{Key: aws.String("team"), Value: aws.String("rt")}}}))
	lis := must[*elb.CreateListenerOutput](t, "CreateListener")(pELB.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn, Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(int32(testenv.FreePort(t))),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroups[0].TargetGroupArn}}}))
	svc := must[*ec2.CreateVpcEndpointServiceConfigurationOutput](t, "CreateVpcEndpointServiceConfiguration")(
		pEC2.CreateVpcEndpointServiceConfiguration(ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
			NetworkLoadBalancerArns: []string{aws.ToString(lb.LoadBalancers[0].LoadBalancerArn)}, AcceptanceRequired: aws.Bool(true),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcEndpointService,
				Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("rt")}}}}})).ServiceConfiguration
	must[*ec2.ModifyVpcEndpointServicePermissionsOutput](t, "ModifyVpcEndpointServicePermissions")(
		pEC2.ModifyVpcEndpointServicePermissions(ctx, &ec2.ModifyVpcEndpointServicePermissionsInput{
			ServiceId: svc.ServiceId, AddAllowedPrincipals: []string{"arn:aws:iam::" + consumer + ":root"}}))
	cvpc, csubs := defaultNetwork(t, ctx, cEC2)
	ep := must[*ec2.CreateVpcEndpointOutput](t, "CreateVpcEndpoint")(cEC2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcEndpointType: ec2types.VpcEndpointTypeInterface, VpcId: aws.String(cvpc), ServiceName: svc.ServiceName, SubnetIds: csubs,
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcEndpoint,
			Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("rt")}}}}}))

	// Spare resources for the destructive actions, so that the order of
	// the table does not matter but for associate-before-disassociate.
	svcID := aws.ToString(svc.ServiceId)
	tg2 := must[*elb.CreateTargetGroupOutput](t, "CreateTargetGroup")(pELB.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("rt-tg2"), Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(9), VpcId: aws.String(pvpc), TargetType: elbtypes.TargetTypeEnumIp}))
	lb2 := must[*elb.CreateLoadBalancerOutput](t, "CreateLoadBalancer")(pELB.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String("rt-nlb2"), Type: elbtypes.LoadBalancerTypeEnumNetwork, Scheme: elbtypes.LoadBalancerSchemeEnumInternal, Subnets: psubs}))
	lb3 := must[*elb.CreateLoadBalancerOutput](t, "CreateLoadBalancer")(pELB.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String("rt-nlb3"), Type: elbtypes.LoadBalancerTypeEnumNetwork, Scheme: elbtypes.LoadBalancerSchemeEnumInternal, Subnets: psubs}))
	lb5 := must[*elb.CreateLoadBalancerOutput](t, "CreateLoadBalancer")(pELB.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String("rt-nlb5"), Type: elbtypes.LoadBalancerTypeEnumNetwork, Scheme: elbtypes.LoadBalancerSchemeEnumInternal, Subnets: psubs}))
	tg4 := must[*elb.CreateTargetGroupOutput](t, "CreateTargetGroup")(pELB.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("rt-tg4"), Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(9), VpcId: aws.String(pvpc), TargetType: elbtypes.TargetTypeEnumIp}))
	must[*ec2.ModifyVpcEndpointServiceConfigurationOutput](t, "ModifyVpcEndpointServiceConfiguration")(
		pEC2.ModifyVpcEndpointServiceConfiguration(ctx, &ec2.ModifyVpcEndpointServiceConfigurationInput{ServiceId: svc.ServiceId, PrivateDnsName: aws.String("rt.example.com")}))
	lis2 := must[*elb.CreateListenerOutput](t, "CreateListener")(pELB.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn, Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(int32(testenv.FreePort(t))),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroups[0].TargetGroupArn}}}))
	svc2 := must[*ec2.CreateVpcEndpointServiceConfigurationOutput](t, "CreateVpcEndpointServiceConfiguration")(
		pEC2.CreateVpcEndpointServiceConfiguration(ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
			NetworkLoadBalancerArns: []string{aws.ToString(lb3.LoadBalancers[0].LoadBalancerArn)}})).ServiceConfiguration
	ep2 := must[*ec2.CreateVpcEndpointOutput](t, "CreateVpcEndpoint")(cEC2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcEndpointType: ec2types.VpcEndpointTypeInterface, VpcId: aws.String(cvpc), ServiceName: svc.ServiceName, SubnetIds: csubs,
		PrivateDnsEnabled: aws.Bool(false)}))
	note := must[*ec2.CreateVpcEndpointConnectionNotificationOutput](t, "CreateVpcEndpointConnectionNotification")(
		pEC2.CreateVpcEndpointConnectionNotification(ctx, &ec2.CreateVpcEndpointConnectionNotificationInput{ServiceId: svc.ServiceId,
			ConnectionNotificationArn: aws.String("file://" + e.dir + "/events.jsonl"), ConnectionEvents: []string{"Connect"}}))
	note2 := must[*ec2.CreateVpcEndpointConnectionNotificationOutput](t, "CreateVpcEndpointConnectionNotification")(
		pEC2.CreateVpcEndpointConnectionNotification(ctx, &ec2.CreateVpcEndpointConnectionNotificationInput{ServiceId: svc.ServiceId,
			ConnectionNotificationArn: aws.String("file://" + e.dir + "/events2.jsonl"), ConnectionEvents: []string{"Accept"}}))
	sg := must[*ec2.CreateSecurityGroupOutput](t, "CreateSecurityGroup")(cEC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("web"), Description: aws.String("web"), VpcId: aws.String(cvpc)}))
	sg2 := must[*ec2.CreateSecurityGroupOutput](t, "CreateSecurityGroup")(cEC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("spare"), Description: aws.String("spare"), VpcId: aws.String(cvpc)}))
	must[*ec2.AuthorizeSecurityGroupIngressOutput](t, "AuthorizeSecurityGroupIngress")(cEC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: sg.GroupId, IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), CidrIp: aws.String("127.0.0.0/8")}))
	vpc2 := must[*ec2.CreateVpcOutput](t, "CreateVpc")(cEC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("127.78.0.0/16")}))
	sub2 := must[*ec2.CreateSubnetOutput](t, "CreateSubnet")(cEC2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(cvpc), CidrBlock: aws.String("127.17.201.0/24")}))

	lbArn, tgArn := lb.LoadBalancers[0].LoadBalancerArn, tg.TargetGroups[0].TargetGroupArn
	lisArn, epID, ep2ID := lis.Listeners[0].ListenerArn, aws.ToString(ep.VpcEndpoint.VpcEndpointId), aws.ToString(ep2.VpcEndpoint.VpcEndpointId)
	noteID := aws.ToString(note.ConnectionNotification.ConnectionNotificationId)
	target := []elbtypes.TargetDescription{{Id: aws.String("127.0.0.1"), Port: aws.Int32(9)}}
	// assoc are the association IDs the Associate* calls answered, for
	// the Disassociate* calls (which run in the second pass).
	assoc := map[string]string{}

	// calls are a real, successful call of every registered action, by
	// "service Action", as the provider (P) or the consumer (C); the
	// destructive ones (destructive, in this order, after
	// AssociateSubnetCidrBlock, which needs the VPC's IPv6 block) run after
	// all others, each on its own resource. A registered action without an entry fails
	// the test: a new action adds one.
	type call struct {
		as string
		in func() any
	}
	P, C := "P", "C"
	calls := map[string]call{
		"ec2 AcceptVpcEndpointConnections": {P, func() any {
			return &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: svc.ServiceId, VpcEndpointIds: []string{epID}}
		}},
		"ec2 AuthorizeSecurityGroupIngress": {C, func() any {
			return &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80), CidrIp: aws.String("127.0.0.0/8")}
		}},
		"ec2 CreateSecurityGroup": {C, func() any {
			return &ec2.CreateSecurityGroupInput{GroupName: aws.String("rt"), Description: aws.String("rt"), VpcId: aws.String(cvpc)}
		}},
		"ec2 CreateSubnet": {P, func() any {
			return &ec2.CreateSubnetInput{VpcId: aws.String(pvpc), CidrBlock: aws.String("127.16.200.0/24")}
		}},
		"ec2 CreateVpc": {C, func() any { return &ec2.CreateVpcInput{CidrBlock: aws.String("127.77.0.0/16")} }},
		"ec2 CreateVpcEndpoint": {C, func() any {
			return &ec2.CreateVpcEndpointInput{VpcEndpointType: ec2types.VpcEndpointTypeInterface, VpcId: aws.String(cvpc), ServiceName: svc.ServiceName,
				SubnetIds: csubs, PrivateDnsEnabled: aws.Bool(false)}
		}},
		"ec2 CreateVpcEndpointConnectionNotification": {P, func() any {
			return &ec2.CreateVpcEndpointConnectionNotificationInput{ServiceId: svc.ServiceId,
				ConnectionNotificationArn: aws.String("file://" + e.dir + "/events3.jsonl"), ConnectionEvents: []string{"Reject"}}
		}},
		"ec2 CreateVpcEndpointServiceConfiguration": {P, func() any {
			return &ec2.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{aws.ToString(lb2.LoadBalancers[0].LoadBalancerArn)}}
		}},
		"ec2 DeleteSecurityGroup": {C, func() any { return &ec2.DeleteSecurityGroupInput{GroupId: sg2.GroupId} }},
		"ec2 DeleteSubnet":        {C, func() any { return &ec2.DeleteSubnetInput{SubnetId: sub2.Subnet.SubnetId} }},
		"ec2 DeleteVpc":           {C, func() any { return &ec2.DeleteVpcInput{VpcId: vpc2.Vpc.VpcId} }},
		"ec2 DeleteVpcEndpointConnectionNotifications": {P, func() any {
			return &ec2.DeleteVpcEndpointConnectionNotificationsInput{ConnectionNotificationIds: []string{aws.ToString(note2.ConnectionNotification.ConnectionNotificationId)}}
		}},
		"ec2 DeleteVpcEndpointServiceConfigurations": {P, func() any {
			return &ec2.DeleteVpcEndpointServiceConfigurationsInput{ServiceIds: []string{aws.ToString(svc2.ServiceId)}}
		}},
		"ec2 DeleteVpcEndpoints":                         {C, func() any { return &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{ep2ID}} }},
		"ec2 DescribeNetworkInterfaces":                  {C, func() any { return &ec2.DescribeNetworkInterfacesInput{} }},
		"ec2 DescribeSecurityGroups":                     {C, func() any { return &ec2.DescribeSecurityGroupsInput{} }},
		"ec2 DescribeSubnets":                            {C, func() any { return &ec2.DescribeSubnetsInput{} }},
		"ec2 DescribeVpcEndpointConnectionNotifications": {P, func() any { return &ec2.DescribeVpcEndpointConnectionNotificationsInput{} }},
		"ec2 DescribeVpcEndpointConnections":             {P, func() any { return &ec2.DescribeVpcEndpointConnectionsInput{} }},
		"ec2 DescribeVpcEndpointServiceConfigurations":   {P, func() any { return &ec2.DescribeVpcEndpointServiceConfigurationsInput{} }},
		"ec2 DescribeVpcEndpointServicePermissions": {P, func() any {
			return &ec2.DescribeVpcEndpointServicePermissionsInput{ServiceId: svc.ServiceId}
		}},
		"ec2 DescribeVpcEndpointServices": {C, func() any { return &ec2.DescribeVpcEndpointServicesInput{} }},
		"ec2 DescribeVpcEndpoints":        {C, func() any { return &ec2.DescribeVpcEndpointsInput{} }},
		"ec2 DescribeVpcs":                {C, func() any { return &ec2.DescribeVpcsInput{} }},
		"ec2 ModifyVpcEndpoint": {C, func() any {
			return &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(epID), AddSecurityGroupIds: []string{aws.ToString(sg.GroupId)}}
		}},
		"ec2 ModifyVpcEndpointConnectionNotification": {P, func() any {
			return &ec2.ModifyVpcEndpointConnectionNotificationInput{ConnectionNotificationId: aws.String(noteID), ConnectionEvents: []string{"Accept"}}
		}},
		"ec2 ModifyVpcEndpointServiceConfiguration": {P, func() any {
			return &ec2.ModifyVpcEndpointServiceConfigurationInput{ServiceId: svc.ServiceId, AcceptanceRequired: aws.Bool(true)}
		}},
		"ec2 ModifyVpcEndpointServicePermissions": {P, func() any {
			return &ec2.ModifyVpcEndpointServicePermissionsInput{ServiceId: svc.ServiceId, AddAllowedPrincipals: []string{"arn:aws:iam::333333333333:root"}}
		}},
		"ec2 RejectVpcEndpointConnections": {P, func() any {
			return &ec2.RejectVpcEndpointConnectionsInput{ServiceId: svc.ServiceId, VpcEndpointIds: []string{ep2ID}}
		}},
		"ec2 RevokeSecurityGroupIngress": {C, func() any {
			return &ec2.RevokeSecurityGroupIngressInput{GroupId: sg.GroupId, IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), CidrIp: aws.String("127.0.0.0/8")}
		}},
		"ec2 StartVpcEndpointServicePrivateDnsVerification": {P, func() any {
			return &ec2.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceId: svc.ServiceId}
		}},
		"ec2 AssociateSubnetCidrBlock": {C, func() any {
			return &ec2.AssociateSubnetCidrBlockInput{SubnetId: aws.String(csubs[0]), Ipv6CidrBlock: aws.String(sub64(assoc["vpc6"]))}
		}},
		"ec2 AssociateVpcCidrBlock": {C, func() any {
			return &ec2.AssociateVpcCidrBlockInput{VpcId: aws.String(cvpc), AmazonProvidedIpv6CidrBlock: aws.Bool(true)}
		}},
		"ec2 CreateTags": {P, func() any {
			return &ec2.CreateTagsInput{Resources: []string{svcID}, Tags: []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}
		}},
		"ec2 DeleteTags": {P, func() any {
			return &ec2.DeleteTagsInput{Resources: []string{svcID}, Tags: []ec2types.Tag{{Key: aws.String("k")}}}
		}},
		"ec2 DescribeAvailabilityZones": {C, func() any { return &ec2.DescribeAvailabilityZonesInput{} }},
		"ec2 DescribeTags":              {P, func() any { return &ec2.DescribeTagsInput{} }},
		"ec2 DescribeVpcAttribute": {C, func() any {
			return &ec2.DescribeVpcAttributeInput{VpcId: aws.String(cvpc), Attribute: ec2types.VpcAttributeNameEnableDnsSupport}
		}},
		"ec2 DisassociateSubnetCidrBlock": {C, func() any { return &ec2.DisassociateSubnetCidrBlockInput{AssociationId: aws.String(assoc["subnet"])} }},
		"ec2 DisassociateVpcCidrBlock":    {C, func() any { return &ec2.DisassociateVpcCidrBlockInput{AssociationId: aws.String(assoc["vpc"])} }},
		"ec2 ModifyVpcAttribute": {C, func() any {
			return &ec2.ModifyVpcAttributeInput{VpcId: aws.String(cvpc), EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}}
		}},
		"ec2 ModifyVpcEndpointServicePayerResponsibility": {P, func() any {
			return &ec2.ModifyVpcEndpointServicePayerResponsibilityInput{ServiceId: svc.ServiceId, PayerResponsibility: ec2types.PayerResponsibilityServiceOwner}
		}},
		"elbv2 AddTags": {P, func() any {
			return &elb.AddTagsInput{ResourceArns: []string{aws.ToString(lbArn)}, Tags: []elbtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}
		}},
		"elbv2 CreateListener": {P, func() any {
			return &elb.CreateListenerInput{LoadBalancerArn: lb2.LoadBalancers[0].LoadBalancerArn, Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(int32(testenv.FreePort(t))),
				DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg4.TargetGroups[0].TargetGroupArn}}}
		}},
		"elbv2 CreateLoadBalancer": {P, func() any {
			return &elb.CreateLoadBalancerInput{Name: aws.String("rt-nlb4"), Type: elbtypes.LoadBalancerTypeEnumNetwork, Scheme: elbtypes.LoadBalancerSchemeEnumInternal, Subnets: psubs}
		}},
		"elbv2 CreateTargetGroup": {P, func() any {
			return &elb.CreateTargetGroupInput{Name: aws.String("rt-tg3"), Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(80), VpcId: aws.String(pvpc), TargetType: elbtypes.TargetTypeEnumIp}
		}},
		"elbv2 DeleteListener":             {P, func() any { return &elb.DeleteListenerInput{ListenerArn: lis2.Listeners[0].ListenerArn} }},
		"elbv2 DeleteLoadBalancer":         {P, func() any { return &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb5.LoadBalancers[0].LoadBalancerArn} }},
		"elbv2 DeleteTargetGroup":          {P, func() any { return &elb.DeleteTargetGroupInput{TargetGroupArn: tg2.TargetGroups[0].TargetGroupArn} }},
		"elbv2 DeregisterTargets":          {P, func() any { return &elb.DeregisterTargetsInput{TargetGroupArn: tgArn, Targets: target} }},
		"elbv2 DescribeListenerAttributes": {P, func() any { return &elb.DescribeListenerAttributesInput{ListenerArn: lisArn} }},
		"elbv2 DescribeListeners":          {P, func() any { return &elb.DescribeListenersInput{LoadBalancerArn: lbArn} }},
		"elbv2 DescribeLoadBalancerAttributes": {P, func() any {
			return &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: lbArn}
		}},
		"elbv2 DescribeLoadBalancers": {P, func() any { return &elb.DescribeLoadBalancersInput{} }},
		"elbv2 DescribeTags": {P, func() any {
			return &elb.DescribeTagsInput{ResourceArns: []string{aws.ToString(lbArn), aws.ToString(tgArn)}}
		}},
		"elbv2 DescribeTargetGroupAttributes": {P, func() any { return &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: tgArn} }},
		"elbv2 DescribeTargetGroups":          {P, func() any { return &elb.DescribeTargetGroupsInput{} }},
		"elbv2 DescribeTargetHealth":          {P, func() any { return &elb.DescribeTargetHealthInput{TargetGroupArn: tgArn} }},
		"elbv2 ModifyListener": {P, func() any {
			return &elb.ModifyListenerInput{ListenerArn: lisArn, DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tgArn}}}
		}},
		"elbv2 ModifyListenerAttributes": {P, func() any {
			return &elb.ModifyListenerAttributesInput{ListenerArn: lisArn,
				Attributes: []elbtypes.ListenerAttribute{{Key: aws.String("tcp.idle_timeout.seconds"), Value: aws.String("120")}}}
		}},
		"elbv2 ModifyLoadBalancerAttributes": {P, func() any {
			return &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: lbArn,
				Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String("load_balancing.cross_zone.enabled"), Value: aws.String("true")}}}
		}},
		"elbv2 ModifyTargetGroup": {P, func() any {
			return &elb.ModifyTargetGroupInput{TargetGroupArn: tgArn, HealthCheckIntervalSeconds: aws.Int32(10)}
		}},
		"elbv2 ModifyTargetGroupAttributes": {P, func() any {
			return &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: tgArn,
				Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("10")}}}
		}},
		"elbv2 RegisterTargets": {P, func() any {
			return &elb.RegisterTargetsInput{TargetGroupArn: tgArn, Targets: []elbtypes.TargetDescription{{Id: aws.String("127.0.0.2"), Port: aws.Int32(9)}}}
		}},
		"elbv2 RemoveTags": {P, func() any {
			return &elb.RemoveTagsInput{ResourceArns: []string{aws.ToString(lbArn)}, TagKeys: []string{"team"}}
		}},
		"elbv2 SetIpAddressType": {P, func() any {
			return &elb.SetIpAddressTypeInput{LoadBalancerArn: lbArn, IpAddressType: elbtypes.IpAddressTypeIpv4}
		}},
		"elbv2 SetSubnets":      {P, func() any { return &elb.SetSubnetsInput{LoadBalancerArn: lbArn, Subnets: psubs} }},
		"sts GetCallerIdentity": {C, func() any { return &sts.GetCallerIdentityInput{} }},
	}
	destructive := []string{"ec2 AssociateSubnetCidrBlock", "ec2 DisassociateSubnetCidrBlock", "ec2 DisassociateVpcCidrBlock", "ec2 DeleteTags", "elbv2 RemoveTags",
		"elbv2 DeregisterTargets", "ec2 RejectVpcEndpointConnections", "ec2 DeleteVpcEndpoints", "ec2 DeleteVpcEndpointConnectionNotifications",
		"ec2 DeleteVpcEndpointServiceConfigurations", "elbv2 DeleteListener", "elbv2 DeleteLoadBalancer", "elbv2 DeleteTargetGroup",
		"ec2 DeleteSecurityGroup", "ec2 DeleteSubnet", "ec2 DeleteVpc"}
	last := map[string]bool{}
	for _, k := range destructive {
		last[k] = true
	}
	var order []*awsapi.Action
	byKey := map[string]*awsapi.Action{}
	for _, a := range awsapi.Actions() {
		k := string(a.Service) + " " + a.Name
		byKey[k] = a
		if _, ok := calls[k]; !ok {
			t.Errorf("no entry in calls for %s: add a real, successful call of it", k)
			continue
		}
		if !last[k] {
			order = append(order, a)
		}
	}
	for _, k := range destructive {
		if a := byKey[k]; a != nil {
			order = append(order, a)
		}
	}

	db := filepath.Join(e.dir, "plink.db")
	var equal, differ []string
	members := 0
	for _, a := range order {
		k := string(a.Service) + " " + a.Name
		c := calls[k]
		ec2c, elbc, stsc, account := pEC2, pELB, pSTS, provider
		if c.as == C {
			ec2c, elbc, stsc, account = cEC2, cELB, cSTS, consumer
		}
		var client any
		switch a.Service {
		case awsapi.EC2:
			client = ec2c
		case awsapi.ELBv2:
			client = elbc
		case awsapi.STS:
			client = stsc
		}
		m := reflect.ValueOf(client).MethodByName(a.Name)
		if !m.IsValid() {
			t.Errorf("%s: the SDK client has no such method", k)
			continue
		}
		in := c.in()
		// The store as it is before the call, for the same call in-process.
		snap := filepath.Join(t.TempDir(), "plink.db")
		snapshot(t, db, snap)
		res := m.Call([]reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(in)})
		if err, _ := res[1].Interface().(error); err != nil {
			t.Errorf("%s: %v\n%s", k, err, rec.body())
			continue
		}
		body := rec.body()
		rememberAssoc(res[0].Interface(), assoc)
		leaves, xerr := xmlLeaves(body)
		if xerr != nil {
			t.Errorf("%s: response is not XML: %v", k, xerr)
			continue
		}
		got := map[string]bool{}
		sdkLeaves(res[0], got)
		var lost []string
		for path, val := range leaves {
			if !got[val] {
				lost = append(lost, fmt.Sprintf("%s=%q", path, val))
			}
		}
		sort.Strings(lost)
		if len(lost) > 0 {
			t.Errorf("%s: the SDK's output lacks values plink sent (wrong member names or shapes?):\n  %s", k, strings.Join(lost, "\n  "))
		}
		want, err := inProcess(ctx, snap, a, account, in)
		if err != nil {
			t.Errorf("%s: in-process on control.API: %v", k, err)
			continue
		}
		wantN := normalise(want)
		members += countLeaves(wantN)
		if d := compareOutputs(normalise(res[0].Interface()), wantN); len(d) > 0 {
			differ = append(differ, a.Name)
			t.Errorf("%s: the SDK's output differs from control's in-process output:\n  %s\nwire: %s", k, strings.Join(d, "\n  "), body)
			continue
		}
		equal = append(equal, a.Name)
	}
	t.Logf("%d of %d actions round-trip with all members equal to control's in-process output (%d scalar members compared)",
		len(equal), len(awsapi.Actions()), members)
	if len(differ) > 0 {
		t.Logf("differ: %v", differ)
	}
}

// sub64 is the first /64 of an IPv6 block.
func sub64(block string) string {
	p, err := netip.ParsePrefix(block)
	if err != nil {
		return block
	}
	return netip.PrefixFrom(p.Addr(), 64).String()
}

// rememberAssoc keeps the association IDs (and the VPC's IPv6 block) that
// the Associate* calls answered.
func rememberAssoc(out any, assoc map[string]string) {
	switch o := out.(type) {
	case *ec2.AssociateVpcCidrBlockOutput:
		if a := o.Ipv6CidrBlockAssociation; a != nil {
			assoc["vpc"], assoc["vpc6"] = aws.ToString(a.AssociationId), aws.ToString(a.Ipv6CidrBlock)
		}
	case *ec2.AssociateSubnetCidrBlockOutput:
		if a := o.Ipv6CidrBlockAssociation; a != nil {
			assoc["subnet"] = aws.ToString(a.AssociationId)
		}
	}
}

// snapshot copies the live store at db (the server holds it open) into
// a new file dst, consistently, with VACUUM INTO.
func snapshot(t *testing.T, db, dst string) {
	t.Helper()
	src, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.Exec("VACUUM INTO ?", dst); err != nil {
		t.Fatalf("copying the store: %v", err)
	}
}

// inProcess makes the SDK's call in on control.API, as account, against
// the store copied to snap: the SDK input becomes plink's input through
// JSON (the SDK's Go field names are the AWS member names, plink's json
// tags too).
func inProcess(ctx context.Context, snap string, a *awsapi.Action, account string, in any) (any, error) {
	st, err := store.Open(ctx, snap)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	api, err := control.New(st, control.Caller{Account: account, Region: region})
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	pin := a.NewInput()
	if err := json.Unmarshal(b, pin); err != nil {
		return nil, fmt.Errorf("SDK input %s as plink's: %w", b, err)
	}
	return a.Call(ctx, api, pin)
}

// normalise is an output as JSON values by AWS member name, without what
// carries no information on the wire: ResultMetadata, nulls, empty
// strings, lists and structures (AWS leaves unset members out; the SDK
// decodes an absent list as nil, plink's Go types often hold []).
func normalise(out any) any {
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Sprintf("unmarshalable: %v", err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Sprintf("undecodable: %v", err)
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "ResultMetadata")
	}
	return prune(v)
}

func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e = prune(e); e == nil {
				delete(x, k)
			} else {
				x[k] = e
			}
		}
		if len(x) == 0 {
			return nil
		}
	case []any:
		var out []any
		for _, e := range x {
			if e = prune(e); e != nil {
				out = append(out, e)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case string:
		if x == "" {
			return nil
		}
	}
	return v
}

// generated matches what differs by nature between two runs of one call
// on identical stores: IDs plink generates (vpce-0a1b..., the hex of an
// ELB ARN or DNS name, the random label of an endpoint's DNS name, a
// request or client token UUID, an Amazon-provided IPv6 block) and
// timestamps inside strings. Only a string that differs is masked: every
// value that is the same in both runs is compared as it is.
var generated = []*regexp.Regexp{
	regexp.MustCompile(`\b[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)`),
	regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`),
	regexp.MustCompile(`\b([a-z]+-)+[0-9a-f]{8,17}\b`),
	regexp.MustCompile(`[/-][0-9a-f]{16}\b`),
	regexp.MustCompile(`<gen>-[a-z0-9]{8}\b`),
	regexp.MustCompile(`([0-9a-f]{1,4}:){2,}[0-9a-f:]*(/[0-9]+)?`),
}

func mask(s string) string {
	for _, re := range generated {
		s = re.ReplaceAllString(s, "<gen>")
	}
	return s
}

// idToken finds the generated IDs in a string: resource IDs and the hex
// of an ELB ARN or DNS name.
var idToken = regexp.MustCompile(`\b([a-z]+-)+[0-9a-f]{8,17}\b|[/-][0-9a-f]{16}\b`)

// compareOutputs lists the members in which got (the SDK's) and want
// (control's) differ. Two strings that differ only in generated values
// are equal, as long as the IDs pair up one to one across the whole
// output: an ID the SDK shows where control has another ID that it also
// shows as is elsewhere (a swapped member) is a difference.
func compareOutputs(got, want any) []string {
	var d []string
	g2w, w2g := map[string]map[string]bool{}, map[string]map[string]bool{}
	pair := func(g, w string) {
		gt, wt := idToken.FindAllString(g, -1), idToken.FindAllString(w, -1)
		if len(gt) != len(wt) {
			return
		}
		for i := range gt {
			if g2w[gt[i]] == nil {
				g2w[gt[i]] = map[string]bool{}
			}
			if w2g[wt[i]] == nil {
				w2g[wt[i]] = map[string]bool{}
			}
			g2w[gt[i]][wt[i]], w2g[wt[i]][gt[i]] = true, true
		}
	}
	var walk func(path string, g, w any)
	walk = func(path string, g, w any) {
		switch wv := w.(type) {
		case map[string]any:
			gv, ok := g.(map[string]any)
			if !ok {
				d = append(d, fmt.Sprintf("%s: SDK %v, control %v", path, short(g), short(w)))
				return
			}
			keys := map[string]bool{}
			for k := range wv {
				keys[k] = true
			}
			for k := range gv {
				keys[k] = true
			}
			for k := range keys {
				walk(path+"."+k, gv[k], wv[k])
			}
		case []any:
			gv, ok := g.([]any)
			if !ok || len(gv) != len(wv) {
				d = append(d, fmt.Sprintf("%s: SDK %v, control %v", path, short(g), short(w)))
				return
			}
			for i := range wv {
				walk(fmt.Sprintf("%s[%d]", path, i), gv[i], wv[i])
			}
		case string:
			gs, ok := g.(string)
			if gt, err := time.Parse(time.RFC3339Nano, gs); err == nil && ok {
				// A timestamp: the wire carries milliseconds, and a
				// resource the call creates gets the clock of its run;
				// a shifted zone or a wrong member is hours or more off.
				if wt, err := time.Parse(time.RFC3339Nano, wv); err != nil || gt.Sub(wt).Abs() > time.Minute {
					d = append(d, fmt.Sprintf("%s: SDK %v, control %v", path, short(g), short(w)))
				}
				return
			}
			if !ok || (gs != wv && mask(gs) != mask(wv)) {
				d = append(d, fmt.Sprintf("%s: SDK %v, control %v", path, short(g), short(w)))
				return
			}
			pair(gs, wv)
		default:
			if !reflect.DeepEqual(g, w) {
				d = append(d, fmt.Sprintf("%s: SDK %v, control %v", path, short(g), short(w)))
			}
		}
	}
	walk("", got, want)
	for _, m := range []map[string]map[string]bool{g2w, w2g} {
		for tok, others := range m {
			if len(others) > 1 {
				var o []string
				for x := range others {
					o = append(o, x)
				}
				sort.Strings(o)
				d = append(d, fmt.Sprintf("generated ID %s pairs with %v on the other side", tok, o))
			}
		}
	}
	sort.Strings(d)
	return d
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 200 {
		b = append(b[:200], "..."...)
	}
	return string(b)
}

// countLeaves counts the scalar values in a normalised output.
func countLeaves(v any) int {
	switch x := v.(type) {
	case map[string]any:
		n := 0
		for _, e := range x {
			n += countLeaves(e)
		}
		return n
	case []any:
		n := 0
		for _, e := range x {
			n += countLeaves(e)
		}
		return n
	case nil:
		return 0
	}
	return 1
}

// TestCompareOutputs: the comparison finds a member missing on either
// side, a value that differs, a list of another length, and masks only
// generated IDs and timestamps.
func TestCompareOutputs(t *testing.T) {
	type ep struct {
		VpcEndpointId string
		State         string
		Ids           []string
		Created       time.Time
		Port          *int32
	}
	now := time.Now()
	a := normalise(ep{VpcEndpointId: "vpce-0123456789abcdef0", State: "available", Ids: []string{}, Created: now})
	b := normalise(ep{VpcEndpointId: "vpce-fedcba98765432100", State: "available", Created: now.Add(time.Second)})
	if d := compareOutputs(a, b); len(d) > 0 {
		t.Errorf("generated ID, timestamp, nil vs empty list: %v", d)
	}
	if d := compareOutputs(a, normalise(ep{VpcEndpointId: "vpce-0123456789abcdef0", State: "available", Created: now.Add(-2 * time.Hour)})); len(d) != 1 {
		t.Errorf("a timestamp two hours off: %d differences, want 1: %v", len(d), d)
	}
	for _, c := range []struct {
		name string
		want ep
	}{
		{"state", ep{VpcEndpointId: "vpce-0123456789abcdef0", State: "pending", Created: now}},
		{"missing member", ep{Created: now, State: "available"}},
		{"extra member", ep{VpcEndpointId: "vpce-0123456789abcdef0", State: "available", Created: now, Port: aws.Int32(0)}},
		{"list", ep{VpcEndpointId: "vpce-0123456789abcdef0", State: "available", Ids: []string{"x"}, Created: now}},
	} {
		if d := compareOutputs(a, normalise(c.want)); len(d) != 1 {
			t.Errorf("%s: %d differences, want 1: %v", c.name, len(d), d)
		}
	}
	// A swapped ID: the SDK shows subnet-1... where control has subnet-2...,
	// which both show as is in another member.
	g := normalise(map[string]any{"A": "subnet-11111111111111111", "B": "subnet-22222222222222222"})
	w := normalise(map[string]any{"A": "subnet-22222222222222222", "B": "subnet-22222222222222222"})
	if d := compareOutputs(g, w); len(d) == 0 {
		t.Errorf("a swapped ID is not found")
	}
}

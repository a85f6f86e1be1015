package api

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
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
	"github.com/aws/smithy-go"

	"github.com/plink-dev/plink/internal/awsapi"
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

// TestEveryActionRoundTrips calls every registered action through the AWS
// SDK for Go v2 with an empty input (the SDK refuses inputs that lack
// required members before sending: those actions are counted, not
// called), on a store holding a service, an endpoint, tags, a target
// group with a target, an NLB and a listener. Every answer must parse
// (an output, or a typed API error), and every value plink puts in a
// successful response must be in the SDK's decoded output: a value the
// SDK drops is a member name or shape plink gets wrong.
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
	cEC2, _, _ := clients(consumer)

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
		LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn, Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(int32(freePort(t))),
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

	// Minimal valid inputs (as the provider) of the actions that have
	// required members; the rest get an empty input. No deletes: they
	// would take the state the later actions describe.
	lbArn, tgArn := lb.LoadBalancers[0].LoadBalancerArn, tg.TargetGroups[0].TargetGroupArn
	lisArn, epID := lis.Listeners[0].ListenerArn, aws.ToString(ep.VpcEndpoint.VpcEndpointId)
	inputs := map[string]any{
		"AcceptVpcEndpointConnections":          &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: svc.ServiceId, VpcEndpointIds: []string{epID}},
		"CreateSecurityGroup":                   &ec2.CreateSecurityGroupInput{GroupName: aws.String("rt"), Description: aws.String("rt"), VpcId: aws.String(pvpc)},
		"CreateSubnet":                          &ec2.CreateSubnetInput{VpcId: aws.String(pvpc), CidrBlock: aws.String("127.16.200.0/24")},
		"CreateTags":                            &ec2.CreateTagsInput{Resources: []string{aws.ToString(svc.ServiceId)}, Tags: []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}},
		"DescribeVpcAttribute":                  &ec2.DescribeVpcAttributeInput{VpcId: aws.String(pvpc), Attribute: ec2types.VpcAttributeNameEnableDnsSupport},
		"DescribeVpcEndpointServicePermissions": &ec2.DescribeVpcEndpointServicePermissionsInput{ServiceId: svc.ServiceId},
		"ModifyVpcEndpointServiceConfiguration": &ec2.ModifyVpcEndpointServiceConfigurationInput{ServiceId: svc.ServiceId, AcceptanceRequired: aws.Bool(true)},
		"ModifyVpcEndpointServicePermissions":   &ec2.ModifyVpcEndpointServicePermissionsInput{ServiceId: svc.ServiceId, AddAllowedPrincipals: []string{"arn:aws:iam::333333333333:root"}},
		"AddTags":                               &elb.AddTagsInput{ResourceArns: []string{aws.ToString(lbArn)}, Tags: []elbtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}},
		"DescribeListeners":                     &elb.DescribeListenersInput{LoadBalancerArn: lbArn},
		"DescribeListenerAttributes":            &elb.DescribeListenerAttributesInput{ListenerArn: lisArn},
		"DescribeLoadBalancerAttributes":        &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: lbArn},
		"DescribeTags":                          &elb.DescribeTagsInput{ResourceArns: []string{aws.ToString(lbArn), aws.ToString(tgArn)}},
		"DescribeTargetGroupAttributes":         &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: tgArn},
		"DescribeTargetHealth":                  &elb.DescribeTargetHealthInput{TargetGroupArn: tgArn},
		"ModifyTargetGroupAttributes": &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: tgArn,
			Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("10")}}},
		"ModifyLoadBalancerAttributes": &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: lbArn,
			Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String("load_balancing.cross_zone.enabled"), Value: aws.String("true")}}},
	}

	var called, refused, apiErrors []string
	for _, a := range awsapi.Actions() {
		var client any
		switch a.Service {
		case awsapi.EC2:
			client = pEC2
		case awsapi.ELBv2:
			client = pELB
		case awsapi.STS:
			client = pSTS
		}
		m := reflect.ValueOf(client).MethodByName(a.Name)
		if !m.IsValid() {
			t.Errorf("%s %s: the SDK client has no such method", a.Service, a.Name)
			continue
		}
		in := reflect.New(m.Type().In(1).Elem())
		if x, ok := inputs[a.Name]; ok && (a.Service != awsapi.EC2 || a.Name != "DescribeTags") {
			in = reflect.ValueOf(x)
		}
		res := m.Call([]reflect.Value{reflect.ValueOf(ctx), in})
		err, _ := res[1].Interface().(error)
		var inv smithy.InvalidParamsError
		var ae smithy.APIError
		switch {
		case errors.As(err, &inv):
			refused = append(refused, a.Name)
			continue
		case errors.As(err, &ae):
			apiErrors = append(apiErrors, a.Name+"="+ae.ErrorCode())
			continue
		case err != nil:
			t.Errorf("%s %s: the SDK could not parse the answer: %v\n%s", a.Service, a.Name, err, rec.body())
			continue
		}
		called = append(called, a.Name)
		leaves, xerr := xmlLeaves(rec.body())
		if xerr != nil {
			t.Errorf("%s: response is not XML: %v", a.Name, xerr)
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
			t.Errorf("%s %s: the SDK's output lacks values plink sent (wrong member names or shapes?):\n  %s", a.Service, a.Name, strings.Join(lost, "\n  "))
		}
	}
	t.Logf("%d actions: %d answered and round-tripped: %v", len(awsapi.Actions()), len(called), called)
	t.Logf("%d answered an API error to an empty input (parsed as typed errors): %v", len(apiErrors), apiErrors)
	t.Logf("%d not sent (the SDK requires members): %v", len(refused), refused)
}

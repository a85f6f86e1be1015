package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/plink-dev/plink/internal/awsapi"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/store"
)

// server starts the API on a real listener over a real store.
func server(t *testing.T, mod func(*Config)) (string, *Handler, *prometheus.Registry) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := prometheus.NewRegistry()
	cfg := Config{Store: st, Registerer: reg, DefaultRegion: "us-east-1",
		Anonymous: control.Caller{Account: "000000000000", Region: "us-east-1"},
		Credentials: map[string]Credential{
			"AKIDSIGNED": {Account: "222222222222", Secret: "s3cret"},
			"AKIDROLE":   {Account: "333333333333", Principal: "arn:aws:iam::333333333333:role/app"},
		}}
	if mod != nil {
		mod(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(h, nil)
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	t.Cleanup(func() { srv.Shutdown(context.Background()); <-done })
	return "http://" + ln.Addr().String() + "/", h, reg
}

// auth is an Authorization header naming akid (not a valid signature:
// checked only for keys with a secret).
func auth(akid, service string) string {
	return "AWS4-HMAC-SHA256 Credential=" + akid + "/20260101/us-east-1/" + service + "/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
}

func post(t *testing.T, u, authz, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func decoded(t *testing.T, svc awsapi.Service, action, query string) (any, error) {
	t.Helper()
	a := awsapi.Lookup(svc, action)
	if a == nil {
		t.Fatalf("no action %s", action)
	}
	v, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	in := a.NewInput()
	err = decodeInput(a, v, in)
	return in, err
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		svc           awsapi.Service
		action, query string
		want          string // JSON of the input (a substring)
		err           string
	}{
		{awsapi.EC2, "DescribeVpcs", "VpcId.1=vpc-1&VpcId.2=vpc-2&DryRun=true", `"VpcIds":["vpc-1","vpc-2"],"DryRun":true`, ""},
		{awsapi.EC2, "DescribeVpcs", "Filter.1.Name=tag:Name&Filter.1.Value.1=a&Filter.1.Value.2=b&Filter.2.Name=state&Filter.2.Value.1=available",
			`"Filters":[{"Name":"tag:Name","Values":["a","b"]},{"Name":"state","Values":["available"]}]`, ""},
		{awsapi.EC2, "DescribeVpcs", "MaxResults=5&NextToken=x", `"MaxResults":5`, ""},
		{awsapi.EC2, "CreateVpcEndpoint", "VpcId=vpc-1&ServiceName=s&SubnetId.1=subnet-1&SubnetId.2=subnet-2&SecurityGroupId.1=sg-1&PrivateDnsEnabled=false" +
			"&TagSpecification.1.ResourceType=vpc-endpoint&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=web&DnsOptions.DnsRecordIpType=ipv4",
			`"SubnetIds":["subnet-1","subnet-2"],"SecurityGroupIds":["sg-1"]`, ""},
		{awsapi.EC2, "CreateVpcEndpoint", "VpcId=v&ServiceName=s&TagSpecification.1.ResourceType=vpc-endpoint&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=web",
			`"TagSpecifications":[{"ResourceType":"vpc-endpoint","Tags":[{"Key":"Name","Value":"web"}]}]`, ""},
		{awsapi.EC2, "CreateVpcEndpoint", "VpcId=v&ServiceName=s&PrivateDnsEnabled=false", `"PrivateDnsEnabled":false`, ""},
		{awsapi.EC2, "DescribeVpcs", "VpcIds.1=vpc-1", "", "The parameter VpcIds.1 is not recognized"},
		{awsapi.EC2, "DescribeVpcs", "Filter.1.Name=a&Filter.3.Name=b", "", "The parameter Filter.3.Name is not recognized"},
		{awsapi.EC2, "DescribeVpcs", "DryRun=yes", "", "Value (yes) for parameter DryRun is invalid"},
		{awsapi.EC2, "DescribeVpcs", "MaxResults=x", "", "Value (x) for parameter MaxResults is invalid"},
		{awsapi.ELBv2, "CreateLoadBalancer", "Name=nlb&Type=network&Subnets.member.1=subnet-1&Subnets.member.2=subnet-2&Tags.member.1.Key=k&Tags.member.1.Value=v",
			`"Subnets":["subnet-1","subnet-2"]`, ""},
		{awsapi.ELBv2, "CreateLoadBalancer", "Name=nlb&Tags.member.1.Key=k&Tags.member.1.Value=v", `"Tags":[{"Key":"k","Value":"v"}]`, ""},
		{awsapi.ELBv2, "CreateLoadBalancer", "Name=nlb&Subnets.1=subnet-1", "", "The parameter Subnets.1 is not recognized"},
	} {
		in, err := decoded(t, tc.svc, tc.action, tc.query)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %s: err %v, want %q", tc.action, tc.query, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: %v", tc.action, tc.query, err)
			continue
		}
		b, _ := json.Marshal(in)
		if !strings.Contains(string(b), tc.want) {
			t.Errorf("%s %s:\n got %s\nwant %s", tc.action, tc.query, b, tc.want)
		}
	}
}

func TestHTTP(t *testing.T) {
	u, _, reg := server(t, nil)
	ec2 := auth("111111111111", "ec2")
	for _, tc := range []struct {
		name, authz, body string
		status            int
		want              []string
	}{
		{"create vpc", ec2, "Action=CreateVpc&Version=2016-11-15&CidrBlock=127.100.0.0/16&TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=web", 200,
			[]string{`<CreateVpcResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>`, `<ownerId>111111111111</ownerId>`,
				`<tagSet><item><key>Name</key><value>web</value></item></tagSet>`, `<isDefault>false</isDefault>`}},
		{"describe by filter", ec2, "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag:Name&Filter.1.Value.1=web", 200,
			[]string{`<vpcSet><item><cidrBlock>127.100.0.0/16</cidrBlock>`}},
		{"other account sees nothing", auth("222222222222", "ec2"), "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag:Name&Filter.1.Value.1=web", 200,
			[]string{`<vpcSet></vpcSet>`}},
		{"dry run", ec2, "Action=DescribeVpcs&Version=2016-11-15&DryRun=true", 412,
			[]string{`<Response><Errors><Error><Code>DryRunOperation</Code>`, `<RequestID>`}},
		{"unknown parameter", ec2, "Action=DescribeVpcs&Version=2016-11-15&Bogus=1", 400, []string{`<Code>UnknownParameter</Code>`}},
		{"missing parameter", ec2, "Action=CreateVpcEndpoint&Version=2016-11-15&VpcId=vpc-1", 400, []string{`<Code>MissingParameter</Code>`, `ServiceName`}},
		{"not found", ec2, "Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-0123456789abcdef0", 400, []string{`<Code>InvalidVpcID.NotFound</Code>`}},
		{"invalid action", ec2, "Action=RunInstances&Version=2016-11-15", 400, []string{`<Code>InvalidAction</Code>`}},
		{"no action", ec2, "Version=2016-11-15", 400, []string{`<Code>MissingAction</Code>`}},
		{"malformed form", ec2, "Action=DescribeVpcs&%zz", 400, []string{`<Code>MalformedQueryString</Code>`}},
		{"unsigned", "", "Action=DescribeVpcs&Version=2016-11-15", 403, []string{`<Code>MissingAuthenticationToken</Code>`}},
		{"unknown key", auth("AKIDNOBODY", "ec2"), "Action=DescribeVpcs&Version=2016-11-15", 403, []string{`<Code>InvalidClientTokenId</Code>`}},
		{"bad scheme", "Basic eDp5", "Action=DescribeVpcs&Version=2016-11-15", 400, []string{`<Code>IncompleteSignature</Code>`}},
		{"sts", auth("AKIDROLE", "sts"), "Action=GetCallerIdentity&Version=2011-06-15", 200,
			[]string{`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`,
				`<Account>333333333333</Account>`, `<Arn>arn:aws:iam::333333333333:role/app</Arn>`, `<ResponseMetadata><RequestId>`}},
		{"sts by scope", auth("111111111111", "sts"), "Action=GetCallerIdentity", 200, []string{`<Account>111111111111</Account>`}},
		{"elbv2 describe", auth("111111111111", "elasticloadbalancing"), "Action=DescribeLoadBalancers&Version=2015-12-01", 200,
			[]string{`<DescribeLoadBalancersResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeLoadBalancersResult>`}},
		{"elbv2 not found", auth("111111111111", "elasticloadbalancing"), "Action=DescribeLoadBalancers&Version=2015-12-01&Names.member.1=nope", 400,
			[]string{`<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type><Code>LoadBalancerNotFound</Code>`, `<RequestId>`}},
		{"elbv2 unknown", auth("111111111111", "elasticloadbalancing"), "Action=DescribeLoadBalancers&Version=2015-12-01&Bogus=1", 400, []string{`<Code>ValidationError</Code>`}},
		{"elbv2 missing", auth("111111111111", "elasticloadbalancing"), "Action=CreateLoadBalancer&Version=2015-12-01", 400, []string{`<Code>ValidationError</Code>`, `Value null at`}},
	} {
		status, body := post(t, u, tc.authz, tc.body)
		if status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, status, tc.status, body)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: answer lacks %s:\n%s", tc.name, w, body)
			}
		}
	}
	if n := testutil.ToFloat64(mustCounter(t, reg, "DryRunOperation")); n != 1 {
		t.Errorf("DryRunOperation counted %v times", n)
	}
}

func mustCounter(t *testing.T, reg *prometheus.Registry, code string) prometheus.Collector {
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "x"})
	for _, mf := range mfs {
		if mf.GetName() != "plink_api_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "code" && l.GetValue() == code {
					c.Add(m.GetCounter().GetValue())
				}
			}
		}
	}
	return c
}

func TestAnonymousAndGET(t *testing.T) {
	u, _, _ := server(t, func(c *Config) { c.AllowAnonymous = true })
	resp, err := http.Get(u + "?Action=GetCallerIdentity&Version=2011-06-15")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "<Account>000000000000</Account>") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
}

func TestOversizedBody(t *testing.T) {
	u, _, _ := server(t, nil)
	status, body := post(t, u, auth("111111111111", "ec2"), "Action=DescribeVpcs&Version=2016-11-15&X="+strings.Repeat("a", MaxBody))
	if status != 413 || !strings.Contains(body, "<Code>RequestEntityTooLarge</Code>") {
		t.Fatalf("%d %s", status, body)
	}
}

// signed sends body signed by the AWS SDK's own signer with secret.
func signed(t *testing.T, u, akid, secret, service, body string, tamper bool) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret},
		req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if tamper {
		body = strings.Replace(body, "2016-11-15", "2016-11-15&DryRun=true", 1)
		req.Body = io.NopCloser(strings.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSigV4(t *testing.T) {
	u, _, _ := server(t, nil)
	body := "Action=DescribeVpcs&Version=2016-11-15"
	if status, b := signed(t, u, "AKIDSIGNED", "s3cret", "ec2", body, false); status != 200 {
		t.Errorf("good signature: %d %s", status, b)
	}
	if status, b := signed(t, u, "AKIDSIGNED", "wrong", "ec2", body, false); status != 403 || !strings.Contains(b, "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("wrong secret: %d %s", status, b)
	}
	if status, b := signed(t, u, "AKIDSIGNED", "s3cret", "ec2", body, true); status != 403 || !strings.Contains(b, "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("tampered body: %d %s", status, b)
	}
	// STS as the SDK sends it, identity of the signed key.
	if status, b := signed(t, u, "AKIDSIGNED", "s3cret", "sts", "Action=GetCallerIdentity&Version=2011-06-15", false); status != 200 || !strings.Contains(b, "<Account>222222222222</Account>") {
		t.Errorf("sts: %d %s", status, b)
	}
	// A key without a secret is not checked.
	if status, b := signed(t, u, "111111111111", "anything", "ec2", body, false); status != 200 {
		t.Errorf("12 digits: %d %s", status, b)
	}

	// Presigned GET.
	req, _ := http.NewRequest(http.MethodGet, u+"?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=300", nil)
	pu, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIDSIGNED", SecretAccessKey: "s3cret"},
		req, "UNSIGNED-PAYLOAD", "sts", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		u      string
		status int
	}{{pu, 200}, {strings.Replace(pu, "GetCallerIdentity", "GetCallerIdentitx", 1), 403}} {
		resp, err := http.Get(tc.u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("presigned %s: %d %s", tc.u, resp.StatusCode, b)
		}
	}
}

// TestEveryAction: every registered action answers a well-formed request
// with a parseable XML document (an answer or an AWS error), never a 500.
func TestEveryAction(t *testing.T) {
	u, _, _ := server(t, nil)
	scope := map[awsapi.Service]string{awsapi.EC2: "ec2", awsapi.ELBv2: "elasticloadbalancing", awsapi.STS: "sts"}
	for _, a := range awsapi.Actions() {
		status, body := post(t, u, auth("111111111111", scope[a.Service]), "Action="+a.Name+"&Version="+a.Service.APIVersion())
		if status >= 500 {
			t.Errorf("%s: %d %s", a.Name, status, body)
		}
		dec := xmlDecoder(body)
		for {
			if _, err := dec.Token(); err != nil {
				if !errors.Is(err, io.EOF) {
					t.Errorf("%s: bad XML: %v\n%s", a.Name, err, body)
				}
				break
			}
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("DescribeVpcs", "Filter.1.Name=a&Filter.1.Value.1=b&VpcId.1=x")
	f.Add("CreateVpcEndpoint", "TagSpecification.1.Tag.1.Key=k&SubnetId.2=s&PrivateDnsEnabled=true")
	f.Add("CreateLoadBalancer", "Subnets.member.1=s&Tags.member.1.Key=k")
	f.Fuzz(func(t *testing.T, action, query string) {
		vals, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		for _, svc := range awsapi.Services() {
			a := awsapi.Lookup(svc, action)
			if a == nil {
				continue
			}
			in := a.NewInput()
			if err := decodeInput(a, vals, in); err != nil {
				var de *decodeError
				if !errors.As(err, &de) {
					t.Fatalf("error not a decodeError: %v", err)
				}
			}
		}
	})
}

func xmlDecoder(s string) interface{ Token() (xml.Token, error) } {
	return xml.NewDecoder(strings.NewReader(s))
}

// TestConcurrent: requests of several accounts at once all succeed (the
// store's transactions; one control API per caller, shared).
func TestConcurrent(t *testing.T) {
	u, _, _ := server(t, nil)
	errs := make(chan string, 40)
	for i := range 40 {
		go func() {
			acct := fmt.Sprintf("1111111111%02d", i%4)
			status, body := post(t, u, auth(acct, "ec2"), fmt.Sprintf("Action=CreateVpc&Version=2016-11-15&CidrBlock=127.%d.0.0/16", 100+i))
			if status != 200 {
				errs <- fmt.Sprintf("%d %s", status, body)
				return
			}
			errs <- ""
		}()
	}
	for range 40 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

// Command api measures the AWS wire protocol's overhead: requests/second
// and latency of DescribeVpcEndpoints (a consumer with 100 endpoints) and
// CreateVpcEndpoint through the AWS SDK for Go v2 against plink's API
// handler (internal/api over loopback HTTP, in this process), against the
// same calls made in-process on control.API on the same store. It runs
// interleaved rounds and prints medians, p50/p99 and the ratio (goal:
// SDK / in-process >= 0.5).
//
//	go run ./bench/api [-rounds 7] [-describes 300] [-creates 100]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/plink-dev/plink/internal/api"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/store"
)

const (
	provider  = "111111111111"
	describer = "222222222222" // holds the 100 endpoints
	creator   = "333333333333" // creates endpoints, so the describer's count stays 100
	region    = "us-east-1"
)

func main() {
	rounds := flag.Int("rounds", 7, "interleaved rounds")
	describes := flag.Int("describes", 300, "DescribeVpcEndpoints calls per mode per round")
	creates := flag.Int("creates", 100, "CreateVpcEndpoint calls per mode per round")
	nEndpoints := flag.Int("endpoints", 100, "endpoints of the describing consumer")
	workaround := flag.Bool("sdk-workaround", false, "send request bodies without WriteTo, avoiding the SDK's closed-connection race (see hideWriteTo); the stub path always does")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (server and SDK) to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*rounds, *describes, *creates, *nEndpoints, *workaround); err != nil {
		pprof.StopCPUProfile()
		log.Fatal(err)
	}
}

// sdkWarnings counts the SDK's log lines (warnings such as "failed to
// discard remaining HTTP response body"); the first is printed.
var sdkWarnings atomic.Int64

func sdkLog(c logging.Classification, format string, v ...any) {
	if sdkWarnings.Add(1) == 1 {
		log.Printf("SDK %s: "+format, append([]any{c}, v...)...)
	}
}

// hideWriteTo works around a race in the SDK's HTTP layer (smithy-go): it
// closes the request body as soon as the response's headers arrive, and
// the closed body's WriteTo answers io.EOF, so when the server answers
// before net/http's writer has made its final read of the body (a fast
// server on loopback), the writer takes it for a write error and closes
// the connection under the response still being read: "failed to discard
// remaining HTTP response body ... use of closed network connection", or a
// failed call if the body was not read yet. Sending the body as a plain
// io.ReadSeeker (Read after close answers io.EOF, which ends the copy
// cleanly) avoids it.
var hideWriteTo = middleware.FinalizeMiddlewareFunc("BenchHideWriteTo", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if req, ok := in.Request.(*smithyhttp.Request); ok {
		if rs, ok := req.GetStream().(io.ReadSeeker); ok {
			r, err := req.SetStream(struct{ io.ReadSeeker }{rs})
			if err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, err
			}
			in.Request = r
		}
	}
	return next.HandleFinalize(ctx, in)
})

func sdk(addr, account string, workaround bool) (*ec2.Client, *elb.Client) {
	var opts []func(*middleware.Stack) error
	if workaround {
		opts = append(opts, func(st *middleware.Stack) error { return st.Finalize.Add(hideWriteTo, middleware.After) })
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(region),
		config.WithLogger(logging.LoggerFunc(sdkLog)), config.WithAPIOptions(opts),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(account, "x", "")),
		config.WithBaseEndpoint("http://"+addr), config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}))
	if err != nil {
		log.Fatal(err)
	}
	return ec2.NewFromConfig(cfg), elb.NewFromConfig(cfg)
}

func check[T any](v T, err error) T {
	if err != nil {
		log.Fatal(err)
	}
	return v
}

func defaultNet(ctx context.Context, c *ec2.Client) (string, []string) {
	v := check(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}}))
	vpc := aws.ToString(v.Vpcs[0].VpcId)
	s := check(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}}))
	var ids []string
	for _, x := range s.Subnets {
		ids = append(ids, aws.ToString(x.SubnetId))
	}
	return vpc, ids
}

// tag marks a request with the benchmark operation for the handler's
// timing.
func tag(op string) func(*ec2.Options) {
	return func(o *ec2.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("X-Bench-Op", op))
	}
}

type sample struct {
	rps []float64
	lat []time.Duration
}

// measure runs f n times and records the rate and each call's latency.
func (s *sample) measure(n int, f func(i int) error) error {
	start := time.Now()
	for i := range n {
		t := time.Now()
		if err := f(i); err != nil {
			return err
		}
		s.lat = append(s.lat, time.Since(t))
	}
	s.rps = append(s.rps, float64(n)/time.Since(start).Seconds())
	return nil
}

func median(x []float64) float64 {
	y := slices.Clone(x)
	sort.Float64s(y)
	return y[len(y)/2]
}

func pct(x []time.Duration, p float64) time.Duration {
	y := slices.Clone(x)
	slices.Sort(y)
	return y[int(p*float64(len(y)-1))]
}

func run(rounds, describes, creates, nEndpoints int, workaround bool) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "plink-bench-api-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, filepath.Join(dir, "plink.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	h, err := api.New(api.Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	// Time spent in plink's handler (decode, control, encode), to split the
	// SDK path's latency between server and client.
	var hmu sync.Mutex
	var inHandler map[string][]time.Duration
	var canned []byte // a DescribeVpcEndpoints answer, for the stub
	timed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.Now()
		var tee *teeWriter
		if r.Header.Get("X-Bench-Op") == "describe" {
			hmu.Lock()
			if canned == nil {
				tee = &teeWriter{ResponseWriter: w}
				w = tee
			}
			hmu.Unlock()
		}
		h.ServeHTTP(w, r)
		d := time.Since(t)
		hmu.Lock()
		if tee != nil && canned == nil {
			canned = tee.b
		}
		if inHandler != nil {
			k := r.Header.Get("X-Bench-Op")
			inHandler[k] = append(inHandler[k], d)
		}
		hmu.Unlock()
	})
	srv := &http.Server{Handler: timed}
	go srv.Serve(ln)
	defer srv.Close()
	addr := ln.Addr().String()

	// The provider's service, through the SDK.
	pEC2, pELB := sdk(addr, provider, workaround)
	pvpc, psubs := defaultNet(ctx, pEC2)
	tg := check(pELB.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("bench"), Protocol: elbtypes.ProtocolEnumTcp,
		Port: aws.Int32(9), VpcId: aws.String(pvpc), TargetType: elbtypes.TargetTypeEnumIp}))
	lb := check(pELB.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("bench"), Type: elbtypes.LoadBalancerTypeEnumNetwork,
		Scheme: elbtypes.LoadBalancerSchemeEnumInternal, Subnets: psubs}))
	lbArn := lb.LoadBalancers[0].LoadBalancerArn
	check(pELB.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lbArn, Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(80),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroups[0].TargetGroupArn}}}))
	svc := check(pEC2.CreateVpcEndpointServiceConfiguration(ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{aws.ToString(lbArn)}, AcceptanceRequired: aws.Bool(false)})).ServiceConfiguration
	check(pEC2.ModifyVpcEndpointServicePermissions(ctx, &ec2.ModifyVpcEndpointServicePermissionsInput{ServiceId: svc.ServiceId,
		AddAllowedPrincipals: []string{"arn:aws:iam::" + describer + ":root", "arn:aws:iam::" + creator + ":root"}}))

	dEC2, _ := sdk(addr, describer, workaround)
	dvpc, dsubs := defaultNet(ctx, dEC2)
	for i := range nEndpoints {
		check(dEC2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcEndpointType: ec2types.VpcEndpointTypeInterface, VpcId: aws.String(dvpc),
			ServiceName: svc.ServiceName, SubnetIds: dsubs[i%len(dsubs) : i%len(dsubs)+1]}))
	}
	cEC2, _ := sdk(addr, creator, workaround)
	cvpc, csubs := defaultNet(ctx, cEC2)

	dIn, err := control.New(st, control.Caller{Account: describer, Region: region})
	if err != nil {
		return err
	}
	cIn, err := control.New(st, control.Caller{Account: creator, Region: region})
	if err != nil {
		return err
	}
	// The ceiling: the same SDK calls against a stub that answers the
	// canned DescribeVpcEndpoints reply at no cost.
	if err := descSDKWarm(ctx, dEC2); err != nil {
		return err
	}
	hmu.Lock()
	reply := canned
	hmu.Unlock()
	stubLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	stub := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(reply)))
		w.Write(reply)
	})}
	go stub.Serve(stubLn)
	defer stub.Close()
	sEC2, _ := sdk(stubLn.Addr().String(), describer, true)

	var sdkDesc, inDesc, sdkCreate, inCreate, stubDesc sample
	descSDK := func(int) error {
		out, err := dEC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{}, tag("describe"))
		if err == nil && len(out.VpcEndpoints) != nEndpoints {
			err = fmt.Errorf("SDK describe: %d endpoints", len(out.VpcEndpoints))
		}
		return err
	}
	descStub := func(int) error {
		out, err := sEC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
		if err == nil && len(out.VpcEndpoints) != nEndpoints {
			err = fmt.Errorf("stub describe: %d endpoints", len(out.VpcEndpoints))
		}
		return err
	}
	descIn := func(int) error {
		out, err := dIn.DescribeVpcEndpoints(ctx, &control.DescribeVpcEndpointsInput{})
		if err == nil && len(out.VpcEndpoints) != nEndpoints {
			err = fmt.Errorf("in-process describe: %d endpoints", len(out.VpcEndpoints))
		}
		return err
	}
	createSDK := func(i int) error {
		_, err := cEC2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcEndpointType: ec2types.VpcEndpointTypeInterface, VpcId: aws.String(cvpc),
			ServiceName: svc.ServiceName, SubnetIds: csubs[i%len(csubs) : i%len(csubs)+1]}, tag("create"))
		return err
	}
	createIn := func(i int) error {
		_, err := cIn.CreateVpcEndpoint(ctx, &control.CreateVpcEndpointInput{VpcID: cvpc, ServiceName: aws.ToString(svc.ServiceName),
			SubnetIDs: csubs[i%len(csubs) : i%len(csubs)+1]})
		return err
	}
	hmu.Lock()
	inHandler = map[string][]time.Duration{}
	hmu.Unlock()
	// Warm up both paths.
	for _, f := range []func(int) error{descSDK, descIn, descStub} {
		if err := f(0); err != nil {
			return err
		}
	}
	for r := range rounds {
		steps := []struct {
			s *sample
			n int
			f func(int) error
		}{{&sdkDesc, describes, descSDK}, {&inDesc, describes, descIn}, {&stubDesc, describes, descStub}, {&sdkCreate, creates, createSDK}, {&inCreate, creates, createIn}}
		if r%2 == 1 { // alternate which path goes first
			steps[0], steps[2], steps[3], steps[4] = steps[2], steps[0], steps[4], steps[3]
		}
		for _, s := range steps {
			if err := s.s.measure(s.n, s.f); err != nil {
				return err
			}
		}
	}
	fmt.Printf("%d rounds; DescribeVpcEndpoints of %d endpoints x%d, CreateVpcEndpoint x%d per mode per round\n\n", rounds, nEndpoints, describes, creates)
	fmt.Println("| Action | Path | req/s (median of rounds) | p50 | p99 |")
	fmt.Println("|---|---|---:|---:|---:|")
	row := func(action, path string, s *sample) {
		fmt.Printf("| %s | %s | %.0f | %v | %v |\n", action, path, median(s.rps), pct(s.lat, 0.5).Round(time.Microsecond), pct(s.lat, 0.99).Round(time.Microsecond))
	}
	row("DescribeVpcEndpoints", "Go SDK over HTTP", &sdkDesc)
	row("DescribeVpcEndpoints", "control.API in-process", &inDesc)
	row("DescribeVpcEndpoints", fmt.Sprintf("Go SDK over HTTP, stub server (canned %d-byte reply)", len(reply)), &stubDesc)
	row("CreateVpcEndpoint", "Go SDK over HTTP", &sdkCreate)
	row("CreateVpcEndpoint", "control.API in-process", &inCreate)
	hmu.Lock()
	fmt.Printf("\ninside plink's HTTP handler (of the SDK path): DescribeVpcEndpoints p50 %v p99 %v; CreateVpcEndpoint p50 %v p99 %v\n",
		pct(inHandler["describe"], 0.5).Round(time.Microsecond), pct(inHandler["describe"], 0.99).Round(time.Microsecond),
		pct(inHandler["create"], 0.5).Round(time.Microsecond), pct(inHandler["create"], 0.99).Round(time.Microsecond))
	hmu.Unlock()
	ratio := func(a, b *sample) float64 {
		var rs []float64
		for i := range a.rps {
			rs = append(rs, a.rps[i]/b.rps[i])
		}
		return median(rs)
	}
	fmt.Printf("\nratio SDK/in-process (median of per-round ratios; goal >= 0.5): DescribeVpcEndpoints %.2f, CreateVpcEndpoint %.2f\n",
		ratio(&sdkDesc, &inDesc), ratio(&sdkCreate, &inCreate))
	fmt.Printf("ceiling: SDK against the zero-cost stub / in-process: DescribeVpcEndpoints %.2f\n", ratio(&stubDesc, &inDesc))
	fmt.Printf("SDK log lines (warnings) over the whole run: %d\n", sdkWarnings.Load())
	return nil
}

// teeWriter keeps a copy of what the handler writes.
type teeWriter struct {
	http.ResponseWriter
	b []byte
}

func (t *teeWriter) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	return t.ResponseWriter.Write(p)
}

func descSDKWarm(ctx context.Context, c *ec2.Client) error {
	_, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{}, tag("describe"))
	return err
}

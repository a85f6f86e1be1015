package control_test

import (
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

// BenchmarkPaging10k measures describe-vpc-endpoints against a store
// holding 10,000 endpoints: everything at once, the first page of 100, a
// page of 100 from the middle, and a whole walk in pages of 1,000.
func BenchmarkPaging10k(b *testing.B) {
	e := cpNewBenchEnv(b, 10_000)
	describe := func(b *testing.B, max int, tok string) *control.DescribeVpcEndpointsOutput {
		in := &control.DescribeVpcEndpointsInput{EC2Paging: control.EC2Paging{NextToken: tok}}
		if max > 0 {
			in.MaxResults = &max
		}
		out, err := e.consumer.DescribeVpcEndpoints(e.ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	b.Run("All", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if out := describe(b, 0, ""); len(out.VpcEndpoints) < 10_000 {
				b.Fatalf("%d endpoints", len(out.VpcEndpoints))
			}
		}
	})
	b.Run("FirstPage100", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if out := describe(b, 100, ""); len(out.VpcEndpoints) != 100 || out.NextToken == "" {
				b.Fatalf("%d endpoints", len(out.VpcEndpoints))
			}
		}
	})
	mid := describe(b, 1000, "")
	for range 4 {
		mid = describe(b, 1000, mid.NextToken)
	}
	b.Run("MiddlePage100", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if out := describe(b, 100, mid.NextToken); len(out.VpcEndpoints) != 100 {
				b.Fatalf("%d endpoints", len(out.VpcEndpoints))
			}
		}
	})
	b.Run("Walk1000", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			n, tok := 0, ""
			for {
				out := describe(b, 1000, tok)
				n += len(out.VpcEndpoints)
				if tok = out.NextToken; tok == "" {
					break
				}
			}
			if n < 10_000 {
				b.Fatalf("walked %d endpoints", n)
			}
		}
	})
}

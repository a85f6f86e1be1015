package awscli

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"testing"

	"github.com/plink-dev/plink/internal/awsapi"
	"github.com/plink-dev/plink/internal/control"
)

// fakeVpcs answers DescribeVpcs from seven VPCs, MaxResults (default 2) a
// page, the token being the index of the page's first VPC.
func fakeVpcs(t *testing.T, calls *[]string) func(in any) (any, error) {
	return func(in any) (any, error) {
		d := in.(*control.DescribeVpcsInput)
		*calls = append(*calls, d.NextToken)
		size := 2
		if d.MaxResults != nil {
			size = *d.MaxResults
		}
		first := 0
		if d.NextToken != "" {
			first, _ = strconv.Atoi(d.NextToken)
		}
		out := &control.DescribeVpcsOutput{Vpcs: []control.Vpc{}}
		for i := first; i < first+size && i < 7; i++ {
			out.Vpcs = append(out.Vpcs, control.Vpc{VpcID: fmt.Sprint("vpc-", i)})
		}
		if first+size < 7 {
			out.NextToken = strconv.Itoa(first + size)
		}
		return out, nil
	}
}

func ids(t *testing.T, out any) ([]string, string) {
	t.Helper()
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Vpcs      []struct{ VpcId string }
		NextToken string
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range v.Vpcs {
		got = append(got, x.VpcId)
	}
	return got, v.NextToken
}

func TestPagerFetchesEveryPage(t *testing.T) {
	a := awsapi.Lookup(awsapi.EC2, "DescribeVpcs")
	var calls []string
	pg := &pager{p: a.Paging}
	out, err := pg.run(a, &control.DescribeVpcsInput{}, fakeVpcs(t, &calls))
	if err != nil {
		t.Fatal(err)
	}
	got, next := ids(t, out)
	if len(got) != 7 || next != "" || !reflect.DeepEqual(calls, []string{"", "2", "4", "6"}) {
		t.Fatalf("got %v next %q calls %q", got, next, calls)
	}
}

func TestPagerMaxItemsAndStartingToken(t *testing.T) {
	a := awsapi.Lookup(awsapi.EC2, "DescribeVpcs")
	var all []string
	token := ""
	for round := 0; round < 10; round++ {
		var calls []string
		pg := &pager{p: a.Paging, maxItems: 3, pageSize: 2, startingToken: token}
		out, err := pg.run(a, &control.DescribeVpcsInput{}, fakeVpcs(t, &calls))
		if err != nil {
			t.Fatal(err)
		}
		got, next := ids(t, out)
		if len(got) > 3 {
			t.Fatalf("round %d: %d items", round, len(got))
		}
		all = append(all, got...)
		if next == "" {
			break
		}
		token = next
	}
	want := []string{"vpc-0", "vpc-1", "vpc-2", "vpc-3", "vpc-4", "vpc-5", "vpc-6"}
	if !reflect.DeepEqual(all, want) {
		t.Fatalf("walked %v, want %v", all, want)
	}
	if _, err := (&pager{p: a.Paging, startingToken: "garbage!"}).run(a, &control.DescribeVpcsInput{}, fakeVpcs(t, new([]string))); err == nil {
		t.Fatal("a bad --starting-token was taken")
	}
}

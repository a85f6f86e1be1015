package cli

import (
	"flag"
	"reflect"
	"testing"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/iostreams"
)

var update = flag.Bool("update", false, "rewrite the committed completion scripts")

func TestExpandListFlags(t *testing.T) {
	io, _, _, _ := iostreams.Test()
	root := NewCmdRoot(cmdutil.New(io))
	tests := []struct {
		in, want []string
	}{
		{[]string{"delete-endpoints", "--vpc-endpoint-ids", "vpce-1", "vpce-2"}, []string{"delete-endpoints", "--vpc-endpoint-ids", "vpce-1", "--vpc-endpoint-ids", "vpce-2"}},
		{[]string{"describe-vpcs", "--filters", "Name=a,Values=b", "Name=c,Values=d", "-o", "json"}, []string{"describe-vpcs", "--filters", "Name=a,Values=b", "--filters", "Name=c,Values=d", "-o", "json"}},
		{[]string{"describe-vpcs", "--vpc-ids=vpc-1", "-o", "table"}, []string{"describe-vpcs", "--vpc-ids=vpc-1", "-o", "table"}},
	}
	for _, tt := range tests {
		if got := expandListFlags(root, tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("expandListFlags(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTreeBuildsTwice(t *testing.T) {
	io, _, _, _ := iostreams.Test()
	a, b := NewCmdRoot(cmdutil.New(io)), NewCmdRoot(cmdutil.New(io))
	if len(a.Commands()) != len(b.Commands()) || len(a.Commands()) < 30 {
		t.Fatalf("command trees differ or are too small: %d vs %d", len(a.Commands()), len(b.Commands()))
	}
}

package output

import (
	"bytes"
	"testing"
)

// FuzzQuery: any --query is compiled or refused, and a compiled one runs
// over a describe-shaped document in every format without a panic.
func FuzzQuery(f *testing.F) {
	for _, q := range []string{
		"Vpcs[0].VpcId", "Vpcs[?State=='available'].VpcId", "length(Vpcs)",
		"Vpcs[].Tags[?Key=='Name'].Value | [0]", "[[[", "Vpcs[?State==`available`]", "sort_by(Vpcs, &VpcId)[-1]",
	} {
		f.Add(q)
	}
	doc := map[string]any{"Vpcs": []any{
		map[string]any{"VpcId": "vpc-1", "State": "available", "CidrBlock": "127.16.0.0/16",
			"Tags": []any{map[string]any{"Key": "Name", "Value": "a\x1b[31mred"}}},
		map[string]any{"VpcId": "vpc-2", "State": "pending", "IsDefault": true, "Count": 3},
	}}
	f.Fuzz(func(t *testing.T, query string) {
		for _, format := range formats {
			p, err := New(format, query)
			if err != nil {
				return
			}
			var buf bytes.Buffer
			_ = p.Print(&buf, doc, nil)
		}
	})
}

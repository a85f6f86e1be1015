package examples

import (
	"os"
	"reflect"
	"testing"
)

// TestGeneratedCurrent fails when examples_gen.go is not what the scripts'
// marks make: run go generate ./cmd/plink/cli/examples.
func TestGeneratedCurrent(t *testing.T) {
	want, err := Generate("../../testdata/script")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("examples_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatal("examples_gen.go is stale: run go generate ./cmd/plink/cli/examples")
	}
}

func TestParse(t *testing.T) {
	script := `# a story
# example: list VPCs as a table
exec plink describe-vpcs -o table
exec plink describe-subnets
# example: find a VPC by CIDR
[linux] exec plink --account 111111111111 describe-vpcs --query 'Vpcs[?CidrBlock==''10.0.0.0/16''].VpcId' -o text
# example: serve the store
exec plink serve --ready-file $WORK/ready &
# example: log events to a file
exec plink create-endpoint-connection-notification --connection-notification-arn file://$WORK/events.jsonl
env P=--profile=provider
# example: tag a VPC
exec plink $P create-tags --resources $VPC --tags Key=team,Value=web
exec plink create-target-group --name web --vpc-id $VPC --query 'TargetGroups[0].TargetGroupArn' -o text
stdout arn
capture TG
exec sh -c 'echo x'
capture X
freeport PORT
# example: register a target
exec plink register-targets --target-group-arn $TG --targets Id=127.0.0.1,Port=$PORT $X &web&
-- file --
# example: not a script line
exec plink nothing
`
	got, err := Parse("s.txtar", []byte(script))
	if err != nil {
		t.Fatal(err)
	}
	want := []Example{
		{Desc: "list VPCs as a table", Line: "plink describe-vpcs -o table", Args: []string{"describe-vpcs", "-o", "table"}, Script: "s.txtar"},
		{Desc: "find a VPC by CIDR", Line: "plink --account 111111111111 describe-vpcs --query 'Vpcs[?CidrBlock==''10.0.0.0/16''].VpcId' -o text",
			Args: []string{"--account", "111111111111", "describe-vpcs", "--query", "Vpcs[?CidrBlock=='10.0.0.0/16'].VpcId", "-o", "text"}, Script: "s.txtar"},
		{Desc: "serve the store", Line: "plink serve --ready-file ready", Args: []string{"serve", "--ready-file", "ready"}, Script: "s.txtar"},
		{Desc: "log events to a file", Line: "plink create-endpoint-connection-notification --connection-notification-arn file://$PWD/events.jsonl",
			Args: []string{"create-endpoint-connection-notification", "--connection-notification-arn", "file://$PWD/events.jsonl"}, Script: "s.txtar"},
		{Desc: "tag a VPC", Line: "plink --profile=provider create-tags --resources $VPC --tags Key=team,Value=web",
			Args: []string{"--profile=provider", "create-tags", "--resources", "$VPC", "--tags", "Key=team,Value=web"}, Script: "s.txtar"},
		// Variables captured from a plink command or picked ports are
		// explained; others (X, from sh) are not; &web& is the script's.
		{Desc: "register a target", Line: "plink register-targets --target-group-arn $TG --targets Id=127.0.0.1,Port=$PORT $X",
			Args: []string{"register-targets", "--target-group-arn", "$TG", "--targets", "Id=127.0.0.1,Port=$PORT", "$X"}, Script: "s.txtar",
			Vars: []string{"TG=$(plink create-target-group --name web --vpc-id $VPC --query 'TargetGroups[0].TargetGroupArn' -o text)", "PORT=8081  # any free TCP port"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	for _, bad := range []string{"# example: x\nexec echo hi\n", "# example:\nexec plink describe-vpcs\n", "# example: x\n"} {
		if _, err := Parse("bad.txtar", []byte(bad)); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

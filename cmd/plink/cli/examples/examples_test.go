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
env PLINK_ACCOUNT=222222222222
txtserver DNS _x.api.example.com vpce:x
# example: verify a name
exec plink --resolver $DNS start-endpoint-service-private-dns-verification --service-id $SVC
env PLINK_ACCOUNT=
# example: list endpoints
exec plink get endpoints
-- file --
# example: not a script line
exec plink nothing
-- cfg/plink/config.yaml --
profiles:
  provider: {account: "111111111111"}
`
	got, err := Parse("s.txtar", []byte(script))
	if err != nil {
		t.Fatal(err)
	}
	want := []Example{
		{Desc: "list VPCs as a table", Line: "plink describe-vpcs -o table", Args: []string{"describe-vpcs", "-o", "table"}, Script: "s.txtar"},
		{Desc: "find a VPC by CIDR", Line: "plink --account 111111111111 describe-vpcs --query 'Vpcs[?CidrBlock==''10.0.0.0/16''].VpcId' -o text",
			Args: []string{"--account", "111111111111", "describe-vpcs", "--query", "Vpcs[?CidrBlock=='10.0.0.0/16'].VpcId", "-o", "text"}, Script: "s.txtar"},
		// A background command's --ready-file is how the script waits for it.
		{Desc: "serve the store", Line: "plink serve", Args: []string{"serve"}, Script: "s.txtar"},
		{Desc: "log events to a file", Line: "plink create-endpoint-connection-notification --connection-notification-arn file://$PWD/events.jsonl",
			Args: []string{"create-endpoint-connection-notification", "--connection-notification-arn", "file://$PWD/events.jsonl"}, Script: "s.txtar"},
		// The script's profile is shown as its account.
		{Desc: "tag a VPC", Line: "plink --account 111111111111 create-tags --resources $VPC --tags Key=team,Value=web",
			Args: []string{"--account", "111111111111", "create-tags", "--resources", "$VPC", "--tags", "Key=team,Value=web"}, Script: "s.txtar"},
		// Variables captured from a plink command or picked ports are
		// explained; others (X, from sh) are not; &web& is the script's.
		{Desc: "register a target", Line: "plink register-targets --target-group-arn $TG --targets Id=127.0.0.1,Port=$PORT $X",
			Args: []string{"register-targets", "--target-group-arn", "$TG", "--targets", "Id=127.0.0.1,Port=$PORT", "$X"}, Script: "s.txtar",
			Vars: []string{"TG=$(plink create-target-group --name web --vpc-id $VPC --query 'TargetGroups[0].TargetGroupArn' -o text)", "PORT=8081  # any free port"}},
		// env PLINK_ACCOUNT shows as --account; txtserver's address is explained.
		{Desc: "verify a name", Line: "plink --account 222222222222 --resolver $DNS start-endpoint-service-private-dns-verification --service-id $SVC",
			Args: []string{"--account", "222222222222", "--resolver", "$DNS", "start-endpoint-service-private-dns-verification", "--service-id", "$SVC"}, Script: "s.txtar",
			Vars: []string{"DNS=10.0.0.2:53  # the DNS server (host:port) where you published the TXT record"}},
		{Desc: "list endpoints", Line: "plink get endpoints", Args: []string{"get", "endpoints"}, Script: "s.txtar"},
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

package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/store/storetest"
)

// TestPostgresCLI runs the plink binary against a PostgreSQL store on a
// throwaway cluster: --db and PLINK_DB select it, a command's change is
// seen by the next one, and with the server stopped a command fails with
// exit 255 and an error naming the database but not its password; once
// the server is back, commands work again.
func TestPostgresCLI(t *testing.T) {
	if _, err := storetest.PGBin(); err != nil {
		t.Skipf("no PostgreSQL: %v", err)
	}
	bin, err := exec.LookPath("plink")
	if err != nil {
		t.Fatal(err)
	}
	c, err := storetest.StartCluster(storetest.Fast)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Remove() })
	empty, err := c.EmptyDB()
	if err != nil {
		t.Fatal(err)
	}
	// trust authentication ignores the password; it must never be shown.
	db := strings.Replace(empty, "plink@", "plink:pw-s3cret@", 1)
	r := plinkRun{bin: bin, home: t.TempDir()}

	out, errOut, code := r.run(t, "--db", db, "ec2", "create-vpc", "--cidr-block", "127.72.0.0/16", "--query", "Vpc.VpcId", "--output", "text")
	if code != 0 {
		t.Fatalf("create-vpc: exit %d: %s", code, errOut)
	}
	vpc := strings.TrimSpace(out)
	r.env = []string{"PLINK_DB=" + db}
	out, errOut, code = r.run(t, "ec2", "describe-vpcs", "--vpc-ids", vpc, "--query", "Vpcs[0].CidrBlock", "--output", "text")
	if code != 0 || strings.TrimSpace(out) != "127.72.0.0/16" {
		t.Fatalf("describe-vpcs with PLINK_DB: exit %d, %q: %s", code, out, errOut)
	}

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = r.run(t, "ec2", "describe-vpcs")
	if code != 255 {
		t.Errorf("describe-vpcs with the server down: exit %d, want 255: %s", code, errOut)
	}
	if !strings.Contains(errOut, strings.Replace(db, ":pw-s3cret", "", 1)) || strings.Contains(errOut, "s3cret") {
		t.Errorf("error should name the database without its password: %s", errOut)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := r.run(t, "ec2", "create-tags", "--resources", vpc, "--tags", "Key=k,Value=v"); code != 0 {
		t.Fatalf("create-tags after the server came back: exit %d: %s", code, errOut)
	}
}

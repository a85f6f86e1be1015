package store

import (
	"context"
	"testing"
)

// TestMigration3 opens a store at schema 2 holding VPCs and an endpoint
// with private DNS, and checks what schema 3 makes of them: the DNS
// attributes AWS's defaults give (both on for a default VPC, hostnames off
// for another), hostnames on where an endpoint already has private DNS,
// and no secondary blocks or payer responsibility.
func TestMigration3(t *testing.T) {
	ctx := context.Background()
	db, path := openAtSchema(t, 2)
	const at = "2026-01-01T00:00:00.000Z"
	for _, q := range []string{
		`INSERT INTO vpcs (id, account, region, cidr, cidr_lo, cidr_hi, is_default, created_at) VALUES
			('vpc-def', '111111111111', 'us-east-1', '127.16.0.0/16', x'00', x'00', 1, '` + at + `'),
			('vpc-plain', '111111111111', 'us-east-1', '127.17.0.0/16', x'01', x'01', 0, '` + at + `'),
			('vpc-pdns', '111111111111', 'us-east-1', '127.18.0.0/16', x'02', x'02', 0, '` + at + `')`,
		`INSERT INTO services (id, account, region, state, acceptance_required, created_at) VALUES ('vpce-svc-1', '111111111111', 'us-east-1', 'Available', 0, '` + at + `')`,
		`INSERT INTO endpoints (id, account, region, vpc_id, service_id, service_name, state, ip_address_type, dns_record_ip_type,
			private_dns_enabled, dns_suffix, created_at, updated_at) VALUES ('vpce-1', '111111111111', 'us-east-1', 'vpc-pdns', 'vpce-svc-1',
			'n', 'available', 'ipv4', 'ipv4', 1, 'abcdefgh', '` + at + `', '` + at + `')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, _ := st.SchemaVersion(ctx); v < 3 {
		t.Fatalf("schema %d after Open", v)
	}
	err = st.Read(ctx, func(tx *Tx) error {
		for id, want := range map[string][2]bool{"vpc-def": {true, true}, "vpc-plain": {true, false}, "vpc-pdns": {true, true}} {
			v, err := tx.VPC(id)
			if err != nil {
				return err
			}
			if got := [2]bool{v.EnableDNSSupport, v.EnableDNSHostnames}; got != want {
				t.Errorf("%s: enableDnsSupport, enableDnsHostnames = %v, want %v", id, got, want)
			}
		}
		blocks, err := tx.VPCCIDRBlocks(nil)
		if err != nil || len(blocks) != 0 {
			t.Errorf("secondary blocks %v (%v)", blocks, err)
		}
		s, err := tx.Service("vpce-svc-1")
		if err != nil || s.PayerResponsibility != "" {
			t.Errorf("service %+v (%v)", s, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

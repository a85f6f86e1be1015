package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// TestMigration4 opens a store at schema 3 holding security group rules
// and an endpoint, and checks what schema 4 makes of them: the rules kept
// in their order with their IDs and descriptions and no source group, the
// endpoint with the default policy (""), no client tokens; the rebuilt
// rules table still goes with its group.
func TestMigration4(t *testing.T) {
	ctx := context.Background()
	db, path := openAtSchema(t, 3)
	const at = "2026-01-01T00:00:00.000Z"
	for _, q := range []string{
		`INSERT INTO vpcs (id, account, region, cidr, cidr_lo, cidr_hi, is_default, created_at) VALUES
			('vpc-1', '111111111111', 'us-east-1', '127.16.0.0/16', x'00', x'00', 1, '` + at + `')`,
		`INSERT INTO security_groups (id, vpc_id, account, region, name, description, created_at) VALUES
			('sg-1', 'vpc-1', '111111111111', 'us-east-1', 'web', 'web', '` + at + `')`,
		`INSERT INTO sg_rules (id, group_id, protocol, from_port, to_port, cidr, description) VALUES
			('sgr-b', 'sg-1', 'tcp', 80, 80, '10.0.0.0/8', 'office'),
			('sgr-a', 'sg-1', 'tcp', 443, 443, 'fd00::/8', '')`,
		`INSERT INTO services (id, account, region, state, acceptance_required, created_at) VALUES ('vpce-svc-1', '111111111111', 'us-east-1', 'Available', 0, '` + at + `')`,
		`INSERT INTO endpoints (id, account, region, vpc_id, service_id, service_name, state, ip_address_type, dns_record_ip_type,
			private_dns_enabled, dns_suffix, created_at, updated_at) VALUES ('vpce-1', '111111111111', 'us-east-1', 'vpc-1', 'vpce-svc-1',
			'n', 'available', 'ipv4', 'ipv4', 0, 'abcdefgh', '` + at + `', '` + at + `')`,
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
	if v, _ := st.SchemaVersion(ctx); v < 4 {
		t.Fatalf("schema %d after Open", v)
	}
	err = st.Read(ctx, func(tx *Tx) error {
		rules, err := tx.SGRules("sg-1")
		if err != nil {
			return err
		}
		if len(rules) != 2 || rules[0].ID != "sgr-b" || rules[0].Description != "office" || rules[0].CIDR.String() != "10.0.0.0/8" ||
			rules[1].ID != "sgr-a" || rules[1].CIDR.String() != "fd00::/8" || rules[0].SourceGroup != "" || rules[1].SourceGroup != "" {
			t.Errorf("rules after migration: %+v", rules)
		}
		e, err := tx.Endpoint("vpce-1")
		if err != nil || e.PolicyDocument != "" {
			t.Errorf("endpoint %+v (%v)", e, err)
		}
		if _, err := tx.ClientTokenOf("111111111111", "us-east-1", "CreateVpcEndpoint", "t"); err != ErrNotFound {
			t.Errorf("client token: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The rebuilt table keeps its foreign key: rules go with their group.
	err = st.Write(ctx, func(tx *Tx) error { return tx.DeleteSecurityGroup("sg-1") })
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := st.DB().QueryRow(`SELECT count(*) FROM sg_rules`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rules left after deleting their group (%v)", n, err)
	}
}

// openAtSchema makes a store file at schema n, as an older plink left it:
// the migrations up to n applied and user_version n. It returns the open
// database and the file's path.
func openAtSchema(t *testing.T, n int) (*sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plink.db")
	db, err := sql.Open("sqlite", fileURI(path, dsnParams))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.n > n {
			break
		}
		if _, err := db.Exec(m.body); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", n)); err != nil {
		t.Fatal(err)
	}
	return db, path
}

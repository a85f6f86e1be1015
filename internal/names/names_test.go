package names

import (
	"regexp"
	"strings"
	"testing"
)

func TestIDs(t *testing.T) {
	for _, p := range []string{VPC, Subnet, SecurityGroup, ENI, Service, Endpoint, Notification} {
		id := NewID(p)
		if !regexp.MustCompile(`^`+p+`-[0-9a-f]{17}$`).MatchString(id) || !ValidID(p, id) {
			t.Errorf("NewID(%q) = %q", p, id)
		}
	}
	tests := []struct {
		prefix, id string
		ok         bool
	}{
		{Endpoint, "vpce-0123456789abcdef0", true},
		{Endpoint, "vpce-032a826a", true}, // legacy 8 hex
		{Endpoint, "vpce-0123456789ABCDEF0", false},
		{Endpoint, "vpce-svc-0123456789abcdef0", false},
		{Service, "vpce-svc-0123456789abcdef0", true},
		{Endpoint, "vpce-123", false},
		{Endpoint, "", false},
	}
	for _, tt := range tests {
		if got := ValidID(tt.prefix, tt.id); got != tt.ok {
			t.Errorf("ValidID(%q, %q) = %v, want %v", tt.prefix, tt.id, got, tt.ok)
		}
	}
}

func TestZoneID(t *testing.T) {
	for zone, want := range map[string]string{"us-east-1a": "use1-az1", "us-east-1c": "use1-az3", "eu-west-2b": "euw2-az2", "ap-southeast-1a": "apse1-az1", "x": ""} {
		if got := ZoneID(zone); got != want {
			t.Errorf("ZoneID(%q) = %q, want %q", zone, got, want)
		}
	}
}

func TestDNSNames(t *testing.T) {
	svc := "vpce-svc-0123456789abcdef0"
	if got, want := ServiceName("us-east-1", svc), "com.amazonaws.vpce.us-east-1."+svc; got != want {
		t.Errorf("ServiceName = %q, want %q", got, want)
	}
	if got := ServiceIDFromName("us-east-1", ServiceName("us-east-1", svc)); got != svc {
		t.Errorf("ServiceIDFromName round trip = %q", got)
	}
	if got := ServiceIDFromName("us-west-2", ServiceName("us-east-1", svc)); got != "" {
		t.Errorf("a name of another region gave %q", got)
	}
	if got, want := EndpointDNSName("vpce-0aa", "abcd1234", "us-east-1a", "us-east-1", svc), "vpce-0aa-abcd1234-us-east-1a."+svc+".us-east-1.vpce.amazonaws.com"; got != want {
		t.Errorf("zonal name = %q, want %q", got, want)
	}
	if a, ok := PrincipalAccount("arn:aws:iam::123456789012:role/app"); !ok || a != "123456789012" {
		t.Errorf("PrincipalAccount(role) = %q, %v", a, ok)
	}
	for _, bad := range []string{"123456789012", "arn:aws:iam::12345:root", "arn:aws:s3:::bucket", "*"} {
		if _, ok := PrincipalAccount(bad); ok {
			t.Errorf("PrincipalAccount(%q) accepted", bad)
		}
	}
}

func TestParsePrincipal(t *testing.T) {
	tests := []struct {
		arn  string
		want Principal
		ok   bool
	}{
		{"arn:aws:iam::123456789012:root", Principal{Account: "123456789012", Kind: "root"}, true},
		{"arn:aws:iam::123456789012:user/alice", Principal{"123456789012", "user", "/", "alice"}, true},
		{"arn:aws:iam::123456789012:role/app", Principal{"123456789012", "role", "/", "app"}, true},
		{"arn:aws:iam::123456789012:role/team/ops/app+1=2,x.y@z_-", Principal{"123456789012", "role", "/team/ops/", "app+1=2,x.y@z_-"}, true},
		{"arn:aws:iam::123456789012:role/" + strings.Repeat("r", 64), Principal{"123456789012", "role", "/", strings.Repeat("r", 64)}, true},
		{"arn:aws:iam::123456789012:role/" + strings.Repeat("r", 65), Principal{}, false},
		{"arn:aws:iam::123456789012:role/" + strings.Repeat("p", 511) + "/x", Principal{}, false},
		{"arn:aws:iam::123456789012:role//x", Principal{}, false},
		{"arn:aws:iam::123456789012:role/a b", Principal{}, false},
		{"arn:aws:iam::123456789012:role/a\x1b[31m", Principal{}, false},
		{"arn:aws:iam::123456789012:role/", Principal{}, false},
		{"arn:aws:iam::123456789012:group/admins", Principal{}, false},
		{"arn:aws:iam::123456789012:assumed-role/app/s", Principal{}, false},
		{"arn:aws:sts::123456789012:assumed-role/app/session", Principal{}, false},
		{"arn:aws:iam::12345678901:root", Principal{}, false},
		{"arn:aws:iam::123456789012:rootx", Principal{}, false},
		{"arn:aws-cn:iam::123456789012:root", Principal{}, false},
		{"arn:aws:s3:::bucket", Principal{}, false},
		{"garbage", Principal{}, false},
		{"", Principal{}, false},
		{"*", Principal{}, false},
	}
	for _, tt := range tests {
		got, err := ParsePrincipal(tt.arn)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParsePrincipal(%q) = %+v, %v; want %+v, ok %v", tt.arn, got, err, tt.want, tt.ok)
		}
	}
}

func TestValidAccountRegion(t *testing.T) {
	for s, want := range map[string]bool{"123456789012": true, "12345678901": false, "1234567890123": false, "12345678901a": false, "": false} {
		if ValidAccount(s) != want {
			t.Errorf("ValidAccount(%q) = %v", s, !want)
		}
	}
	for s, want := range map[string]bool{"us-east-1": true, "ap-southeast-2": true, "us-gov-west-1": true, "us-east": false, "US-EAST-1": false, "us-east-1\n": false, "": false} {
		if ValidRegion(s) != want {
			t.Errorf("ValidRegion(%q) = %v", s, !want)
		}
	}
}

// FuzzParsePrincipal: any string is taken apart or refused; what is taken
// apart is an ARN of a 12-digit account that its parts spell again.
func FuzzParsePrincipal(f *testing.F) {
	for _, s := range []string{"arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:role/a/b/c", "arn:aws:iam::123456789012:user//x", "garbage", "arn:aws:sts::123456789012:assumed-role/r/s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arn string) {
		p, err := ParsePrincipal(arn)
		if err != nil {
			return
		}
		if !ValidAccount(p.Account) {
			t.Fatalf("%q: account %q", arn, p.Account)
		}
		again := RootPrincipal(p.Account)
		if p.Kind != "root" {
			again = "arn:aws:iam::" + p.Account + ":" + p.Kind + p.Path + p.Name
		}
		if again != arn {
			t.Fatalf("%q parsed as %+v, which spells %q", arn, p, again)
		}
	})
}

package doctor

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/snapshot"
)

// fakeProc writes a proc tree with the given files.
func fakeProc(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const loLine = "00000000000000000000000000000001 01 80 10 80       lo\n"

func v6Snapshot() *snapshot.Snapshot {
	return &snapshot.Snapshot{Endpoints: []snapshot.Endpoint{{ID: "vpce-1", State: "available",
		ENIs: []snapshot.ENI{{IPv6: netip.MustParseAddr("fd00:16::10")}}}}}
}

func TestCheckIPv6(t *testing.T) {
	on := map[string]string{"net/if_inet6": loLine, "sys/net/ipv6/conf/all/disable_ipv6": "0\n", "sys/net/ipv6/conf/lo/disable_ipv6": "0\n"}
	off := map[string]string{"net/if_inet6": "", "sys/net/ipv6/conf/all/disable_ipv6": "1\n", "sys/net/ipv6/conf/lo/disable_ipv6": "1\n"}
	tests := []struct {
		name   string
		proc   map[string]string
		snap   *snapshot.Snapshot
		status string
		want   string
	}{
		{"on, nothing to serve", on, &snapshot.Snapshot{}, StatusOK, "::1 is on lo"},
		{"off, nothing to serve", off, &snapshot.Snapshot{}, StatusWarn, "net.ipv6.conf.all.disable_ipv6=1"},
		{"off, IPv6 to serve", off, v6Snapshot(), StatusFail, "the store has 1 IPv6 addresses"},
		{"no ::1", map[string]string{"net/if_inet6": ""}, &snapshot.Snapshot{}, StatusWarn, "::1 is not on lo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := checkIPv6(Options{Proc: fakeProc(t, tc.proc)}, tc.snap)
			if f.Status != tc.status || !strings.Contains(f.Message, tc.want) {
				t.Fatalf("got %s %q; want %s containing %q", f.Status, f.Message, tc.status, tc.want)
			}
			if f.Status != StatusOK && !strings.Contains(f.Fix, "sysctl") && tc.status != StatusFail {
				t.Errorf("fix %q does not name the sysctl", f.Fix)
			}
		})
	}
}

func TestCheckPrivilegedPorts(t *testing.T) {
	snap := &snapshot.Snapshot{LoadBalancers: []snapshot.LoadBalancer{{Name: "web", Listeners: []snapshot.Listener{{Port: 80}}}}}
	proc := fakeProc(t, map[string]string{"sys/net/ipv4/ip_unprivileged_port_start": "1024\n",
		"self/status": "Name:\tplink\nCapEff:\t0000000000000000\n"})
	f := checkPrivilegedPorts(Options{Proc: proc, DNSPort: 5300}, &snapshot.Snapshot{})
	if f.Status != StatusOK {
		t.Errorf("DNS on 5300, no listeners: %+v", f)
	}
	f = checkPrivilegedPorts(Options{Proc: proc, DNSPort: 53}, snap)
	if os.Geteuid() == 0 {
		if f.Status != StatusOK || !strings.Contains(f.Message, "root") {
			t.Errorf("as root: %+v", f)
		}
	} else if f.Status != StatusFail || !strings.Contains(f.Message, "DNS on port 53, listener port 80 (web)") || !strings.Contains(f.Fix, "setcap cap_net_bind_service") {
		t.Errorf("unprivileged: %+v", f)
	}
	// The sysctl lowered: nothing is privileged.
	low := fakeProc(t, map[string]string{"sys/net/ipv4/ip_unprivileged_port_start": "0\n"})
	if f := checkPrivilegedPorts(Options{Proc: low, DNSPort: 53}, snap); f.Status != StatusOK {
		t.Errorf("ip_unprivileged_port_start=0: %+v", f)
	}
	capProc := fakeProc(t, map[string]string{"self/status": "CapEff:\t0000000000000400\n"})
	if !hasBindCapability(capProc) || hasBindCapability(proc) {
		t.Error("hasBindCapability misreads CapEff bit 10")
	}
}

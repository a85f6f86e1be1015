package serve

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os/exec"
	"strings"
	"time"
)

// routeTable keeps the kernel's routes to the other hosts' subnets equal
// to the latest list (ip route replace / ip route del, as root), and
// removes the ones it installed on close. Only the run loop uses it.
type routeTable struct {
	log       *slog.Logger
	installed map[netip.Prefix]netip.Addr
}

func newRouteTable(log *slog.Logger) *routeTable {
	return &routeTable{log: log, installed: map[netip.Prefix]netip.Addr{}}
}

// apply installs the routes that are new or changed and removes those no
// longer wanted, in one `ip -batch` run.
func (t *routeTable) apply(routes []Route) error {
	want := map[netip.Prefix]Route{}
	for _, r := range routes {
		want[r.Prefix] = r
	}
	var batch strings.Builder
	var added []Route
	var removed []netip.Prefix
	for p, r := range want {
		if t.installed[p] != r.Via {
			fmt.Fprintf(&batch, "route replace %s via %s\n", p, r.Via)
			added = append(added, r)
		}
	}
	for p, via := range t.installed {
		if _, ok := want[p]; !ok {
			fmt.Fprintf(&batch, "route del %s via %s\n", p, via)
			removed = append(removed, p)
		}
	}
	if batch.Len() == 0 {
		return nil
	}
	out, err := ipBatch(batch.String())
	for _, r := range added {
		t.installed[r.Prefix] = r.Via
		t.log.Info("route to another host's zone", "route", r.String(), "zone", r.Zone, "host", r.Host)
	}
	for _, p := range removed {
		delete(t.installed, p)
		t.log.Info("removed route", "prefix", p)
	}
	if err != nil {
		return fmt.Errorf("installing routes to the other hosts' zones (needs root; or print them with --print-routes "+
			"and install them yourself): %v: %s", err, strings.TrimSpace(out))
	}
	return nil
}

// close removes every route apply installed.
func (t *routeTable) close() error {
	return t.apply(nil)
}

func ipBatch(stdin string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "-force", "-batch", "-")
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

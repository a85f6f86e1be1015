package serve

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/names"
	"github.com/plink-dev/plink/internal/serve"
	"github.com/plink-dev/plink/internal/store"
	"github.com/plink-dev/plink/internal/version"
)

// zoneName is a zone of a region: us-east-1a, ap-southeast-2c.
var zoneName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+[` + strings.Join(names.Zones, "") + `]$`)

// checkZones validates the flags of several hosts.
func checkZones(o *ServeOptions) error {
	for _, z := range o.Zones {
		if !zoneName.MatchString(z) {
			return fmt.Errorf("--zones takes zone names separated by commas, such as us-east-1a,us-east-1b (zones %s of a region), not %q",
				strings.Join(names.Zones, ", "), z)
		}
	}
	slices.Sort(o.Zones)
	o.Zones = slices.Compact(o.Zones)
	if o.ZoneTimeout <= 0 {
		return fmt.Errorf("--zone-timeout must be positive, not %v", o.ZoneTimeout)
	}
	if o.HostAddr != "" {
		if _, err := netip.ParseAddr(o.HostAddr); err != nil {
			return fmt.Errorf("--host-addr must be an IP address, not %q", o.HostAddr)
		}
	}
	if len(o.Zones) == 0 && (o.Interface != "" || o.HostAddr != "" || o.HostName != "") {
		return fmt.Errorf("--interface, --host-addr and --host-name need --zones: without it serve carries every zone on this host")
	}
	if o.PrintRoutes && o.Check {
		return fmt.Errorf("--print-routes and --check do not go together")
	}
	return nil
}

// zoneOptions are serve's options for several hosts: the store is the
// registry (every serve checks it, with or without --zones).
func zoneOptions(st *store.Store, o *ServeOptions) serve.ZoneOptions {
	return serve.ZoneOptions{Zones: o.Zones, Registry: st, Interface: o.Interface, HostAddr: o.HostAddr, HostName: o.HostName,
		Timeout: o.ZoneTimeout, Routes: len(o.Zones) > 0 && os.Geteuid() == 0, Version: version.String()}
}

// addrStatePath is where serve records the addresses it adds: one file
// per zone set, so serves of different zones on one machine (network
// namespaces sharing a file system) keep their own.
func addrStatePath(db string, zones []string) string {
	p := serve.AddrStatePath(db)
	if len(zones) > 0 {
		p += "." + strings.Join(zones, "+")
	}
	return p
}

// printRoutes prints the routes to the zones other hosts serve (with
// --zones: other than those given) as ip(8) commands.
func printRoutes(ctx context.Context, f *cmdutil.Factory, o *ServeOptions) error {
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	hosts, err := st.Hosts(ctx)
	if err != nil {
		return fmt.Errorf("reading the hosts table: %w", err)
	}
	subnets, err := st.ZoneSubnets(ctx)
	if err != nil {
		return fmt.Errorf("reading the subnets: %w", err)
	}
	routes := slices.DeleteFunc(serve.Routes(hosts, subnets, ""), func(r serve.Route) bool {
		return slices.Contains(o.Zones, r.Zone)
	})
	if len(routes) == 0 {
		fmt.Fprintln(f.IO.ErrOut, "no routes: no other host with a host address serves a zone with subnets outside 127/8 (plink get hosts)")
		return nil
	}
	fmt.Fprint(f.IO.Out, serve.FormatRoutes(routes))
	return nil
}

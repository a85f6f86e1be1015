// Package doctor finds what on this machine stops plink from working:
// privileged ports, IPv6 on lo, ports other processes hold, another serve
// on the store, store permissions, the open file limit, Graphviz. Each
// finding says what to do. It changes nothing: listeners it tries are
// closed at once, the store is opened only if it exists.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/plink-dev/plink/internal/config"
	"github.com/plink-dev/plink/internal/serve"
	"github.com/plink-dev/plink/internal/snapshot"
	"github.com/plink-dev/plink/internal/store"
)

// Statuses of a finding. Only StatusFail blocks.
const (
	StatusOK   = "ok"
	StatusInfo = "info"
	StatusWarn = "warn"
	StatusFail = "fail"
)

// Finding is the outcome of one check.
type Finding struct {
	Check   string `json:"check"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// Report is everything doctor found.
type Report struct {
	// OK is false when a finding blocks plink serve.
	OK       bool      `json:"ok"`
	Store    string    `json:"store"`
	Findings []Finding `json:"findings"`
}

// Options say what to examine.
type Options struct {
	StorePath string
	// Open opens the store; it is called only when the store file exists.
	Open func(ctx context.Context) (serve.Source, error)
	// DNSPort is the port serve would give DNS (serve's --dns-port).
	DNSPort int
	// Proc is the proc file system; "" means /proc (tests use a fake).
	Proc string
}

// Run runs every check.
func Run(ctx context.Context, o Options) *Report {
	if o.Proc == "" {
		o.Proc = "/proc"
	}
	r := &Report{Store: store.DisplayName(o.StorePath), Findings: []Finding{}}
	add := func(f Finding) { r.Findings = append(r.Findings, f) }

	exists, f := true, Finding{Check: "store", Status: StatusInfo, Message: "a PostgreSQL database: " + r.Store}
	if !store.IsPostgres(o.StorePath) {
		exists, f = checkStore(o.StorePath)
	}
	add(f)
	var snap *snapshot.Snapshot
	var src serve.Source
	if exists && f.Status != StatusFail {
		var err error
		src, err = o.Open(ctx)
		if err == nil {
			snap, err = src.Snapshot(ctx)
		}
		if err != nil {
			src = nil // Open may return a typed nil with its error
			add(Finding{Check: "store", Status: StatusFail, Message: "cannot read the store: " + err.Error(),
				Fix: "check the path (--db, PLINK_DB); a store of a newer plink needs that plink"})
		}
	}
	if snap == nil {
		snap = &snapshot.Snapshot{}
	} else if len(snap.Endpoints) == 0 && len(snap.LoadBalancers) == 0 {
		add(Finding{Check: "store", Status: StatusInfo, Message: "the store holds no endpoints and no load balancers: plink serve would serve nothing",
			Fix: "if you meant another store, set --db or PLINK_DB; else create some (plink demo shows a whole topology)"})
	}

	holder, served, err := serve.LockHolder(serve.LocalStorePath(o.StorePath, filepath.Dir(config.DefaultDBPath())))
	switch {
	case err != nil:
		add(Finding{Check: "serve-lock", Status: StatusWarn, Message: "cannot read the serve lock: " + err.Error()})
	case served:
		add(Finding{Check: "serve-lock", Status: StatusInfo,
			Message: fmt.Sprintf("a plink serve (%s) serves this store: a second serve on it exits 255", holder),
			Fix:     "use that serve (changes to the store are live in it), or stop it before starting another"})
	default:
		add(Finding{Check: "serve-lock", Status: StatusOK, Message: "no plink serve runs on this store"})
	}

	add(checkPrivilegedPorts(o, snap))
	add(checkIPv6(o, snap))
	if served {
		add(Finding{Check: "listeners", Status: StatusInfo,
			Message: "not tried: the serve that runs on this store holds them"})
	} else if src != nil {
		add(checkListeners(ctx, src, o.DNSPort))
	}
	add(checkFileLimit(snap))
	add(checkGraphviz())

	r.OK = true
	for _, f := range r.Findings {
		if f.Status == StatusFail {
			r.OK = false
		}
	}
	return r
}

// checkStore looks at the store file and its directory: both must be
// writable by this user (SQLite writes -wal and -shm files beside the
// store, serve its lock file).
func checkStore(path string) (exists bool, f Finding) {
	f = Finding{Check: "store"}
	dir := filepath.Dir(path)
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		d := existingParent(dir)
		if unix.Access(d, unix.W_OK|unix.X_OK) != nil {
			f.Status, f.Message = StatusFail, fmt.Sprintf("%s does not exist and cannot be created: %s is not writable (or not reachable)", path, d)
			f.Fix = "give a store path you can write (--db or PLINK_DB), or make " + d + " writable (chmod u+w / chown)"
			return false, f
		}
		f.Status = StatusInfo
		f.Message = path + " does not exist yet: it is created, empty, on first use. " +
			"If you meant another store, set --db or PLINK_DB"
		return false, f
	case err != nil:
		f.Status, f.Message, f.Fix = StatusFail, "cannot stat the store: "+err.Error(), "check the path (--db, PLINK_DB)"
		return false, f
	case !fi.Mode().IsRegular():
		f.Status, f.Message, f.Fix = StatusFail, path+" is not a regular file", "point --db or PLINK_DB at a store file"
		return true, f
	}
	var bad []string
	if unix.Access(path, unix.R_OK|unix.W_OK) != nil {
		bad = append(bad, path+" is not readable and writable")
	}
	for _, side := range []string{path + "-wal", path + "-shm", serve.LockPath(path)} {
		if _, err := os.Stat(side); err == nil && unix.Access(side, unix.R_OK|unix.W_OK) != nil {
			bad = append(bad, side+" is not readable and writable")
		}
	}
	if unix.Access(dir, unix.W_OK|unix.X_OK) != nil {
		bad = append(bad, dir+" is not writable (SQLite and serve write files beside the store)")
	}
	if len(bad) > 0 {
		f.Status, f.Message = StatusFail, strings.Join(bad, "; ")
		f.Fix = fmt.Sprintf("make them yours: chown %d %s %s*; chmod u+rw %s*; chmod u+wx %s", os.Getuid(), dir, path, path, dir)
		return true, f
	}
	f.Status, f.Message = StatusOK, path+": readable and writable"
	return true, f
}

func existingParent(dir string) string {
	for {
		if _, err := os.Stat(dir); err == nil || dir == filepath.Dir(dir) {
			return dir
		}
		dir = filepath.Dir(dir)
	}
}

// checkPrivilegedPorts: ports below ip_unprivileged_port_start (1024 by
// default) need root or CAP_NET_BIND_SERVICE, DNS on 53 first of all.
func checkPrivilegedPorts(o Options, snap *snapshot.Snapshot) Finding {
	f := Finding{Check: "privileged-ports"}
	start := 1024
	if b, err := os.ReadFile(filepath.Join(o.Proc, "sys/net/ipv4/ip_unprivileged_port_start")); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			start = n
		}
	}
	var low []string
	if o.DNSPort > 0 && o.DNSPort < start {
		low = append(low, fmt.Sprintf("DNS on port %d", o.DNSPort))
	}
	seen := map[uint16]bool{}
	for _, lb := range snap.LoadBalancers {
		for _, l := range lb.Listeners {
			if int(l.Port) < start && !seen[l.Port] {
				seen[l.Port] = true
				low = append(low, fmt.Sprintf("listener port %d (%s)", l.Port, lb.Name))
			}
		}
	}
	switch {
	case len(low) == 0:
		f.Status, f.Message = StatusOK, fmt.Sprintf("no port below %d is needed", start)
	case os.Geteuid() == 0:
		f.Status, f.Message = StatusOK, "running as root: "+strings.Join(low, ", ")+" can be bound"
	case hasBindCapability(o.Proc):
		f.Status, f.Message = StatusOK, "this plink has cap_net_bind_service: "+strings.Join(low, ", ")+" can be bound"
	default:
		f.Status = StatusFail
		verb := "need"
		if len(low) == 1 {
			verb = "needs"
		}
		f.Message = strings.Join(low, ", ") + fmt.Sprintf(" %s root or cap_net_bind_service (ports below %d are privileged)", verb, start)
		f.Fix = "sudo setcap cap_net_bind_service=+ep \"$(command -v plink)\"; or serve DNS on another port " +
			"(plink serve --dns-port 5300, plink doctor --dns-port 5300) and give listeners ports above 1023"
	}
	return f
}

// hasBindCapability reads CapEff of this process: bit 10 is
// CAP_NET_BIND_SERVICE (set on the binary with setcap, it is this plink's).
func hasBindCapability(proc string) bool {
	b, err := os.ReadFile(filepath.Join(proc, "self/status"))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && n&(1<<10) != 0
		}
	}
	return false
}

// checkIPv6: IPv6 on lo must be on (and ::1 present) for dualstack and
// IPv6 endpoints; addresses other than ::1 need root (serve adds them).
func checkIPv6(o Options, snap *snapshot.Snapshot) Finding {
	f := Finding{Check: "ipv6"}
	var v6 []netip.Addr
	for _, ep := range snap.Endpoints {
		if !ep.Available() {
			continue
		}
		for _, eni := range ep.ENIs {
			if eni.IPv6.IsValid() {
				v6 = append(v6, eni.IPv6)
			}
		}
	}
	for _, lb := range snap.LoadBalancers {
		for _, n := range lb.Nodes {
			if n.IPv6.IsValid() {
				v6 = append(v6, n.IPv6)
			}
		}
	}
	var off []string
	for _, name := range []string{"all", "lo"} {
		b, err := os.ReadFile(filepath.Join(o.Proc, "sys/net/ipv6/conf", name, "disable_ipv6"))
		if err == nil && strings.TrimSpace(string(b)) == "1" {
			off = append(off, "net.ipv6.conf."+name+".disable_ipv6=1")
		}
	}
	loopback := false
	if b, err := os.ReadFile(filepath.Join(o.Proc, "net/if_inet6")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			fields := strings.Fields(line)
			if len(fields) >= 6 && fields[0] == "00000000000000000000000000000001" {
				loopback = true
			}
		}
	} else {
		off = append(off, "no IPv6 in this kernel ("+filepath.Join(o.Proc, "net/if_inet6")+" missing)")
	}
	if !loopback && len(off) == 0 {
		off = append(off, "::1 is not on lo")
	}
	fix := "sudo sysctl -w net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.lo.disable_ipv6=0 (and ip -6 addr add ::1/128 dev lo if ::1 is missing)"
	switch {
	case len(off) > 0 && len(v6) > 0:
		f.Status, f.Message, f.Fix = StatusFail,
			fmt.Sprintf("IPv6 is off on lo (%s) but the store has %d IPv6 addresses to serve", strings.Join(off, "; "), len(v6)), fix
	case len(off) > 0:
		f.Status, f.Message, f.Fix = StatusWarn,
			"IPv6 is off on lo ("+strings.Join(off, "; ")+"): dualstack and IPv6 endpoints could not be served", fix
	case len(v6) > 0 && os.Geteuid() != 0:
		f.Status = StatusFail
		f.Message = fmt.Sprintf("the store has %d IPv6 addresses (outside ::1); only root can put them on lo", len(v6))
		f.Fix = "run plink serve as root (it adds the addresses on lo and removes them on exit), or use IPv4 endpoints"
	default:
		f.Status, f.Message = StatusOK, "IPv6 is on, ::1 is on lo"
		if len(v6) > 0 {
			f.Message += fmt.Sprintf("; serve adds the store's %d IPv6 addresses on lo (as root)", len(v6))
		}
	}
	return f
}

// checkListeners binds every listener the store asks for (and DNS), as
// plink serve --check does, and names who holds the ones that fail.
func checkListeners(ctx context.Context, src serve.Source, dnsPort int) Finding {
	f := Finding{Check: "listeners"}
	rep, err := serve.Check(ctx, serve.Options{Source: src, DNS: serve.DNSOptions{Port: dnsPort}})
	if err != nil {
		f.Status, f.Message = StatusFail, err.Error()
		return f
	}
	// As root, serve puts addresses that are not local yet on lo before it
	// binds them; doctor changes nothing, so it only counts them.
	var added int
	if os.Geteuid() == 0 {
		kept := rep.Errors[:0:0]
		for _, e := range rep.Errors {
			if strings.Contains(e, "cannot assign requested address") {
				added++
				continue
			}
			kept = append(kept, e)
		}
		rep.Errors = kept
	}
	note := ""
	if added > 0 {
		note = fmt.Sprintf("; %d addresses are not on lo yet: serve (as root) adds them", added)
	}
	if len(rep.Errors) > 0 {
		f.Status = StatusFail
		n := len(rep.Errors)
		f.Message = fmt.Sprintf("%d %s cannot be bound:\n%s", n, map[bool]string{true: "listener", false: "listeners"}[n == 1], strings.Join(rep.Errors, "\n"))
		f.Fix = "do what each line says: stop the process named (another plink serve or demo?), " +
			"choose other ports (--dns-port), or plink serve --keep-going to serve the rest"
		return f
	}
	f.Status = StatusOK
	// rep.DNS has a "udp" and a "tcp" line per address.
	n := len(rep.DNS) / 2
	f.Message = fmt.Sprintf("all %d listeners and DNS on %d %s can be bound%s", len(rep.Listeners), n, map[bool]string{true: "address", false: "addresses"}[n == 1], note)
	return f
}

// checkFileLimit: every listener is a file descriptor.
func checkFileLimit(snap *snapshot.Snapshot) Finding {
	f := Finding{Check: "open-files"}
	wanted, budget, limit, mode := serve.ListenerNeeds(snap)
	sockets := "listening sockets" // a socket per address and port, or per port with sk_lookup
	if wanted == 1 {
		sockets = "listening socket"
	}
	switch {
	case budget < 0:
		f.Status, f.Message = StatusOK, fmt.Sprintf("%d %s wanted (listen mode %s); open file limit %s", wanted, sockets, mode, limit)
	case wanted > budget:
		f.Status = StatusFail
		f.Message = fmt.Sprintf("the store asks for %d %s (listen mode %s) but the open file limit (%s) leaves room for %d", wanted, sockets, mode, limit, budget)
		f.Fix = "raise the hard limit (ulimit -Hn, /etc/security/limits.conf, LimitNOFILE= in a systemd unit) or serve fewer endpoints"
	default:
		f.Status, f.Message = StatusOK, fmt.Sprintf("%d %s wanted (listen mode %s); the open file limit (%s) leaves room for %d", wanted, sockets, mode, limit, budget)
	}
	return f
}

// checkGraphviz: plink graph -o svg runs dot.
func checkGraphviz() Finding {
	if p, err := exec.LookPath("dot"); err == nil {
		return Finding{Check: "graphviz", Status: StatusOK, Message: "dot found at " + p + " (plink graph -o svg)"}
	}
	return Finding{Check: "graphviz", Status: StatusInfo, Message: "Graphviz dot not found: plink graph -o svg needs it (dot and mermaid output do not)",
		Fix: "install Graphviz (apt install graphviz, dnf install graphviz, brew install graphviz)"}
}

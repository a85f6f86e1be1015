package demo

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/serve"
	"github.com/plink-dev/plink/internal/store"
)

// NewCmdDemo builds `plink demo`.
func NewCmdDemo(f *cmdutil.Factory) *cobra.Command {
	var dnsPort, port int
	var keep bool
	var readyFile string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Build a provider and a consumer in a throwaway store and serve them",
		Long: `Build the whole PrivateLink story in a throwaway store and serve it:
a provider account (111111111111) with plink's built-in HTTP backend behind a
Network Load Balancer (PROXY protocol v2 on), an endpoint service that requires
acceptance, the consumer account (222222222222) allowed, its endpoint accepted.
Then serve in the foreground and, once every listener is bound, print the
curl and dig lines to try. Ctrl-C stops it (a second Ctrl-C at once) and
removes the store (unless --keep). --ready-file writes only a file plink
creates, as plink serve does.

Each demo store puts its endpoint on the same addresses, so a second demo
on one machine cannot bind them: it exits 255 naming the process that
holds each address (the first demo) and serves nothing; give it other
ports (--port, --dns-port) to run both.

The plink commands it prints name this binary: "plink" when that is the
plink on your PATH, else its full path (go run builds a binary that is
deleted when it exits: 'go install ./cmd/plink' puts plink on your PATH).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if port < 0 || port > 65535 {
				return &cmdutil.UsageError{Err: fmt.Errorf("--port must be a port from 1 to 65535 (0: the default), not %d", port)}
			}
			if dnsPort < 0 || dnsPort > 65535 {
				return &cmdutil.UsageError{Err: fmt.Errorf("--dns-port must be a port from 1 to 65535 (0: the default), not %d", dnsPort)}
			}
			if readyFile != "" {
				// Refused before anything is built; serve claims it again.
				if _, err := serve.ClaimReadyFile(readyFile); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			log := f.Logger("text", slog.LevelInfo)
			dir, err := os.MkdirTemp("", "plink-demo-")
			if err != nil {
				return err
			}
			if !keep {
				defer os.RemoveAll(dir)
			}
			st, err := store.Open(ctx, filepath.Join(dir, "plink.db"))
			if err != nil {
				return err
			}
			defer st.Close()

			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			backend := serve.NewBackend("demo-backend", log)
			go backend.Serve(ln)
			defer backend.Close()

			if port == 0 {
				port = 8080
				if os.Geteuid() == 0 {
					port = 80
				}
			}
			if dnsPort == 0 {
				dnsPort = 5300
				if os.Geteuid() == 0 {
					dnsPort = 53
				}
			}
			topo, err := Setup(ctx, st, netip.MustParseAddrPort(ln.Addr().String()), port)
			if err != nil {
				return err
			}
			db := filepath.Join(dir, "plink.db")
			plink, note := plinkCommand()
			// The guide is printed only once everything is bound: a demo
			// that cannot listen must not point at addresses another
			// process (a first demo) answers on.
			srv := serve.New(serve.Options{Source: st, Logger: log, Grace: 2 * time.Second, ReadyFile: readyFile,
				DNS: serve.DNSOptions{Port: dnsPort}, ManageAddresses: os.Geteuid() == 0,
				Store:     serve.StoreInfo{Path: db, State: "the demo's own (throwaway)"},
				OnServing: func(serve.ReadyInfo) { printGuide(f, topo, db, dnsPort, plink, note) }})
			err = srv.RunUntilSignal(ctx)
			var start *serve.StartError
			if errors.As(err, &start) {
				return startError(start, plink, port, dnsPort)
			}
			return err
		},
	}
	cmd.Flags().IntVar(&port, "port", 0, "the NLB listener port (default 80 as root, else 8080)")
	cmd.Flags().IntVar(&dnsPort, "dns-port", 0, "DNS port on the VPC resolvers (default 53 as root, else 5300)")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the demo store after exit (its path is printed)")
	cmd.Flags().StringVar(&readyFile, "ready-file", "", "write the bound addresses as JSON here once serving")
	return cmd
}

// startError is what a demo that could not bind says: the listeners and
// who holds them, and the demo's own remedies (serve's --db and
// --keep-going mean nothing to a demo, whose store is its own).
func startError(e *serve.StartError, plink string, port, dnsPort int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "demo did not start: %d of its listeners could not be bound; nothing is served:", len(e.Errors))
	for _, msg := range e.Errors {
		b.WriteString("\n  " + msg)
	}
	fmt.Fprintf(&b, "\nanother plink demo or serve on this machine? stop it (plink doctor lists what holds which port), "+
		"or run this demo on other ports: %s demo --port %d --dns-port %d", plink, port+1, dnsPort+1)
	return errors.New(b.String())
}

// plinkCommand is how the printed commands name plink: "plink" when the
// plink on PATH is this binary, else this binary's path (under go run, a
// temporary file that lives as long as the demo runs), with a note on
// installing plink.
func plinkCommand() (cmd, note string) {
	self, err := os.Executable()
	if err != nil {
		return "plink", ""
	}
	if onPath, err := exec.LookPath("plink"); err == nil && sameFile(onPath, self) {
		return "plink", ""
	}
	note = "the plink on your PATH (if any) is not this binary: these name it by its path"
	if strings.Contains(self, string(filepath.Separator)+"go-build") {
		// go run deletes its binary when the demo exits.
		note = "these name the binary go run built (plink on your PATH, if any, is another), which is\n" +
			"deleted when the demo exits. To run them later, install plink: go install ./cmd/plink\n" +
			"(from a clone) or go install github.com/plink-dev/plink/cmd/plink@latest"
	}
	return shellQuote(self), note
}

func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// shellQuote quotes a path for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == '+' || r == ':' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func printGuide(f *cmdutil.Factory, t *Topology, db string, dnsPort int, plink, note string) {
	w := f.IO.ErrOut
	portSuffix := ""
	if t.ListenerPort != 80 {
		portSuffix = fmt.Sprintf(":%d", t.ListenerPort)
	}
	digPort := ""
	if dnsPort != 53 {
		digPort = fmt.Sprintf(" -p %d", dnsPort)
	}
	var addrs []string
	for _, a := range t.ENIAddrs {
		addrs = append(addrs, a.String())
	}
	fmt.Fprintf(w, `
plink demo: provider 111111111111 publishes %s
            consumer 222222222222 has endpoint %s (accepted)
            endpoint addresses: %s

Try, in another terminal:

  # the provider's backend, through the endpoint; it shows the PROXY v2 header with the endpoint ID
  curl -s http://%s%s/

  # the endpoint's DNS names, from the consumer VPC's resolver
  dig @%s%s %s +short
  dig @%s%s %s +short
  curl -s --resolve %s:%d:%s http://%s%s/

  # the store, as either account%s
  %s --db %s --account 222222222222 describe-endpoints -o table
  %s --db %s --account 111111111111 describe-endpoint-connections -o table
  %s --db %s --account 111111111111 describe-target-health --target-group-arn $(%s --db %s --account 111111111111 describe-target-groups --query 'TargetGroups[0].TargetGroupArn' -o text)

Serving; Ctrl-C to stop.

`, t.ServiceName, t.EndpointID, strings.Join(addrs, ", "),
		t.ENIAddrs[0], portSuffix,
		t.Resolver, digPort, t.RegionalName,
		t.Resolver, digPort, t.ZonalNames[0],
		t.RegionalName, t.ListenerPort, t.ENIAddrs[0], t.RegionalName, portSuffix,
		noteLine(note), plink, db, plink, db, plink, db, plink, db)
}

// noteLine is note as shell comment lines, or nothing.
func noteLine(note string) string {
	if note == "" {
		return ""
	}
	return "\n  # " + strings.ReplaceAll(note, "\n", "\n  # ")
}

package demo

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
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
Then serve in the foreground and print the curl and dig lines to try.
Ctrl-C stops it (a second Ctrl-C at once) and removes the store (unless
--keep). --ready-file writes only a file plink creates, as plink serve does.`,
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
			printGuide(f, topo, filepath.Join(dir, "plink.db"), dnsPort)

			srv := serve.New(serve.Options{Source: st, Logger: log, Grace: 2 * time.Second, ReadyFile: readyFile,
				DNS: serve.DNSOptions{Port: dnsPort}, ManageAddresses: os.Geteuid() == 0})
			return srv.RunUntilSignal(ctx)
		},
	}
	cmd.Flags().IntVar(&port, "port", 0, "the NLB listener port (default 80 as root, else 8080)")
	cmd.Flags().IntVar(&dnsPort, "dns-port", 0, "DNS port on the VPC resolvers (default 53 as root, else 5300)")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the demo store after exit (its path is printed)")
	cmd.Flags().StringVar(&readyFile, "ready-file", "", "write the bound addresses as JSON here once serving")
	return cmd
}

func printGuide(f *cmdutil.Factory, t *Topology, db string, dnsPort int) {
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

  # the store, as either account
  plink --db %s --account 222222222222 describe-endpoints -o table
  plink --db %s --account 111111111111 describe-endpoint-connections -o table
  plink --db %s --account 111111111111 describe-target-health --target-group-arn $(plink --db %s --account 111111111111 describe-target-groups --query 'TargetGroups[0].TargetGroupArn' -o text)

Serving; Ctrl-C to stop.

`, t.ServiceName, t.EndpointID, strings.Join(addrs, ", "),
		t.ENIAddrs[0], portSuffix,
		t.Resolver, digPort, t.RegionalName,
		t.Resolver, digPort, t.ZonalNames[0],
		t.RegionalName, t.ListenerPort, t.ENIAddrs[0], t.RegionalName, portSuffix,
		db, db, db, db)
}

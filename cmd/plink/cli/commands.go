package cli

import (
	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/cmd/plink/cli/demo"
	"github.com/plink-dev/plink/cmd/plink/cli/endpoint"
	"github.com/plink-dev/plink/cmd/plink/cli/lb"
	"github.com/plink-dev/plink/cmd/plink/cli/serve"
	"github.com/plink-dev/plink/cmd/plink/cli/service"
	"github.com/plink-dev/plink/cmd/plink/cli/vpc"
)

// commands lists every top-level command, noun by noun.
func commands(f *cmdutil.Factory) []*cobra.Command {
	var cmds []*cobra.Command
	cmds = append(cmds, vpc.Commands(f)...)
	cmds = append(cmds, lb.Commands(f)...)
	cmds = append(cmds, service.Commands(f)...)
	cmds = append(cmds, endpoint.Commands(f)...)
	cmds = append(cmds, serve.NewCmdServe(f), serve.NewCmdBackend(f), demo.NewCmdDemo(f))
	cmds = append(cmds, newVersion(f))
	return cmds
}

package cli

import (
	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/apply"
	"github.com/plink-dev/plink/cmd/plink/cli/awscli"
	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/cmd/plink/cli/demo"
	"github.com/plink-dev/plink/cmd/plink/cli/doctor"
	"github.com/plink-dev/plink/cmd/plink/cli/events"
	"github.com/plink-dev/plink/cmd/plink/cli/get"
	"github.com/plink-dev/plink/cmd/plink/cli/graph"
	"github.com/plink-dev/plink/cmd/plink/cli/man"
	"github.com/plink-dev/plink/cmd/plink/cli/serve"
	"github.com/plink-dev/plink/cmd/plink/cli/wait"
)

// commands lists every top-level command: the AWS actions, generated from
// their descriptions (awscli), then plink's own.
func commands(f *cmdutil.Factory) []*cobra.Command {
	cmds := awscli.Commands(f)
	cmds = append(cmds, events.NewCmdEvents(f), serve.NewCmdServe(f), serve.NewCmdAPI(f), serve.NewCmdBackend(f), demo.NewCmdDemo(f))
	cmds = append(cmds, apply.NewCmdApply(f), apply.NewCmdDelete(f))
	cmds = append(cmds, doctor.NewCmdDoctor(f))
	cmds = append(cmds, get.NewCmdGet(f), wait.NewCmdWait(f))
	cmds = append(cmds, newVersion(f))
	cmds = append(cmds, man.NewCmdMan(f), graph.NewCmdGraph(f))
	return cmds
}

package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/version"
)

func newVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print plink's version (-o json for the details)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out, _ := cmd.Flags().GetString("output"); out != "" {
				return f.Print(version.Info(), nil)
			}
			fmt.Fprintln(f.IO.Out, "plink", version.String())
			return nil
		},
	}
}

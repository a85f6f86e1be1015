// Package man is `plink man DIR`: a man page for every command of the
// tree, written by cobra's doc package, for packagers (goreleaser runs it
// before a release) and for `man -l`.
package man

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/version"
)

// Options are plink man's.
type Options struct {
	F    *cmdutil.Factory
	Dir  string
	Root *cobra.Command
}

// NewCmdMan builds the command.
func NewCmdMan(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "Write a man page for every command into DIR (section 1)",
		Long: `Write a man page for every command into DIR, made (with its parents) if
missing: plink.1, plink-describe-endpoints.1, plink-ec2-describe-vpc-endpoints.1
and so on, one per command, each with the command's options and examples.
The date in the pages is today's, or $SOURCE_DATE_EPOCH's for a reproducible
build. Read one with 'man -l DIR/plink-serve.1', or put DIR on MANPATH
(MANPATH=DIR: man plink).`,
		Args: oneDir,
		RunE: func(cmd *cobra.Command, args []string) error {
			return manRun(&Options{F: f, Dir: args[0], Root: cmd.Root()})
		},
	}
}

// oneDir says what DIR is when it is missing, or when there is more than one.
func oneDir(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return &cmdutil.UsageError{Err: fmt.Errorf("man takes one DIR, the folder to write the man pages into (plink man ./man), not %d arguments", len(args))}
	}
	return nil
}

func manRun(opts *Options) error {
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return fmt.Errorf("making the man page folder: %w", err)
	}
	// The pages are the same whenever they are made, bar the date.
	opts.Root.DisableAutoGenTag = true
	header := &doc.GenManHeader{
		Title:   "PLINK",
		Section: "1",
		Source:  "plink " + version.String(),
		Manual:  "plink manual",
	}
	if err := doc.GenManTree(opts.Root, header, opts.Dir); err != nil {
		return fmt.Errorf("writing man pages into %s: %w", opts.Dir, err)
	}
	pages, err := filepath.Glob(filepath.Join(opts.Dir, "*.1"))
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.F.IO.ErrOut, "wrote %d man pages into %s; read one with: man -l %s\n",
		len(pages), opts.Dir, filepath.Join(opts.Dir, "plink.1"))
	return nil
}

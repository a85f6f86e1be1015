package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/iostreams"
)

// TestManPages: plink man writes one page per command (hidden ones
// aside), each valid roff with its name, synopsis and examples, and man
// renders them when it is installed.
func TestManPages(t *testing.T) {
	dir := t.TempDir()
	io, _, _, errOut := iostreams.Test()
	if code := Run([]string{"man", dir}, io); code != 0 {
		t.Fatalf("plink man: exit %d: %s", code, errOut)
	}
	root := NewCmdRoot(cmdutil.New(io))
	var walk func(c *cobra.Command)
	pages := 0
	walk = func(c *cobra.Command) {
		if !c.IsAvailableCommand() && c != root {
			return
		}
		pages++
		name := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1"
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: no man page: %v", c.CommandPath(), err)
			return
		}
		page := string(b)
		for _, want := range []string{".TH \"PLINK\" \"1\"", ".SH NAME", ".SH SYNOPSIS"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		if c.Example != "" && !strings.Contains(page, ".SH EXAMPLE") {
			t.Errorf("%s lacks its examples", name)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if !strings.Contains(errOut.String(), "man pages into") {
		t.Errorf("plink man says nothing of what it wrote: %q", errOut)
	}
	if _, err := exec.LookPath("man"); err != nil {
		t.Logf("%d pages checked; man is not installed, so they are not rendered", pages)
		return
	}
	out, err := exec.Command("man", "-l", filepath.Join(dir, "plink-create-endpoint.1")).CombinedOutput()
	if err != nil {
		t.Fatalf("man -l: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "EXAMPLE") || !strings.Contains(string(out), "--service-name") {
		t.Errorf("man -l renders no examples or options:\n%s", out)
	}
}

package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/plink-dev/plink/internal/iostreams"
)

// completionFiles maps each shell to its committed script under completions/.
var completionFiles = map[string]string{"bash": "plink.bash", "zsh": "_plink", "fish": "plink.fish", "powershell": "plink.ps1"}

// TestCompletionsUpToDate fails when the committed completion scripts differ
// from what the binary generates. Refresh them with:
//
//	go test ./cmd/plink/cli -run TestCompletionsUpToDate -update
func TestCompletionsUpToDate(t *testing.T) {
	for shell, file := range completionFiles {
		t.Run(shell, func(t *testing.T) {
			io, _, out, errOut := iostreams.Test()
			if code := Run([]string{"completion", shell}, io); code != 0 {
				t.Fatalf("plink completion %s: exit %d: %s", shell, code, errOut)
			}
			path := filepath.Join("..", "..", "..", "completions", file)
			if *update {
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (generate it with -update)", err)
			}
			if string(want) != out.String() {
				t.Fatalf("completions/%s is stale: run go test ./cmd/plink/cli -run TestCompletionsUpToDate -update", file)
			}
		})
	}
}

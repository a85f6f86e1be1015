//go:build ignore

// gen writes examples_gen.go from the scripts' marked examples; run it
// with `go generate ./cmd/plink/cli/examples`.
package main

import (
	"fmt"
	"os"

	"github.com/plink-dev/plink/cmd/plink/cli/examples"
)

func main() {
	src, err := examples.Generate("../../testdata/script")
	if err != nil {
		fmt.Fprintln(os.Stderr, "examples:", err)
		os.Exit(1)
	}
	if err := os.WriteFile("examples_gen.go", src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "examples:", err)
		os.Exit(1)
	}
}

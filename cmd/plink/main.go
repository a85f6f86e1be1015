// Command plink is AWS PrivateLink on one machine. See README.md.
package main

import (
	"os"

	"github.com/plink-dev/plink/cmd/plink/cli"
)

func main() { os.Exit(cli.Main()) }

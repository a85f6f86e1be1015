// Command ldflags prints what package version reports; TestLdflags builds it
// with the release ldflags.
package main

import (
	"fmt"

	"github.com/plink-dev/plink/internal/version"
)

func main() {
	i := version.Info()
	fmt.Println(version.String(), i["Commit"], i["Date"])
}

package netstack

import (
	"os"
	"testing"
)

// TestMain runs the package's tests in the listen mode PLINK_LISTEN_MODE
// names (default auto: sk-lookup as root on Linux, else per-address), so
// scripts/test runs them in both.
func TestMain(m *testing.M) {
	if mode := os.Getenv("PLINK_LISTEN_MODE"); mode != "" {
		defaultListenMode = mode
	}
	os.Exit(m.Run())
}

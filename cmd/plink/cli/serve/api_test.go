package serve

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAPIAddr(t *testing.T) {
	for in, want := range map[string]string{"4566": "127.0.0.1:4566", ":4566": "127.0.0.1:4566",
		"0.0.0.0:4566": "0.0.0.0:4566", "127.0.0.1:0": "127.0.0.1:0", "[::1]:4566": "[::1]:4566"} {
		if got := apiAddr(in); got != want {
			t.Errorf("apiAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAPICommand runs `plink api` on a real store and listener: the ready
// file names the address, an anonymous request runs as the configured
// account, a signed one as its key's account, and a cancel stops it.
func TestAPICommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PLINK_DB", filepath.Join(dir, "p.db"))
	t.Setenv("PLINK_ACCOUNT", "444444444444")
	t.Setenv("XDG_CONFIG_HOME", dir)
	ready := filepath.Join(dir, "api.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := NewCmdAPI(testFactory())
	cmd.SetArgs([]string{"--addr", "127.0.0.1:0", "--ready-file", ready, "--allow-anonymous", "--log-level", "warn"})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	var info struct {
		API string `json:"api"`
		PID int    `json:"pid"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(ready)
		if err == nil && json.Unmarshal(b, &info) == nil && info.API != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no ready file")
		}
		time.Sleep(5 * time.Millisecond)
	}
	get := func(authz string) string {
		req, _ := http.NewRequest(http.MethodGet, "http://"+info.API+"/?Action=GetCallerIdentity&Version=2011-06-15", nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if b := get(""); !strings.Contains(b, "<Account>444444444444</Account>") {
		t.Errorf("anonymous: %s", b)
	}
	if b := get("AWS4-HMAC-SHA256 Credential=111111111111/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00"); !strings.Contains(b, "<Account>111111111111</Account>") {
		t.Errorf("signed: %s", b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("api = %v", err)
	}
	if _, err := os.Stat(ready); !os.IsNotExist(err) {
		t.Errorf("ready file left behind: %v", err)
	}
}

package serve

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/internal/iostreams"
)

func testFactory() *cmdutil.Factory {
	io, _, _, _ := iostreams.Test()
	return cmdutil.New(io)
}

func TestServeFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    ServeOptions
		wantErr bool
	}{
		{"defaults", nil, ServeOptions{Grace: 10 * time.Second, LogFormat: "text", LogLevel: "info", DNSPort: 53, ZoneTimeout: 5 * time.Second}, false},
		{"all flags", []string{"--ready-file", "/tmp/r.json", "--grace", "2s", "--log-format", "json", "--log-level", "debug",
			"--metrics-addr", "127.0.0.1:0", "--check", "--dns-port", "5300", "--dns-addr", "127.0.0.1:5353",
			"--dns-upstream", "127.0.0.1:53", "--no-dns", "--engine", "goroutines"},
			ServeOptions{ReadyFile: "/tmp/r.json", Grace: 2 * time.Second, LogFormat: "json", LogLevel: "debug",
				MetricsAddr: "127.0.0.1:0", Check: true, DNSPort: 5300, DNSAddr: "127.0.0.1:5353", DNSUpstream: "127.0.0.1:53", NoDNS: true,
				Engine: "goroutines", ZoneTimeout: 5 * time.Second}, false},
		{"zones", []string{"--zones", "us-east-1b,us-east-1a", "--zones", "us-east-1a", "--zone-timeout", "3s",
			"--interface", "eth0", "--host-addr", "10.200.0.1"},
			ServeOptions{Grace: 10 * time.Second, LogFormat: "text", LogLevel: "info", DNSPort: 53, ZoneTimeout: 3 * time.Second,
				Zones: []string{"us-east-1a", "us-east-1b"}, Interface: "eth0", HostAddr: "10.200.0.1"}, false},
		{"interface without zones", []string{"--interface", "eth0"}, ServeOptions{}, true},
		{"bad host addr", []string{"--zones", "us-east-1a", "--host-addr", "hostb"}, ServeOptions{}, true},
		{"not a zone", []string{"--zones", "us-east-1z"}, ServeOptions{}, true},
		{"a region is not a zone", []string{"--zones", "us-east-1"}, ServeOptions{}, true},
		{"bad zone timeout", []string{"--zones", "us-east-1a", "--zone-timeout", "0s"}, ServeOptions{}, true},
		{"api", []string{"--api-addr", ":4566", "--allow-anonymous"},
			ServeOptions{Grace: 10 * time.Second, LogFormat: "text", LogLevel: "info", DNSPort: 53, APIAddr: "127.0.0.1:4566", AllowAnonymous: true, ZoneTimeout: 5 * time.Second}, false},
		{"bad api addr", []string{"--api-addr", "nohost:x"}, ServeOptions{}, true},
		{"bad level", []string{"--log-level", "loud"}, ServeOptions{}, true},
		{"bad format", []string{"--log-format", "xml"}, ServeOptions{}, true},
		{"bad engine", []string{"--engine", "io_uring"}, ServeOptions{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got *ServeOptions
			cmd := newCmdServe(testFactory(), func(_ context.Context, _ *cmdutil.Factory, o *ServeOptions) error {
				got = o
				return nil
			})
			cmd.SetArgs(tc.args)
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			var ue *cmdutil.UsageError
			if tc.wantErr {
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(*got, tc.want) {
				t.Fatalf("options = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestBackendCommand(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "backend.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := NewCmdBackend(testFactory())
	cmd.SetArgs([]string{"--listen", "127.0.0.1:0", "--name", "b1", "--ready-file", ready})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	var info struct{ Address string }
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(ready)
		if err == nil && json.Unmarshal(b, &info) == nil && info.Address != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no ready file")
		}
		time.Sleep(5 * time.Millisecond)
	}
	resp, err := http.Get("http://" + info.Address + "/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"backend": "b1"`) || !strings.Contains(string(body), `"proxy": null`) {
		t.Fatalf("body = %s", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("backend = %v", err)
	}
}

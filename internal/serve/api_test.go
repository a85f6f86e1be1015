package serve

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plink-dev/plink/internal/api"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/store"
)

// TestRunServesAPI: with APIAddr, serve answers the AWS API next to the
// data plane, names its address in the ready file, and its metrics are on
// serve's /metrics.
func TestRunServesAPI(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "plink.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ready := filepath.Join(dir, "ready.json")
	s := New(Options{Source: st, ReadyFile: ready, DNS: DNSOptions{Disabled: true}, MetricsAddr: "127.0.0.1:0",
		APIAddr: "127.0.0.1:0", API: func(reg prometheus.Registerer) (http.Handler, error) {
			return api.New(api.Config{Store: st, Registerer: reg, AllowAnonymous: true,
				Anonymous: control.Caller{Account: "555555555555", Region: "us-east-1"}})
		}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, nil) }()
	info := readReady(t, ready, func(i ReadyInfo) bool { return i.API != "" })
	body := func(u string) string {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if b := body("http://" + info.API + "/?Action=GetCallerIdentity&Version=2011-06-15"); !strings.Contains(b, "<Account>555555555555</Account>") {
		t.Errorf("api: %s", b)
	}
	if b := body("http://" + info.Metrics + "/metrics"); !strings.Contains(b, `plink_api_requests_total{action="GetCallerIdentity",code=""} 1`) {
		t.Errorf("metrics lack the API's request count")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}

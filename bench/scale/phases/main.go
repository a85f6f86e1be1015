// Command phases times the parts of `plink serve`'s first apply on a
// store, in one process, ROUNDS times: the store snapshot
// (internal/store), the DNS zones (internal/dns Apply, extra listener on
// 127.0.0.1:0 only), the forwarder's listeners (internal/netstack Apply,
// in the listen mode given), and the ready file's JSON. bench/scale/run.sh
// runs it after the cold starts to say where the time goes.
//
//	phases -db F [-mode sk-lookup|per-address] [-rounds 3]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"time"

	"github.com/plink-dev/plink/internal/dns"
	"github.com/plink-dev/plink/internal/netstack"
	"github.com/plink-dev/plink/internal/store"
)

func main() {
	db := flag.String("db", "", "store path")
	mode := flag.String("mode", netstack.ListenSKLookup, "listen mode")
	rounds := flag.Int("rounds", 3, "rounds")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the forwarder applies to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "phases:", err)
			os.Exit(1)
		}
		profile = f
	}
	if err := run(*db, *mode, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "phases:", err)
		os.Exit(1)
	}
}

// profile, when set, receives a CPU profile of the forwarder applies.
var profile *os.File

func run(db, mode string, rounds int) error {
	if profile != nil {
		defer profile.Close()
	}
	ctx := context.Background()
	st, err := store.OpenReadOnly(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	names := []string{"store snapshot", "DNS apply", "forwarder apply", "ready JSON", "total"}
	took := map[string][]time.Duration{}
	for range rounds {
		runtime.GC()
		t0 := time.Now()
		snap, err := st.Snapshot(ctx)
		if err != nil {
			return err
		}
		t1 := time.Now()
		d := dns.NewServer(dns.Options{Addr: "127.0.0.1:0"})
		for _, e := range d.Apply(snap) {
			return fmt.Errorf("dns: %w", e)
		}
		t2 := time.Now()
		if profile != nil {
			pprof.StartCPUProfile(profile)
		}
		f := netstack.New(netstack.Options{ListenMode: mode})
		if m, err := f.ListenMode(); m != mode {
			return fmt.Errorf("listen mode %s: %v", m, err)
		}
		res := f.Apply(snap)
		t3 := time.Now()
		if profile != nil {
			pprof.StopCPUProfile()
			profile = nil // the first round only
		}
		b, err := json.Marshal(map[string]any{"listeners": res.Listeners})
		if err != nil {
			return err
		}
		t4 := time.Now()
		for name, d := range map[string]time.Duration{names[0]: t1.Sub(t0), names[1]: t2.Sub(t1), names[2]: t3.Sub(t2),
			names[3]: t4.Sub(t3), names[4]: t4.Sub(t0)} {
			took[name] = append(took[name], d)
		}
		fmt.Fprintf(os.Stderr, "phases: %d listeners (%d errors), ready JSON %d kB\n", len(res.Listeners), len(res.Errors), len(b)>>10)
		f.Close()
		d.Close()
	}
	for _, name := range names {
		ds := took[name]
		ds = append([]time.Duration(nil), ds...)
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		fmt.Printf("PHASE %-16s median %7.3f s  rounds", name, ds[len(ds)/2].Seconds())
		for _, d := range took[name] {
			fmt.Printf(" %.3f", d.Seconds())
		}
		fmt.Println()
	}
	return nil
}

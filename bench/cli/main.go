// Command cli times plink's describe commands as a user runs them (one
// process per command, the built binary) on a store of N endpoints against
// the same command on a store of one endpoint:
//
//	cli -plink BIN -big BIG.db -small SMALL.db [-rounds 15]
//
// Both stores are made by bench/dataplane/setup (bench/cli/run.sh does
// it); the commands run as its consumer account (222222222222):
//
//	single  ec2 describe-vpc-endpoints --vpc-endpoint-ids X
//	page    ec2 describe-vpc-endpoints --max-results 100
//	walk    ec2 describe-vpc-endpoints --page-size 1000   (every page)
//
// Each round runs every command once on each store, interleaved (the
// order of the two stores alternates from round to round), so the noise of
// a shared machine falls on both alike. It prints every round, then each
// command's median wall time on both stores, the median of the per-round
// ratios big/small, and the goals (single-ID ratio <= 1.5; single-resource
// commands <= 30 ms median).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"
)

const consumer = "222222222222"

type store struct{ name, db, id string }

type command struct {
	name string
	args func(s store) []string
}

var commands = []command{
	{"single", func(s store) []string {
		return []string{"ec2", "describe-vpc-endpoints", "--vpc-endpoint-ids", s.id}
	}},
	{"page", func(store) []string { return []string{"ec2", "describe-vpc-endpoints", "--max-results", "100"} }},
	{"walk", func(store) []string { return []string{"ec2", "describe-vpc-endpoints", "--page-size", "1000"} }},
}

var plink string

func main() {
	big := flag.String("big", "", "store of N endpoints")
	small := flag.String("small", "", "store of one endpoint")
	rounds := flag.Int("rounds", 15, "rounds")
	flag.StringVar(&plink, "plink", "plink", "the plink binary")
	flag.Parse()
	if *big == "" || *small == "" {
		fmt.Fprintln(os.Stderr, "usage: cli -plink BIN -big BIG.db -small SMALL.db [-rounds N]")
		os.Exit(2)
	}
	stores := []store{{name: "big", db: *big}, {name: "small", db: *small}}
	for i := range stores {
		s := &stores[i]
		n := strings.TrimSpace(string(must(run(*s, "ec2", "describe-vpc-endpoints", "--query", "length(VpcEndpoints)", "--output", "text"))))
		// The single-ID describe asks for an endpoint in the middle of the
		// store (a page's worth in: not the first row).
		s.id = strings.TrimSpace(string(must(run(*s, "ec2", "describe-vpc-endpoints", "--max-items", "51", "--query", "VpcEndpoints[50].VpcEndpointId || VpcEndpoints[0].VpcEndpointId", "--output", "text"))))
		fmt.Printf("store %-5s %s: %s endpoints, single-ID describe of %s\n", s.name, s.db, n, s.id)
	}
	// One warm-up round (page cache, binary) that is not counted.
	for _, c := range commands {
		for _, s := range stores {
			must(run(s, c.args(s)...))
		}
	}
	times := map[string]map[string][]time.Duration{}
	for _, c := range commands {
		times[c.name] = map[string][]time.Duration{}
	}
	for r := 0; r < *rounds; r++ {
		order := stores
		if r%2 == 1 {
			order = []store{stores[1], stores[0]}
		}
		var line []string
		for _, c := range commands {
			for _, s := range order {
				t0 := time.Now()
				must(run(s, c.args(s)...))
				d := time.Since(t0)
				times[c.name][s.name] = append(times[c.name][s.name], d)
			}
			b, sm := times[c.name]["big"][r], times[c.name]["small"][r]
			line = append(line, fmt.Sprintf("%s %s/%s=%.2f", c.name, ms(b), ms(sm), float64(b)/float64(sm)))
		}
		fmt.Printf("round %2d: %s\n", r+1, strings.Join(line, "  "))
	}
	fmt.Printf("\n%-8s %12s %12s %10s %18s\n", "command", "big median", "small median", "ratio", "ratio min..max")
	for _, c := range commands {
		b, sm := times[c.name]["big"], times[c.name]["small"]
		var ratios []float64
		for i := range b {
			ratios = append(ratios, float64(b[i])/float64(sm[i]))
		}
		sort.Float64s(ratios)
		fmt.Printf("%-8s %12s %12s %10.2f %8.2f..%.2f\n", c.name, ms(median(b)), ms(median(sm)), ratios[len(ratios)/2], ratios[0], ratios[len(ratios)-1])
	}
	sb, ss := median(times["single"]["big"]), median(times["single"]["small"])
	var ratios []float64
	for i := range times["single"]["big"] {
		ratios = append(ratios, float64(times["single"]["big"][i])/float64(times["single"]["small"][i]))
	}
	sort.Float64s(ratios)
	fmt.Printf("\ngoal single-ID ratio <= 1.5: %.2f %s\n", ratios[len(ratios)/2], ok(ratios[len(ratios)/2] <= 1.5))
	fmt.Printf("goal single-resource median <= 30 ms: big %s, small %s %s\n", ms(sb), ms(ss), ok(sb <= 30*time.Millisecond && ss <= 30*time.Millisecond))
}

// run runs plink on s as the consumer and returns its stdout.
func run(s store, args ...string) ([]byte, error) {
	cmd := exec.Command(plink, args...)
	cmd.Env = append(os.Environ(), "PLINK_DB="+s.db, "PLINK_ACCOUNT="+consumer, "PLINK_REGION=us-east-1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("plink %s (%s): %v: %s", strings.Join(args, " "), s.name, err, errb.String())
	}
	return out.Bytes(), nil
}

func must(b []byte, err error) []byte {
	if err != nil {
		fmt.Fprintln(os.Stderr, "cli:", err)
		os.Exit(1)
	}
	return b
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

func ok(b bool) string {
	if b {
		return "(met)"
	}
	return "(MISSED)"
}

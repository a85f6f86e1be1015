#!/usr/bin/env bash
# Every figure of issue 13 (performance) in one run, each measured in the
# same run as its peer: the benchmark scripts one after the other, their
# tables gathered in one report. About 10 minutes on 2 cores (the first
# run also builds the 10,000- and 50,000-endpoint stores of bench/scale,
# kept for the next: about 4 minutes more).
#
#   bench/all.sh                 # everything; the report on stdout
#   OUT=/tmp/bench bench/all.sh  # also keep every script's full output there
#
#   1. short connections: MODE=short bench/dataplane/run.sh (c=1 and c=32,
#      64-byte echo, one connection per request; plink with PROXY v2 off
#      and on against HAProxy with and without a source address)
#   2. bulk: MODE=bulk bench/dataplane/run.sh (iperf3 -P 1 and -P 4:
#      direct, plink, HAProxy; CPU per Gbit/s of client, target and proxy)
#   3. DNS: bench/dns/run.sh (dnsperf against plink and knotd, same names)
#   4. scale: bench/scale/run.sh (10,000 and 50,000 endpoints in one serve)
#   5. a change live: bench/changes/run.sh (commit -> live at 100 and
#      10,000 endpoints, memory over 1,000 changes)
#
# The machine must be otherwise idle: every script shares its two cores
# between the load, the server under test and its peer. Each script's
# knobs pass through (ROUNDS, SHORT_T, DURATION, ...; see each script).
# Needs root (sk_lookup, addresses on lo) and the Debian packages each
# script names: iperf3 haproxy jq dnsperf knot bind9-dnsutils.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"

# One plink build for every script.
(cd "$root" && go build -o "$out/plink" ./cmd/plink)
export PLINK=$out/plink

run() {
	local name=$1
	shift
	echo "== $name: $*" >&2
	local t0=$SECONDS
	if ! env "$@" >"$out/$name.md" 2>"$out/$name.log"; then
		echo "bench/all.sh: $name failed; its log: $out/$name.log" >&2
		tail -20 "$out/$name.log" >&2
		exit 1
	fi
	echo "== $name: done in $((SECONDS - t0)) s" >&2
}

run short MODE=short ROUNDS="${ROUNDS:-5}" "$root/bench/dataplane/run.sh"
run bulk MODE=bulk ROUNDS="${ROUNDS:-5}" "$root/bench/dataplane/run.sh"
run dns "$root/bench/dns/run.sh"
run scale "$root/bench/scale/run.sh"
run changes "$root/bench/changes/run.sh"

for name in short bulk dns scale changes; do
	echo "# $name"
	echo
	cat "$out/$name.md"
	echo
done
[[ -n ${OUT:-} ]] || rm -rf "$out"

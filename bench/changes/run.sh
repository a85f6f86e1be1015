#!/usr/bin/env bash
# How fast a running `plink serve` makes a change of its store live, and
# whether its memory stays flat over many changes (issue 13's Scale goals:
# a change live in <= 50 ms at 10,000 endpoints; memory flat over 1,000
# changes).
#
# For each store size in SIZES (default "100 10000" available endpoints,
# built through internal/control by bench/dataplane/setup), it starts
# `plink serve` (DNS on an extra 127.0.0.1 listener), then makes CHANGES
# changes through internal/control with bench/changes, in a cycle of four:
# create an endpoint (live: the ready file at the commit's revision, a
# connect to its address succeeds, its DNS name answers), authorize and
# revoke a security group rule (live: the ready file at the revision),
# delete the endpoint (live: the revision, a connect refused). Each change
# is timed from the commit to live; VmRSS and VmHWM of serve are read
# every SAMPLE changes.
#
#   bench/changes/run.sh                          # ~3 min
#   SIZES=10000 CHANGES=200 bench/changes/run.sh
#
# Environment: SIZES, CHANGES (default 1000, a multiple of 4), SAMPLE
# (default 100), PLINK (a prebuilt plink), KEEP=1.
# Needs go and jq. Every process started here is ended by PID.
set -euo pipefail

SIZES=${SIZES:-100 10000}
CHANGES=${CHANGES:-1000}
SAMPLE=${SAMPLE:-100}

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	if [[ ${KEEP:-0} == 1 ]]; then echo "work folder: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"
log() { echo "== $*" >&2; }

cd "$root"
plink=${PLINK:-}
if [[ -z $plink ]]; then
	plink=$work/plink
	go build -o "$plink" ./cmd/plink
fi
go build -o "$work/setup" ./bench/dataplane/setup
go build -o "$work/changes" ./bench/changes
go build -o "$work/connrate" ./bench/dataplane/connrate

# serve NAME BINARY DB: start plink serve on DB; sets serve_pid, dns_addr.
serve() {
	local name=$1 bin=$2 db=$3 dport
	dport=$("$work/connrate" port)
	dns_addr=127.0.0.1:$dport
	"$bin" serve --db "$db" --ready-file "$work/$name.ready" --dns-port 0 --dns-addr "$dns_addr" \
		--log-level warn >"$work/serve-$name.log" 2>&1 &
	serve_pid=$!
	pids+=("$serve_pid")
}

# stop PID: end one process started here.
stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# field N LINE: the Nth field of a RESULT line.
field() { awk -v n="$1" '{print $(n+1)}' <<<"$2"; }

rows=()
for n in $SIZES; do
	lport=$("$work/connrate" port)
	log "store: $n available endpoints"
	"$work/setup" build -db "$work/s$n.db" -n "$n" -port "$lport:127.0.0.1:9" >/dev/null 2>"$work/setup-$n.log"
	serve "a$n" "$plink" "$work/s$n.db"
	"$work/setup" wait -ready "$work/a$n.ready" -want "$n" -since "$(date +%s%N)" -timeout 120s >/dev/null
	log "serve up with $n endpoints; $CHANGES changes"
	out=$("$work/changes" -db "$work/s$n.db" -ready "$work/a$n.ready" -dns "$dns_addr" -port "$lport" \
		-changes "$CHANGES" -sample "$SAMPLE" 2>"$work/changes-a$n.log")
	echo "$out" >&2
	cat "$work/changes-a$n.log" >&2
	stop "$serve_pid"
	r=$(grep '^RESULT' <<<"$out")
	mem=$(grep '^memory' <<<"$out" | sed 's/^memory VmRSS MB every [0-9]* changes: //')
	rows+=("| $n | $CHANGES | $(field 1 "$r") | $(field 2 "$r") | $(field 3 "$r") | $mem |")
done

echo
echo "Goals: a change live in <= 50 ms at 10,000 endpoints; memory flat over 1,000 changes."
echo
echo "| endpoints | changes | p50 (ms) | p90 (ms) | max (ms) | VmRSS (MB) |"
echo "| ---: | --- | ---: | ---: | ---: | --- |"
printf '%s\n' "${rows[@]}"

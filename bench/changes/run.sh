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
# With REV_B (a git revision of this repository, e.g. main), the same
# changes also run against plink built from REV_B, on a store built by
# REV_B's setup: ROUNDS rounds of CHANGES/ROUNDS changes, A (this tree)
# and B interleaved, their order alternating, serve started afresh for
# each (both cannot bind the same endpoint addresses at once); the table
# shows each round's p50 and the ratio B/A (> 1: A is faster).
#
#   bench/changes/run.sh                          # ~3 min
#   SIZES=10000 CHANGES=200 bench/changes/run.sh
#   SIZES=10000 CHANGES=400 ROUNDS=4 REV_B=main bench/changes/run.sh
#
# Environment: SIZES, CHANGES (default 1000, a multiple of 4), SAMPLE
# (default 100), ROUNDS (default 4, with REV_B), REV_B, PLINK (a prebuilt
# plink), KEEP=1.
# Needs go. Every process started here is ended by PID.
set -euo pipefail

SIZES=${SIZES:-100 10000}
CHANGES=${CHANGES:-1000}
SAMPLE=${SAMPLE:-100}
ROUNDS=${ROUNDS:-4}

. "$(dirname "$0")/../lib.sh"

cd "$root"
plink=${PLINK:-}
if [[ -z $plink ]]; then
	plink=$work/plink
	go build -o "$plink" ./cmd/plink
fi
go build -o "$work/setup" ./bench/dataplane/setup
go build -o "$work/changes" ./bench/changes
go build -o "$work/connrate" ./bench/dataplane/connrate
if [[ -n ${REV_B:-} ]]; then
	# B's tree, with this tree's bench/changes if it has none.
	mkdir -p "$work/srcB" "$work/B"
	git archive "$REV_B" | tar -x -C "$work/srcB"
	[[ -d $work/srcB/bench/changes ]] || cp -r bench/changes "$work/srcB/bench/"
	(cd "$work/srcB" && go build -o "$work/B/plink" ./cmd/plink && go build -o "$work/B/setup" ./bench/dataplane/setup &&
		go build -o "$work/B/changes" ./bench/changes)
fi

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

# field N LINE: the Nth field of a RESULT line.
field() { awk -v n="$1" '{print $(n+1)}' <<<"$2"; }

rows=()
for n in $SIZES; do
	lport=$("$work/connrate" port)
	log "store: $n available endpoints"
	"$work/setup" build -db "$work/s$n.db" -n "$n" -port "$lport:127.0.0.1:9" >/dev/null 2>"$work/setup-$n.log"
	if [[ -n ${REV_B:-} ]]; then
		"$work/B/setup" build -db "$work/b$n.db" -n "$n" -port "$lport:127.0.0.1:9" >/dev/null 2>>"$work/setup-$n.log"
		per=$((CHANGES / ROUNDS / 4 * 4))
		ratios=() pa=() pb=()
		for ((r = 0; r < ROUNDS; r++)); do
			order="a b"
			((r % 2)) && order="b a"
			for who in $order; do
				if [[ $who == a ]]; then bin=$plink db=$work/s$n.db drv=$work/changes; else bin=$work/B/plink db=$work/b$n.db drv=$work/B/changes; fi
				rm -f "$work/$who$n.ready"
				serve "$who$n" "$bin" "$db"
				"$work/setup" wait -ready "$work/$who$n.ready" -want "$n" -since "$(date +%s%N)" -timeout 120s >/dev/null
				out=$("$drv" -db "$db" -ready "$work/$who$n.ready" -dns "$dns_addr" -port "$lport" \
					-changes "$per" -offset $((r * per)) -sample "$per" 2>>"$work/changes-$who$n.log")
				stop "$serve_pid"
				printf -v "res_$who" %s "$(grep '^RESULT' <<<"$out")"
			done
			ra=$(field 1 "$res_a") rb=$(field 1 "$res_b")
			pa+=("$ra") pb+=("$rb")
			ratios+=("$(awk -v a="$ra" -v b="$rb" 'BEGIN {printf "%.2f", b / a}')")
			log "round $((r + 1)): p50 A $ra ms, B ($REV_B) $rb ms"
			rows+=("| $n | round $((r + 1)), $per changes | A $ra / B $rb | A $(field 2 "$res_a") / B $(field 2 "$res_b") | A $(field 3 "$res_a") / B $(field 3 "$res_b") | |")
		done
		med() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
		rows+=("| $n | median of rounds | A $(med "${pa[@]}") / B $(med "${pb[@]}") | B/A per round: ${ratios[*]} | | |")
		continue
	fi
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

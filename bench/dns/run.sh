#!/usr/bin/env bash
# Compares plink's DNS server (internal/dns) with knotd serving the same
# names: N endpoints' regional and zonal names (default 10,000 endpoints,
# 40,000 names, one A record per ENI), dnsperf over loopback UDP.
#
# ROUNDS interleaved rounds (default 5), each DURATION seconds (default 5)
# against every server, the order alternating round by round, so a load
# that comes and goes on a shared machine hits both. Prints each round's
# rates, CPU per query of each server (its user+system time over the
# round) and ratio, then the medians. Goal: median plink/knot >= 1.0; the
# script exits non-zero below it (GOAL=0 to only report).
#
# BASELINE=<git rev> adds a third server: plink built from that revision
# (A/B of a change against its base in the same run).
#
# Needs: go, dnsperf, knot (knotd), bind9-dnsutils (dig).
# Environment: ROUNDS, DURATION (s), N, CLIENTS (dnsperf -c, default 4),
#   OUTSTANDING (dnsperf -q, default 200), EDNS=1 to send EDNS0 queries,
#   GOMAXPROCS (passed to plink), GOAL (default 1.0), BASELINE.
# Traffic goes to 127.0.0.1 only; every process started here is ended by PID.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
N=${N:-10000}
CLIENTS=${CLIENTS:-4}
OUTSTANDING=${OUTSTANDING:-200}
EDNS=${EDNS:-0}
GOAL=${GOAL:-1.0}
BASELINE=${BASELINE:-}

. "$(dirname "$0")/../lib.sh"
need "dnsperf knot bind9-dnsutils" go dnsperf knotd dig

# ready HOST:PORT NAME: bounded wait until the server answers NAME.
ready() {
	local host=${1%:*} port=${1##*:}
	for _ in $(seq 100); do
		if dig +short +time=1 +tries=1 -p "$port" "@$host" "$2" A | grep -q .; then return 0; fi
		sleep 0.1
	done
	echo "run.sh: no answer from $1" >&2
	return 1
}

# start_gen BINARY DIR: runs a plink DNS server on a free port (and writes
# the knot files and queries into DIR); prints its PID.
start_gen() {
	mkdir -p "$2"
	"$1" -n "$N" -addr 127.0.0.1:0 -dir "$2" >/dev/null 2>"$2/gen.log" &
	local pid=$!
	for _ in $(seq 300); do [[ -s $2/plink.addr ]] && break; sleep 0.1; done
	[[ -s $2/plink.addr ]] || { echo "run.sh: plink did not start:" >&2; cat "$2/gen.log" >&2; kill "$pid"; exit 1; }
	echo "$pid"
}

(cd "$root" && go build -o "$work/gen" ./bench/dns/gen)
servers=(plink knot)
declare -A addr pid
pid[plink]=$(start_gen "$work/gen" "$work")
pids+=("${pid[plink]}")
addr[plink]=$(cat "$work/plink.addr")
# knotd before the baseline's server: its port is free only until another
# process binds it.
knotd -c "$work/knot.conf" 2>"$work/knot.log" &
pid[knot]=$!
pids+=("${pid[knot]}")
addr[knot]=$(cat "$work/knot.addr")
if [[ -n $BASELINE ]]; then
	mkdir -p "$work/base-src"
	git -C "$root" archive "$BASELINE" | tar -x -C "$work/base-src"
	(cd "$work/base-src" && go build -o "$work/gen-base" ./bench/dns/gen)
	pid[base]=$(start_gen "$work/gen-base" "$work/base")
	pids+=("${pid[base]}")
	addr[base]=$(cat "$work/base/plink.addr")
	servers+=(base)
fi

name=$(awk 'NR==1 {print $1}' "$work/queries.txt")
for s in "${servers[@]}"; do
	ready "${addr[$s]}" "$name" || { cat "$work/knot.log" >&2; exit 1; }
done
want=$(dig +short -p "${addr[knot]##*:}" "@127.0.0.1" "$name" A | sort)
for s in "${servers[@]}"; do
	if [[ $(dig +short -p "${addr[$s]##*:}" "@127.0.0.1" "$name" A | sort) != "$want" ]]; then
		echo "run.sh: $s and knot answer $name differently" >&2
		exit 1
	fi
done

edns=()
[[ $EDNS == 1 ]] && edns=(-e)
ticks=$(getconf CLK_TCK)
# cpu PID: user+system clock ticks the process used so far.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# perf SERVER ROUND: dnsperf against SERVER; prints "q/s lost% cpu-µs/query".
perf() {
	local log=$work/dnsperf.$1.$2.log c0 c1
	c0=$(cpu "${pid[$1]}")
	dnsperf -s 127.0.0.1 -p "${addr[$1]##*:}" -d "$work/queries.txt" -l "$DURATION" \
		-c "$CLIENTS" -q "$OUTSTANDING" "${edns[@]}" >"$log" 2>&1
	c1=$(cpu "${pid[$1]}")
	awk -v c="$((c1 - c0))" -v hz="$ticks" '
		/Queries completed:/ { done = $3 }
		/Queries lost:/ { lost = $4 }
		/Queries per second:/ { qps = $4 }
		END { gsub(/[()%]/, "", lost); printf "%.0f %s %.2f\n", qps, lost, (done ? c / hz * 1e6 / done : 0) }' "$log"
}

echo "names: $(wc -l <"$work/queries.txt") (N=$N endpoints); per round and server: dnsperf -s 127.0.0.1 -p PORT -d queries.txt -l $DURATION -c $CLIENTS -q $OUTSTANDING ${edns[*]}"
echo "GOMAXPROCS=${GOMAXPROCS:-default}; $(nproc) cores; $ROUNDS rounds, order alternating${BASELINE:+; base = plink at $BASELINE}"
declare -A qps cpuq
ratios=() bratios=()
for r in $(seq "$ROUNDS"); do
	order=("${servers[@]}")
	((r % 2 == 0)) && order=($(printf '%s\n' "${servers[@]}" | tac))
	line="round $r:"
	for s in "${order[@]}"; do
		read -r q lost us < <(perf "$s" "$r")
		qps[$s.$r]=$q
		cpuq[$s.$r]=$us
		line+=$(printf '  %s %s q/s (lost %s%%, %s µs CPU/query)' "$s" "$q" "$lost" "$us")
	done
	ratio=$(awk -v p="${qps[plink.$r]}" -v k="${qps[knot.$r]}" 'BEGIN { printf "%.2f", p / k }')
	ratios+=("$ratio")
	line+="  plink/knot $ratio"
	if [[ -n $BASELINE ]]; then
		b=$(awk -v p="${qps[plink.$r]}" -v k="${qps[base.$r]}" 'BEGIN { printf "%.2f", p / k }')
		bratios+=("$b")
		line+="  plink/base $b"
	fi
	echo "$line"
done

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
for s in "${servers[@]}"; do
	vals=() cpus=()
	for r in $(seq "$ROUNDS"); do vals+=("${qps[$s.$r]}") cpus+=("${cpuq[$s.$r]}"); done
	echo "median $s: $(median "${vals[@]}") q/s, $(median "${cpus[@]}") µs CPU/query"
done
[[ -n $BASELINE ]] && echo "median plink/base: $(median "${bratios[@]}") (per round: ${bratios[*]})"
m=$(median "${ratios[@]}")
echo "median plink/knot: $m (per round: ${ratios[*]}; goal >= $GOAL)"
awk -v m="$m" -v g="$GOAL" 'BEGIN { exit !(m >= g) }'

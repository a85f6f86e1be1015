#!/usr/bin/env bash
# Compares plink's DNS server (internal/dns) with knotd serving the same
# names: N endpoints' regional and zonal names (default 10,000 endpoints,
# 40,000 names, one A record per ENI), dnsperf over loopback UDP for a fixed
# time against each, then prints both rates and the ratio plink/knot
# (goal: >= 0.8).
#
# Needs: go, dnsperf, knot (knotd), bind9-dnsutils (dig).
# Environment: DURATION (s, default 10), N (default 10000), CLIENTS
#   (dnsperf -c, default 4), OUTSTANDING (dnsperf -q, default 200), EDNS=1 to
#   send EDNS0 queries.
# Traffic goes to 127.0.0.1 only; every process started here is ended by PID.
set -euo pipefail

DURATION=${DURATION:-10}
N=${N:-10000}
CLIENTS=${CLIENTS:-4}
OUTSTANDING=${OUTSTANDING:-200}
EDNS=${EDNS:-0}

for tool in go dnsperf knotd dig; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (apt-get install dnsperf knot bind9-dnsutils)" >&2; exit 1; }
done

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

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

(cd "$root" && go build -o "$work/gen" ./bench/dns/gen)
"$work/gen" -n "$N" -addr 127.0.0.1:0 -dir "$work" 2>"$work/gen.log" &
pids+=($!)
for _ in $(seq 300); do [[ -s $work/plink.addr ]] && break; sleep 0.1; done
[[ -s $work/plink.addr ]] || { echo "run.sh: plink did not start:" >&2; cat "$work/gen.log" >&2; exit 1; }
knotd -c "$work/knot.conf" 2>"$work/knot.log" &
pids+=($!)

plink=$(cat "$work/plink.addr")
knot=$(cat "$work/knot.addr")
name=$(awk 'NR==1 {print $1}' "$work/queries.txt")
ready "$plink" "$name"
ready "$knot" "$name" || { cat "$work/knot.log" >&2; exit 1; }
if [[ $(dig +short -p "${plink##*:}" "@${plink%:*}" "$name" A | sort) != $(dig +short -p "${knot##*:}" "@${knot%:*}" "$name" A | sort) ]]; then
	echo "run.sh: plink and knot answer $name differently" >&2
	exit 1
fi

edns=()
[[ $EDNS == 1 ]] && edns=(-e)
# perf ADDR NAME: run dnsperf against ADDR; prints its queries per second.
perf() {
	dnsperf -s "${1%:*}" -p "${1##*:}" -d "$work/queries.txt" -l "$DURATION" \
		-c "$CLIENTS" -q "$OUTSTANDING" "${edns[@]}" >"$work/dnsperf.$2.log" 2>&1
	awk '/Queries per second:/ {print $4}' "$work/dnsperf.$2.log"
}
lost() { awk '/Queries lost:/ {print $3, $4}' "$work/dnsperf.$1.log"; }

echo "names: $(wc -l <"$work/queries.txt") (N=$N endpoints); command: dnsperf -s 127.0.0.1 -p PORT -d queries.txt -l $DURATION -c $CLIENTS -q $OUTSTANDING ${edns[*]}; GOMAXPROCS=${GOMAXPROCS:-default}; $(nproc) cores"
plink_qps=$(perf "$plink" plink)
knot_qps=$(perf "$knot" knot)
echo "plink: $plink_qps q/s (lost $(lost plink))"
echo "knot:  $knot_qps q/s (lost $(lost knot))"
awk -v p="$plink_qps" -v k="$knot_qps" 'BEGIN { printf "ratio plink/knot: %.2f (goal >= 0.80)\n", p / k; exit !(p / k >= 0.8) }'

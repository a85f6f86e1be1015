#!/usr/bin/env bash
# Reconcile of N (default 10,000) endpoints across 3 hosts: a store holds
# N available consumer endpoints (one subnet each, spread over zones a, b
# and c); three network namespaces each start `plink serve --zones` for one
# zone at once, and the time from their start to every host listening on
# all the endpoints of its zone is measured; then one serve of every zone
# (one host) on the same store, for the ratio. ROUNDS rounds, interleaved;
# the table shows medians. (One AcceptVpcEndpointConnections call takes at
# most 1,000 endpoints, so a commit of N = 10,000 at once is not a thing:
# the cold start is the reconcile of all N.)
#
# The endpoints live in 127.0.0.0/8, which every namespace routes to its
# own loopback: the hosts do not need to reach one another, only the one
# store (an SQLite file they all see; PLINK_DB is not used). Every process
# started here is ended by PID; the namespaces are deleted on exit.
#
# Needs: root, ip(8), go. Environment: N (default 10000), ROUNDS (default
# 3), PLINK (a prebuilt binary), KEEP=1 to keep the work folder.
set -euo pipefail

N=${N:-10000}
ROUNDS=${ROUNDS:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/plink-bench-zones.XXXXXX)
log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

if [[ $(id -u) != 0 ]] || ! command -v ip >/dev/null; then
	echo "bench/zones needs root and ip(8) (network namespaces)" >&2
	exit 1
fi

pids=()
namespaces=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	if [[ -z ${KEEP:-} ]]; then rm -rf "$work"; else log "kept $work"; fi
}
trap cleanup EXIT

log "building"
if [[ -n ${PLINK:-} ]]; then cp "$PLINK" "$work/plink"; else (cd "$root" && go build -o "$work/plink" ./cmd/plink); fi
(cd "$root" && go build -o "$work/setup" ./bench/dataplane/setup)
plink=$work/plink setup=$work/setup

for z in a b c; do
	ns=plbz-$$-$z
	ip netns add "$ns"
	namespaces+=("$ns")
	ip -n "$ns" link set lo up
done

# build DB: a store with N available endpoints, and the count of their
# network interfaces per zone (want_a, want_b, want_c).
build() {
	local db=$1 z
	"$setup" build -db "$db" -n "$N" -port 8080:127.0.0.1:9 >/dev/null 2>"$work/setup.log"
	for z in a b c; do
		printf -v "want_$z" %s "$("$plink" --db "$db" --account 222222222222 describe-network-interfaces \
			--query "length(NetworkInterfaces[?AvailabilityZone=='us-east-1$z'])" -o text)"
	done
}

# stop PID...: SIGINT each, then wait for it.
stop() {
	local p
	for p in "$@"; do kill -INT "$p" 2>/dev/null || true; done
	for p in "$@"; do wait "$p" 2>/dev/null || true; done
}

# zoned DB: three serves started at once, one zone each; sets result to
# the seconds from their start to the last one listening on all of its
# zone's endpoints.
zoned() {
	local db=$1 t0 z r want_var
	local -a mine=() waits=()
	result=0
	t0=$(date +%s%N)
	for z in a b c; do
		rm -f "$work/$z.ready"
		ip netns exec "plbz-$$-$z" "$plink" --db "$db" serve --zones "us-east-1$z" --host-name "host-$z" \
			--dns-port 0 --ready-file "$work/$z.ready" --log-level warn >"$work/serve-$z.log" 2>&1 &
		pids+=($!)
		mine+=($!)
	done
	for z in a b c; do
		want_var=want_$z
		"$setup" wait -ready "$work/$z.ready" -want "${!want_var}" -since "$t0" -timeout 120s >"$work/$z.wait" &
		waits+=($!)
	done
	wait "${waits[@]}"
	for z in a b c; do
		r=$(sed -n 's/^RESULT //p' "$work/$z.wait")
		result=$(awk -v a="$result" -v b="$r" 'BEGIN { print (b > a) ? b : a }')
	done
	stop "${mine[@]}"
}

# single DB: one serve of every zone (in namespace a); sets result to the
# seconds from its start to all N listeners.
single() {
	local db=$1 t0 p
	rm -f "$work/one.ready"
	t0=$(date +%s%N)
	ip netns exec "plbz-$$-a" "$plink" --db "$db" serve --dns-port 0 --ready-file "$work/one.ready" \
		--log-level warn >"$work/serve-one.log" 2>&1 &
	p=$!
	pids+=("$p")
	"$setup" wait -ready "$work/one.ready" -want "$N" -since "$t0" -timeout 120s >"$work/one.wait"
	result=$(sed -n 's/^RESULT //p' "$work/one.wait")
	stop "$p"
}

results=()
for r in $(seq "$ROUNDS"); do
	if [[ $r == 1 ]]; then
		log "building $N endpoints"
		build "$work/plink.db"
		log "zones: a $want_a, b $want_b, c $want_c endpoint interfaces"
	fi
	zoned "$work/plink.db"
	z=$result
	single "$work/plink.db"
	s=$result
	log "round $r: 3 hosts ${z}s, 1 host ${s}s"
	results+=("$z $s")
done

median() { printf '%s\n' "${results[@]}" | awk -v c="$1" '{ print $c }' | sort -g | sed -n "$(((ROUNDS + 1) / 2))p"; }
zm=$(median 1) sm=$(median 2)
echo "| endpoints | 3 hosts (zones a, b, c) | 1 host | ratio |"
echo "|---:|---:|---:|---:|"
awk -v n="$N" -v z="$zm" -v s="$sm" 'BEGIN { printf "| %d | %.3f s | %.3f s | %.2f |\n", n, z, s, z / s }'

#!/usr/bin/env bash
# Reconcile of N (default 10,000) endpoints across 3 hosts: three network
# namespaces each run `plink serve --zones` for one zone (a, b, c) of one
# store; N pendingAcceptance consumer endpoints (one subnet each, spread
# over the three zones) are accepted in one call, and the time from the
# commit to every host listening on all the endpoints of its zone is
# measured. The same store is then accepted again under one serve of
# every zone (one host), for the ratio, in the same run.
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

# build DB: a store with N pendingAcceptance endpoints, and the count of
# their network interfaces per zone (want_a, want_b, want_c).
build() {
	local db=$1
	"$setup" build -db "$db" -n "$N" -pending -port 8080:127.0.0.1:9 >/dev/null 2>"$work/setup.log"
	for z in a b c; do
		printf -v "want_$z" %s "$("$plink" --db "$db" --account 222222222222 describe-network-interfaces \
			--query "length(NetworkInterfaces[?AvailabilityZone=='us-east-1$z'])" -o text)"
	done
}

# zoned DB: three serves, one zone each; prints the seconds from the start
# of the accept call (one commit of N connections) to the last host
# listening on all of its zone's endpoints.
zoned() {
	local db=$1 t0 worst=0 z r
	local -a mine=()
	for z in a b c; do
		rm -f "$work/$z.ready"
		ip netns exec "plbz-$$-$z" "$plink" --db "$db" serve --zones "us-east-1$z" --host-name "host-$z" \
			--dns-port 0 --ready-file "$work/$z.ready" --log-level warn >"$work/serve-$z.log" 2>&1 &
		pids+=($!) mine+=($!)
	done
	for z in a b c; do "$setup" wait -ready "$work/$z.ready" -want 0 -since "$(date +%s%N)" -timeout 60s >/dev/null; done
	t0=$(date +%s%N)
	local -a waits=()
	for z in a b c; do
		local want_var=want_$z
		"$setup" wait -ready "$work/$z.ready" -want "${!want_var}" -since "$t0" -timeout 120s >"$work/$z.wait" &
		waits+=($!)
	done
	"$setup" accept -db "$db" -ready "$work/a.ready" -want "$want_a" -timeout 120s >/dev/null
	wait "${waits[@]}"
	for z in a b c; do
		r=$(sed -n 's/^RESULT //p' "$work/$z.wait")
		worst=$(awk -v a="$worst" -v b="$r" 'BEGIN { print (b > a) ? b : a }')
	done
	for p in "${mine[@]}"; do kill -INT "$p"; wait "$p" || true; done
	echo "$worst"
}

# single DB: one serve of every zone (in namespace a); prints the seconds
# from the start of the accept call to all N listeners.
single() {
	local db=$1 p
	rm -f "$work/one.ready"
	ip netns exec "plbz-$$-a" "$plink" --db "$db" serve --dns-port 0 --ready-file "$work/one.ready" \
		--log-level warn >"$work/serve-one.log" 2>&1 &
	p=$!
	pids+=("$p")
	"$setup" wait -ready "$work/one.ready" -want 0 -since "$(date +%s%N)" -timeout 60s >/dev/null
	local t0 w
	t0=$(date +%s%N)
	"$setup" wait -ready "$work/one.ready" -want "$N" -since "$t0" -timeout 120s >"$work/one.wait" &
	w=$!
	"$setup" accept -db "$db" -ready "$work/one.ready" -want "$N" -timeout 120s >/dev/null
	wait "$w"
	kill -INT "$p"
	wait "$p" || true
	sed -n 's/^RESULT //p' "$work/one.wait"
}

results=()
for r in $(seq "$ROUNDS"); do
	log "round $r: building $N endpoints (twice)"
	build "$work/z$r.db"
	build "$work/s$r.db"
	log "zones: a $want_a, b $want_b, c $want_c endpoint interfaces"
	z=$(zoned "$work/z$r.db")
	s=$(single "$work/s$r.db")
	log "round $r: 3 hosts ${z}s, 1 host ${s}s"
	results+=("$z $s")
done

median() { printf '%s\n' "${results[@]}" | awk -v c="$1" '{ print $c }' | sort -g | sed -n "$(((ROUNDS + 1) / 2))p"; }
zm=$(median 1) sm=$(median 2)
echo "| endpoints | 3 hosts (zones a, b, c) | 1 host | ratio |"
echo "|---:|---:|---:|---:|"
awk -v n="$N" -v z="$zm" -v s="$sm" 'BEGIN { printf "| %d | %.3f s | %.3f s | %.2f |\n", n, z, s, z / s }'

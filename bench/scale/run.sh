#!/usr/bin/env bash
# Scale of one `plink serve`: N available endpoints (one ENI address each,
# one listener port) in one process, in each listen mode:
#
#   sk-lookup    an eBPF sk_lookup program steers every endpoint address
#                of a port to one listening socket (a descriptor per port)
#   per-address  a listening socket per endpoint address and port (the
#                fallback); skipped when N does not fit in the hard open
#                file limit
#
# For each N and mode: cold start of serve -> all N endpoint listeners in
# the ready file; VmRSS and VmHWM then; open descriptors; 200 connections
# (64-byte echo) through the first and through the last endpoint; one DNS
# query for the last endpoint's name answered with its address. Then a
# table with the goals of issue 13 (50,000 endpoints: ready < 2 s, RSS <
# 500 MB; at 10,000 the earlier figures were 465 ms and 60 MB).
#
#   bench/scale/run.sh                          # N=10000 and 50000, both modes
#   N=50000 bench/scale/run.sh                  # one size
#   N=50000 MODES=sk-lookup bench/scale/run.sh
#
# Stores are built with bench/dataplane/setup (internal/control, one
# CreateVpcEndpoint each: about 3-5 ms per endpoint here, so 50,000 take
# a few minutes) and kept in CACHE (default ~/.cache/plink-bench-scale)
# for the next run; CACHE= (empty) builds them afresh in the work folder.
#
# Environment: N (sizes, default "10000 50000"), MODES (default
#   "sk-lookup per-address"), ROUNDS (cold starts per size and mode,
#   default 3; the table shows medians), PLINK (a prebuilt plink binary),
#   CACHE, KEEP=1 to keep the work folder.
# Needs: go, jq, dig (apt-get install jq bind9-dnsutils); sk-lookup needs
# root (or CAP_BPF and CAP_NET_ADMIN). Every process started here is ended
# by PID; traffic goes to 127.0.0.0/8 only.
set -euo pipefail

NS=${N:-10000 50000}
MODES=${MODES:-sk-lookup per-address}
ROUNDS=${ROUNDS:-3}
CACHE=${CACHE-$HOME/.cache/plink-bench-scale}

. "$(dirname "$0")/../lib.sh"
need "jq bind9-dnsutils" go jq dig

log "building"
if [[ -n ${PLINK:-} ]]; then
	cp "$PLINK" "$work/plink"
else
	(cd "$root" && go build -o "$work/plink" ./cmd/plink)
fi
(cd "$root" && go build -o "$work/setup" ./bench/dataplane/setup && go build -o "$work/connrate" ./bench/dataplane/connrate &&
	go build -o "$work/phases" ./bench/scale/phases)
plink=$work/plink setup=$work/setup connrate=$work/connrate phases=$work/phases
store_dir=${CACHE:-$work}
mkdir -p "$store_dir"
dns_port=$("$connrate" port)

# store N: sets db, lport, eport for a store of N endpoints (built, or
# taken from the cache with the ports it was built with).
store() {
	db=$store_dir/scale-$1.db
	local meta=$store_dir/scale-$1.meta
	if [[ -s $db && -s $meta ]]; then
		read -r lport eport <"$meta"
		log "store of $1 endpoints from $db (listener port $lport, target 127.0.0.1:$eport)"
		return
	fi
	rm -f "$db" "$db"-* "$meta"
	lport=$("$connrate" port)
	eport=$("$connrate" port)
	log "building a store of $1 endpoints (a few ms each)"
	local t0=$(date +%s%N)
	"$setup" build -db "$db" -n "$1" -port "$lport:127.0.0.1:$eport" >/dev/null 2>"$work/setup-$1.log"
	local ms=$((($(date +%s%N) - t0) / 1000000))
	log "$(cat "$work/setup-$1.log") ($ms ms wall)"
	echo "$lport $eport" >"$meta"
	build_ms[$1]=$ms
}

declare -A build_ms res phases_out
# measure N MODE ROUND: one cold start; sets res[N.MODE.ROUND.*].
measure() {
	local n=$1 mode=$2 r=$3 k="$1.$2.$3"
	local ready=$work/ready-$k.json serve_log=$work/serve-$k.log
	local t0=$(date +%s%N)
	"$plink" serve --db "$db" --ready-file "$ready" --dns-port 0 --dns-addr "127.0.0.1:$dns_port" \
		--listen-mode "$mode" --log-level info >"$serve_log" 2>&1 &
	local pid=$!
	pids+=($pid)
	local line
	if ! line=$("$setup" wait -ready "$ready" -want "$n" -since "$t0" -timeout 120s 2>&1); then
		log "serve ($mode, $n) did not list $n endpoint listeners: $line"
		tail -5 "$serve_log" >&2
		stop "$pid"
		res[$k.ready]=FAILED
		return
	fi
	res[$k.ready]=$(awk '/^RESULT/ {print $2}' <<<"$line")
	res[$k.rss]=$(($(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status") / 1024))
	res[$k.hwm]=$(($(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status") / 1024))
	res[$k.fds]=$(ls "/proc/$pid/fd" | wc -l)
	# Kernel memory of the sk_lookup maps and program (not in VmRSS).
	res[$k.bpf]=$({ grep -h '^memlock:' /proc/$pid/fdinfo/* 2>/dev/null || true; } | awk '{s += $2} END {printf "%.1f", s / 1048576}')
	# The first apply: store snapshot + DNS + forwarder, as serve logs it.
	res[$k.apply]=$(grep -m1 'msg="applied snapshot"' "$serve_log" | grep -o 'took=[^ ]*' | cut -d= -f2)
	res[$k.mode]=$(grep -o 'listen mode: [a-z-]*' "$serve_log" | head -1 | cut -d' ' -f3)
	local first last
	first=$(jq -r '[.listeners[] | select(.kind == "endpoint")] | first | .address' "$ready")
	last=$(jq -r '[.listeners[] | select(.kind == "endpoint")] | last | .address' "$ready")
	local ok=0
	for a in "$first" "$last"; do
		if "$connrate" run -addr "$a" -n 200 -c 4 -d 5s 2>/dev/null | grep -q '^RESULT'; then ok=$((ok + 1)); fi
	done
	res[$k.conns]="$ok/2"
	# DNS: the last endpoint's regional name -> its address.
	local id name got
	id=$(jq -r '[.listeners[] | select(.kind == "endpoint")] | last | .endpoint' "$ready")
	name=$("$plink" --db "$db" --account 222222222222 describe-endpoints --vpc-endpoint-ids "$id" \
		--query 'VpcEndpoints[0].DnsEntries[0].DnsName' -o text)
	got=$(dig +short +time=2 +tries=1 @127.0.0.1 -p "$dns_port" "$name" A | head -1)
	if [[ $got == "${last%:*}" ]]; then res[$k.dns]=ok; else res[$k.dns]="MISSED ($name -> '$got', want ${last%:*})"; fi
	log "N=$n $mode round $r: ready ${res[$k.ready]} s (first apply ${res[$k.apply]}), VmRSS ${res[$k.rss]} MB (VmHWM ${res[$k.hwm]}), ${res[$k.fds]} fds, BPF maps ${res[$k.bpf]} MB, mode ${res[$k.mode]}, conns ${res[$k.conns]}, DNS ${res[$k.dns]}"
	stop "$pid"
}

med() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
ok() { awk -v v="$1" -v t="$2" 'BEGIN { if (v == "-" || v == "FAILED") print "n/a"; else if (v + 0 <= t) print "ok"; else print "MISSED" }'; }

for n in $NS; do
	store "$n"
	"$connrate" serve -listen "127.0.0.1:$eport" &
	echo_pid=$!
	pids+=($echo_pid)
	for r in $(seq "$ROUNDS"); do
		for mode in $MODES; do
			if [[ $mode == per-address && $((n + 300)) -gt $hard ]]; then
				[[ $r == 1 ]] && log "N=$n per-address: skipped, needs about $((n + 300)) descriptors, hard limit $hard"
				continue
			fi
			measure "$n" "$mode" "$r"
		done
	done
	stop "$echo_pid"
	# Where a cold start's time goes: the first apply's parts, in one
	# process (store snapshot, DNS, forwarder in sk-lookup mode, ready JSON).
	if [[ " $MODES " == *" sk-lookup "* ]]; then
		phases_out[$n]=$("$phases" -db "$db" -mode sk-lookup -rounds "$ROUNDS" 2>/dev/null || echo "PHASE failed")
		log "N=$n first apply by part:"$'\n'"${phases_out[$n]}"
	fi
done

echo
echo "| endpoints | listen mode | ready (s) | VmRSS MB (VmHWM) | fds (BPF maps MB) | conns first+last | DNS | goal |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for n in $NS; do
	for mode in $MODES; do
		[[ -n ${res[$n.$mode.1.ready]:-} ]] || { echo "| $n | $mode | skipped: needs ~$((n + 300)) fds, hard limit $hard | | | | | |"; continue; }
		rd=$(for r in $(seq "$ROUNDS"); do echo "${res[$n.$mode.$r.ready]}"; done | med)
		rss=$(for r in $(seq "$ROUNDS"); do echo "${res[$n.$mode.$r.rss]:-}"; done | grep . | med)
		hwm=$(for r in $(seq "$ROUNDS"); do echo "${res[$n.$mode.$r.hwm]:-}"; done | grep . | med)
		fds=$(for r in $(seq "$ROUNDS"); do echo "${res[$n.$mode.$r.fds]:-}"; done | grep . | med)
		rounds=$(for r in $(seq "$ROUNDS"); do echo -n "${res[$n.$mode.$r.ready]} "; done)
		goal="ready < 2 s ($(ok "$rd" 2)), RSS < 500 MB ($(ok "$rss" 500))"
		[[ $n == 10000 ]] && goal="$goal; before: 0.465 s, 60 MB"
		echo "| $n | $mode (${res[$n.$mode.1.mode]:-?}) | $rd (rounds: $rounds) | $rss ($hwm) | $fds (${res[$n.$mode.1.bpf]:-}) | ${res[$n.$mode.1.conns]:-} | ${res[$n.$mode.1.dns]:-} | $goal |"
	done
	[[ -n ${build_ms[$n]:-} ]] && echo "| $n | store built in $((build_ms[$n] / 1000)) s (bench/dataplane/setup) | | | | | | |"
done

# Per-round ratios where both modes ran (interleaved in each round).
for n in $NS; do
	[[ -n ${res[$n.sk-lookup.1.ready]:-} && -n ${res[$n.per-address.1.ready]:-} ]] || continue
	ratios=$(for r in $(seq "$ROUNDS"); do
		awk -v a="${res[$n.sk-lookup.$r.ready]}" -v b="${res[$n.per-address.$r.ready]}" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f\n", a / b }'
	done)
	echo
	echo "N=$n ready time sk-lookup / per-address per round: $(echo $ratios) (median $(echo "$ratios" | med)); VmRSS $(for r in $(seq "$ROUNDS"); do echo -n "${res[$n.sk-lookup.$r.rss]:-}/${res[$n.per-address.$r.rss]:-} "; done)MB"
done

for n in $NS; do
	[[ -n ${phases_out[$n]:-} ]] || continue
	echo
	echo "N=$n first apply by part (bench/scale/phases, sk-lookup, median of $ROUNDS):"
	sed 's/^PHASE /  /' <<<"${phases_out[$n]}"
done

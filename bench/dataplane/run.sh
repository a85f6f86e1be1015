#!/usr/bin/env bash
# The data-plane benchmark of `plink serve`, in one run over loopback:
#
#   1. bulk throughput (iperf3, 1 and 4 streams): direct to the backend,
#      through a plink endpoint address, through HAProxy (mode tcp);
#   2. short connections (bench/dataplane/connrate: connect, write 64 B,
#      read the 64 B echo, close; one connection per request), at
#      concurrency 1 and 32, SHORT_T seconds per contender and round, six
#      contenders interleaved in each round, in two halves of a palindrome
#      (A B C .. C B A; the order rotates from round to round):
#      direct to the echo server; plink with PROXY v2 off; plink with PROXY
#      v2 on (to an echo server that drops the header); HAProxy 2.6 mode
#      tcp with nbthread = cores; the same HAProxy binding a source address
#      to the target (127.0.0.6) as plink's NLB node does. Per round and as
#      medians: rate, p50, p99, the proxy's CPU per connection (utime +
#      stime from /proc/PID/stat), plink/HAProxy rate ratios, p50 added over
#      direct;
#   3. reconcile: 1,000 pendingAcceptance endpoints accepted in one call
#      while serve runs, time from commit to all listeners in the ready
#      file; then a cold start of serve on those 1,000;
#   4. 10,000 endpoint listeners (one subnet, one port each) in one
#      process: time to bind them all, VmRSS.
#
# Then a table with the ratios and the targets. Every process started here
# is ended by PID; traffic goes to 127.0.0.0/8 only; every load is bounded.
#
#   bench/dataplane/run.sh                      # everything (~5 min)
#   MODE=short ROUNDS=5 bench/dataplane/run.sh  # short connections only (~4 min)
#   MODE=bulk ROUNDS=5 bench/dataplane/run.sh   # bulk throughput only (~3 min)
#
# Bulk (1.): per round, iperf3 -P 1 and -P 4 to each contender in rotating
# order (direct, plink, haproxy, and plinkB with PLINK_B); medians, per-round
# ratios, and CPU per Gbit/s of each process: the client's and the target's
# from iperf3's own accounting (getrusage), the proxy's from /proc/PID/stat.
#
# Needs: go, iperf3, haproxy, jq (apt-get install iperf3 haproxy jq).
# The machine is shared and noisy (10-30 % from run to run), so 1. and 2.
# run ROUNDS times, the contenders interleaved within each round, and the
# table shows each measure's median over the rounds and the per-round
# ratios (every round is logged).
#
# Environment: MODE (all, short or bulk; default all), ROUNDS (default 3),
#   IPERF_T (s, default 5), SHORT_T (s per contender and round, default 4),
#   SHORT_N (connections at most per contender and round, default 200000),
#   SHORT_C (concurrencies, default "1 32"), N_RECONCILE (default 1000),
#   N_SCALE (default 10000), PLINK (a prebuilt plink binary; default: build
#   ./cmd/plink), PLINK_B (a second plink binary, e.g. before a change: more
#   contenders, plinkB in the bulk rounds, plinkB and plinkB-pp2 in the
#   short-connection rounds, on a store and serve of their own), KEEP=1 to keep the work folder.
set -euo pipefail

MODE=${MODE:-all}
ROUNDS=${ROUNDS:-3}
IPERF_T=${IPERF_T:-5}
SHORT_T=${SHORT_T:-4}
SHORT_N=${SHORT_N:-200000}
SHORT_C=${SHORT_C:-1 32}
N_RECONCILE=${N_RECONCILE:-1000}
N_SCALE=${N_SCALE:-10000}

. "$(dirname "$0")/../lib.sh"
need "iperf3 haproxy jq" go iperf3 haproxy jq
# 10,000 listeners + LB nodes + DNS + connections: more than 1024 fds (lib.sh
# raised the soft limit to the hard one).

log "building"
if [[ -n ${PLINK:-} ]]; then
	cp "$PLINK" "$work/plink"
else
	(cd "$root" && go build -o "$work/plink" ./cmd/plink)
fi
(cd "$root" && go build -o "$work/setup" ./bench/dataplane/setup && go build -o "$work/connrate" ./bench/dataplane/connrate)
plink=$work/plink setup=$work/setup connrate=$work/connrate
# port VAR: set VAR to a free loopback TCP port, distinct from every port
# taken before in this run (two quick calls can be handed the same one).
used=" "
port() {
	local p
	while :; do
		p=$("$connrate" port)
		[[ $used == *" $p "* ]] || break
	done
	used+="$p "
	printf -v "$1" %s "$p"
}

# --- targets: iperf3 and the echo server, on 127.0.0.1 -----------------
port iperf_port
port dns_port # for the reconcile and scale serves below; each ends before the next starts
iperf3 -s -B 127.0.0.1 -p "$iperf_port" >"$work/iperf3-server.log" 2>&1 &
pids+=($!)
"$connrate" serve -listen 127.0.0.1:0 -addr-file "$work/echo.addr" &
pids+=($!)
"$connrate" serve -listen 127.0.0.1:0 -addr-file "$work/echo-pp2.addr" -proxy &
pids+=($!)
wait_file "$work/echo.addr"
wait_file "$work/echo-pp2.addr"
echo_port=$(cut -d: -f2 "$work/echo.addr")
echo_pp2_port=$(cut -d: -f2 "$work/echo-pp2.addr")
wait_port 127.0.0.1 "$iperf_port"

# --- HAProxy, mode tcp, nbthread = cores, on 127.0.0.5 -------------------
# iperf and echo connect to the target from 127.0.0.6 (a source address, as
# plink's NLB node binds one); echo-nosrc lets the kernel choose; echo-pp2
# sends a PROXY v2 header (send-proxy-v2) to the echo server that drops it,
# as plink-pp2 does: the like-for-like peer of plink with PROXY v2 on.
port hap_iperf
port hap_echo
port hap_echo_nosrc
port hap_echo_pp2
cat >"$work/haproxy.cfg" <<EOF
global
    maxconn 4000
    nbthread $(nproc)
    log stderr format raw local0 err
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend iperf
    bind 127.0.0.5:$hap_iperf
    default_backend iperf
backend iperf
    server s1 127.0.0.1:$iperf_port source 127.0.0.6
frontend echo
    bind 127.0.0.5:$hap_echo
    default_backend echo
backend echo
    server s1 127.0.0.1:$echo_port source 127.0.0.6
frontend echo-nosrc
    bind 127.0.0.5:$hap_echo_nosrc
    default_backend echo-nosrc
backend echo-nosrc
    server s1 127.0.0.1:$echo_port
frontend echo-pp2
    bind 127.0.0.5:$hap_echo_pp2
    default_backend echo-pp2
backend echo-pp2
    server s1 127.0.0.1:$echo_pp2_port source 127.0.0.6 send-proxy-v2
EOF
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
hap_pid=$!
pids+=($hap_pid)
wait_port 127.0.0.5 "$hap_echo"

# start_plink NAME BINARY PREFIX PIDVAR ENIVAR: a store of one endpoint
# with three listeners (to iperf3; to echo, PROXY v2 off; to the echo
# server that drops the header, PROXY v2 on) and a serve of BINARY on it,
# with a DNS port of its own. Sets ${PREFIX}_iperf, ${PREFIX}_echo and
# ${PREFIX}_echo_pp2 (the listener ports), PIDVAR (serve's PID) and ENIVAR
# (the endpoint address).
start_plink() {
	local name=$1 bin=$2 prefix=$3 dns li le lpp pid e
	port dns
	port li
	port le
	port lpp
	log "$name store: 1 endpoint, listeners $li -> iperf3, $le -> echo, $lpp -> echo (PROXY v2)"
	"$setup" build -db "$work/$name.db" -n 1 \
		-port "$li:127.0.0.1:$iperf_port:$echo_port" -port "$le:127.0.0.1:$echo_port" \
		-port "$lpp:127.0.0.1:$echo_pp2_port:$echo_port:pp2" >/dev/null
	"$bin" serve --db "$work/$name.db" --ready-file "$work/$name.ready" --dns-port "$dns" --log-level warn >"$work/serve-$name.log" 2>&1 &
	pid=$!
	pids+=($pid)
	"$setup" wait -ready "$work/$name.ready" -want 3 -since "$(date +%s%N)" -timeout 30s >/dev/null
	e=$(jq -r --arg p ":$li" '.listeners[] | select(.kind == "endpoint" and (.address | endswith($p))) | .address' "$work/$name.ready")
	printf -v "${prefix}_iperf" %s "$li"
	printf -v "${prefix}_echo" %s "$le"
	printf -v "${prefix}_echo_pp2" %s "$lpp"
	printf -v "$4" %s "$pid"
	printf -v "$5" %s "${e%:*}"
}

start_plink plink "$plink" lp serve_pid eni
log "endpoint address $eni"
# PLINK_B: a second plink build (e.g. before a change) on its own store and
# listeners, as more contenders of the rounds.
if [[ -n ${PLINK_B:-} ]]; then
	cp "$PLINK_B" "$work/plink-b"
	start_plink plink-b "$work/plink-b" lpb serve_b_pid eni_b
fi

# median V...: the middle value (the lower middle for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# ticks PID: CPU time (user + system, clock ticks) of PID so far.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# --- 1. bulk throughput --------------------------------------------------
# Per contender and stream count (key NAME.STREAMS), one value per round:
# Gbit/s received, and the CPU (% of one core) of client, target, proxy.
declare -A gbps cpu_cl cpu_tg cpu_px
bnames=(direct plink haproxy)
declare -A baddr=([direct]="127.0.0.1 $iperf_port" [plink]="$eni $lp_iperf" [haproxy]="127.0.0.5 $hap_iperf")
declare -A bpid=([direct]="" [plink]=$serve_pid [haproxy]=$hap_pid)
if [[ -n ${PLINK_B:-} ]]; then
	bnames+=(plinkB)
	baddr[plinkB]="$eni_b $lpb_iperf" bpid[plinkB]=$serve_b_pid
fi
if [[ ${SOCKMAP:-0} == 1 && ($MODE == all || $MODE == bulk) ]]; then
	(cd "$root/bench/dataplane/sockmap" && go build -o "$work/sockmap" .)
	"$work/sockmap" -target "127.0.0.1:$iperf_port" -listen 127.0.0.7:0 -addr-file "$work/sockmap.addr" >"$work/sockmap.log" 2>&1 &
	sockmap_pid=$!
	pids+=($sockmap_pid)
	wait_file "$work/sockmap.addr"
	a=$(cat "$work/sockmap.addr")
	bnames+=(sockmap)
	baddr[sockmap]="${a%:*} ${a##*:}" bpid[sockmap]=$sockmap_pid
fi
# kworkers FILE: save every kworker thread's CPU ticks so far in FILE;
# kwdelta FILE0 FILE1: the ticks they took in between (a kworker that
# ended in between is lost; one that started counts from 0).
kworkers() { cat /proc/[0-9]*/stat 2>/dev/null | awk '$2 ~ /^\(kworker/ {print $1, $14 + $15}' >"$1"; }
kwdelta() { awk 'NR == FNR {t0[$1] = $2; next} {s += $2 - t0[$1]} END {print s + 0}' "$1" "$2"; }
if [[ $MODE == all || $MODE == bulk ]]; then
# iperf NAME STREAMS ROUND: one iperf3 run of one contender.
iperf() {
	local out=$work/iperf.$1.P$2.r$3.json v cl tg px=0 t0=0 t1 s0 s1 host port
	read -r host port <<<"${baddr[$1]}"
	if [[ -n ${bpid[$1]} && ! -e /proc/${bpid[$1]}/stat ]]; then
		echo "run.sh: the $1 proxy (PID ${bpid[$1]}) has ended; its log:" >&2
		tail -5 "$work/$([[ $1 == sockmap ]] && echo sockmap.log || echo serve-perf.log)" >&2
		exit 1
	fi
	[[ -n ${bpid[$1]} ]] && t0=$(ticks "${bpid[$1]}")
	[[ $1 == sockmap ]] && kworkers "$work/kw0"
	s0=$(date +%s%N)
	iperf3 -c "$host" -p "$port" -t "$IPERF_T" -P "$2" -J >"$out" 2>&1 || { echo "run.sh: iperf3 $1 -P $2 failed:" >&2; tail -5 "$out" >&2; exit 1; }
	s1=$(date +%s%N)
	if [[ -n ${bpid[$1]} ]]; then
		t1=$(ticks "${bpid[$1]}")
		if [[ $1 == sockmap ]]; then kworkers "$work/kw1" && t1=$((t1 + $(kwdelta "$work/kw0" "$work/kw1"))); fi
		px=$(awk -v t="$((t1 - t0))" -v hz="$hz" -v ns="$((s1 - s0))" 'BEGIN { printf "%.1f", t / hz * 1e9 / ns * 100 }')
	fi
	v=$(jq '.end.sum_received.bits_per_second / 1e9' "$out")
	cl=$(jq '.end.cpu_utilization_percent.host_total' "$out")
	tg=$(jq '.end.cpu_utilization_percent.remote_total' "$out")
	gbps[$1.$2]+="$v " cpu_cl[$1.$2]+="$cl " cpu_tg[$1.$2]+="$tg " cpu_px[$1.$2]+="$px "
	log "round $3: iperf3 $1 -P $2: $(printf %.2f "$v") Gbit/s, CPU client $(printf %.0f "$cl") %, target $(printf %.0f "$tg") %, proxy $px %"
}
for round in $(seq "$ROUNDS"); do
	for streams in 1 4; do
		for i in "${!bnames[@]}"; do
			# rotate the order by one each round
			iperf "${bnames[$(((i + round - 1) % ${#bnames[@]}))]}" "$streams" "$round"
		done
	done
done
fi

# --- 2. short connections ------------------------------------------------
# Per contender and concurrency (key NAME.C), one value per round, in round
# order: rate, p50, p99 (µs), proxy CPU per connection (µs).
#
# A round runs every contender twice, for half of SHORT_T each: once in the
# round's order and once in reverse (a palindrome, A B C C B A). The speed
# of this shared machine drifts by 10-30 % within seconds; in a palindrome
# every contender's two halves centre on the same moment, so a drift that
# is steady over the round weighs on all of them alike, where a plain
# rotation puts the first and last of a round up to a round apart. The
# round's value is over both halves: connections over seconds, the proxy's
# CPU over connections, and p50 and p99 the halves' values weighted by
# their connections.
declare -A rate p50 p99 cpu
declare -A h_n h_s h_p50 h_p99 h_t
# half NAME ADDR C ROUND [PROXY_PID]: one half-round of one contender,
# added to the h_ sums of NAME.C.
half() {
	local line t0=0 k=$1.$3
	[[ -n ${5:-} ]] && t0=$(ticks "$5")
	line=$("$connrate" run -addr "$2" -n "$((SHORT_N / 2))" -c "$3" -d "$(awk -v t="$SHORT_T" 'BEGIN { print t / 2 }')s" | grep '^RESULT')
	local n s p50v p99v
	n=$(sed -E 's/.* conns=([0-9]+).*/\1/' <<<"$line")
	s=$(sed -E 's/.* seconds=([0-9.]+).*/\1/' <<<"$line")
	p50v=$(sed -E 's/.* p50_us=([0-9]+).*/\1/' <<<"$line")
	p99v=$(sed -E 's/.* p99_us=([0-9]+).*/\1/' <<<"$line")
	h_n[$k]=$((${h_n[$k]:-0} + n))
	h_s[$k]=$(awk -v a="${h_s[$k]:-0}" -v b="$s" 'BEGIN { print a + b }')
	h_p50[$k]=$(awk -v a="${h_p50[$k]:-0}" -v n="$n" -v v="$p50v" 'BEGIN { print a + n * v }')
	h_p99[$k]=$(awk -v a="${h_p99[$k]:-0}" -v n="$n" -v v="$p99v" 'BEGIN { print a + n * v }')
	if [[ -n ${5:-} ]]; then h_t[$k]=$((${h_t[$k]:-0} + $(ticks "$5") - t0)); fi
	log "round $4: c=$3 $1: $line"
}
# conns NAME C ROUND PROXY: the round's values of NAME.C from its halves.
conns() {
	local k=$1.$2 n r
	n=${h_n[$k]}
	r=$(awk -v n="$n" -v s="${h_s[$k]}" 'BEGIN { printf "%.0f", n / s }')
	rate[$k]+="$r "
	p50[$k]+="$(awk -v n="$n" -v v="${h_p50[$k]}" 'BEGIN { printf "%.0f", v / n }') "
	p99[$k]+="$(awk -v n="$n" -v v="${h_p99[$k]}" 'BEGIN { printf "%.0f", v / n }') "
	if [[ -n $4 ]]; then
		cpu[$k]+="$(awk -v t="${h_t[$k]}" -v hz="$hz" -v n="$n" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }') "
	else
		cpu[$k]+="0 "
	fi
	log "round $3: c=$2 $1: rate=$r (both halves)"
	unset "h_n[$k]" "h_s[$k]" "h_p50[$k]" "h_p99[$k]" "h_t[$k]"
}
# The contenders: name, address, proxy PID (none for direct).
names=(direct plink plink-pp2 haproxy haproxy-src haproxy-pp2)
declare -A addr=([direct]="127.0.0.1:$echo_port" [plink]="$eni:$lp_echo" [plink-pp2]="$eni:$lp_echo_pp2"
	[haproxy]="127.0.0.5:$hap_echo_nosrc" [haproxy-src]="127.0.0.5:$hap_echo" [haproxy-pp2]="127.0.0.5:$hap_echo_pp2")
declare -A ppid=([direct]="" [plink]=$serve_pid [plink-pp2]=$serve_pid [haproxy]=$hap_pid [haproxy-src]=$hap_pid [haproxy-pp2]=$hap_pid)
if [[ -n ${PLINK_B:-} ]]; then
	names+=(plinkB plinkB-pp2)
	addr[plinkB]="$eni_b:$lpb_echo" addr[plinkB-pp2]="$eni_b:$lpb_echo_pp2"
	ppid[plinkB]=$serve_b_pid ppid[plinkB-pp2]=$serve_b_pid
fi
for round in $(seq "$ROUNDS"); do
	[[ $MODE == bulk ]] && break
	for c in $SHORT_C; do
		# the round's order rotates by one each round; then the palindrome
		order=()
		for i in "${!names[@]}"; do order+=("${names[$(((i + round - 1) % ${#names[@]}))]}"); done
		for k in "${order[@]}"; do half "$k" "${addr[$k]}" "$c" "$round" "${ppid[$k]}"; done
		for ((i = ${#order[@]} - 1; i >= 0; i--)); do
			k=${order[$i]}
			half "$k" "${addr[$k]}" "$c" "$round" "${ppid[$k]}"
		done
		for k in "${names[@]}"; do conns "$k" "$c" "$round" "${ppid[$k]}"; done
	done
done
# nth N LIST...: the Nth (from 1) of LIST.
nth() { local i=$1; shift; echo "${@:$i:1}"; }
# ratios A B: per-round A/B of two value lists, as "r1 r2 ...".
ratios() {
	local out="" i
	# shellcheck disable=SC2086 # the rounds' values, split on purpose
	for i in $(seq "$ROUNDS"); do out+="$(awk -v a="$(nth "$i" $1)" -v b="$(nth "$i" $2)" 'BEGIN { printf "%.2f", a / b }') "; done
	echo "$out"
}
# diffs A B: per-round A-B of two value lists.
diffs() {
	local out="" i
	# shellcheck disable=SC2086
	for i in $(seq "$ROUNDS"); do out+="$(($(nth "$i" $1) - $(nth "$i" $2))) "; done
	echo "$out"
}
stop "$serve_pid"
if [[ -n ${PLINK_B:-} ]]; then stop "$serve_b_pid"; fi

if [[ $MODE == all ]]; then
# --- 3. reconcile of N_RECONCILE endpoints -------------------------------
log "plink store: $N_RECONCILE pendingAcceptance endpoints"
port lp_rec
"$setup" build -db "$work/rec.db" -n "$N_RECONCILE" -pending -port "$lp_rec:127.0.0.1:$echo_port" >/dev/null 2>"$work/setup-rec.log"
"$plink" serve --db "$work/rec.db" --ready-file "$work/rec.ready" --dns-port "$dns_port" --log-level warn >"$work/serve-rec.log" 2>&1 &
serve_pid=$!
pids+=($serve_pid)
"$setup" wait -ready "$work/rec.ready" -want 0 -since "$(date +%s%N)" -timeout 30s >/dev/null
line=$("$setup" accept -db "$work/rec.db" -ready "$work/rec.ready" -want "$N_RECONCILE" -timeout 60s)
log "$(head -1 <<<"$line")"
rec_accept=$(awk '/^RESULT/ {print $2}' <<<"$line")
stop "$serve_pid"
rm -f "$work/rec.ready"
t0=$(date +%s%N)
"$plink" serve --db "$work/rec.db" --ready-file "$work/rec.ready" --dns-port "$dns_port" --log-level warn >>"$work/serve-rec.log" 2>&1 &
serve_pid=$!
pids+=($serve_pid)
line=$("$setup" wait -ready "$work/rec.ready" -want "$N_RECONCILE" -since "$t0" -timeout 60s)
log "cold start: $(head -1 <<<"$line")"
rec_cold=$(awk '/^RESULT/ {print $2}' <<<"$line")
stop "$serve_pid"

# --- 4. N_SCALE endpoint listeners in one process ------------------------
log "plink store: $N_SCALE available endpoints (takes a while: one CreateVpcEndpoint each)"
port lp_scale
"$setup" build -db "$work/scale.db" -n "$N_SCALE" -port "$lp_scale:127.0.0.1:$echo_port" >/dev/null 2>"$work/setup-scale.log"
log "$(cat "$work/setup-scale.log")"
t0=$(date +%s%N)
"$plink" serve --db "$work/scale.db" --ready-file "$work/scale.ready" --dns-port "$dns_port" --log-level warn >"$work/serve-scale.log" 2>&1 &
serve_pid=$!
pids+=($serve_pid)
line=$("$setup" wait -ready "$work/scale.ready" -want "$N_SCALE" -since "$t0" -timeout 120s)
log "$(head -1 <<<"$line")"
scale_start=$(awk '/^RESULT/ {print $2}' <<<"$line")
# Traffic through the last endpoint, then the memory figures.
last=$(jq -r '[.listeners[] | select(.kind == "endpoint")] | last | .address' "$work/scale.ready")
scale_check=$("$connrate" run -addr "$last" -n 1000 -c 8 -d 5s | grep '^RESULT')
log "1,000 connections through $last: $scale_check"
rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$serve_pid/status")
hwm_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$serve_pid/status")
fds=$(ls "/proc/$serve_pid/fd" | wc -l)
stop "$serve_pid"
fi

# --- the table ------------------------------------------------------------
ok() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { if (op == ">=" ? v >= t : v <= t) print "ok"; else print "MISSED" }'; }
r2() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
f2() { printf %.2f "$1"; }
# m KIND KEY: the median of a per-round list, e.g. m rate plink.32
m() {
	local -n arr=$1
	# shellcheck disable=SC2086
	median ${arr[$2]}
}
echo
echo "plink data plane, $(nproc) cores, loopback; medians of $ROUNDS interleaved rounds"
# perround EXPR KIND...: per-round values of an awk expression over the
# named per-round lists (a, b, c, d), for one key: perround 'a/b' KEY L1 L2
perround() {
	local expr=$1 key=$2 out="" i
	shift 2
	local -a v=()
	for i in $(seq "$ROUNDS"); do
		v=()
		for l in "$@"; do
			unset -n arr
			local -n arr=$l
			# shellcheck disable=SC2086
			v+=("$(nth "$i" ${arr[$key]})")
		done
		out+="$(awk -v a="${v[0]}" -v b="${v[1]:-0}" -v c="${v[2]:-0}" -v d="${v[3]:-0}" "BEGIN { printf \"%.2f\", $expr }") "
	done
	echo "$out"
}
if [[ $MODE == all || $MODE == bulk ]]; then
	echo
	echo "bulk: iperf3 -t $IPERF_T through each contender, -P 1 and -P 4; CPU in % of one core (client and target: iperf3's own getrusage; proxy: /proc/PID/stat over the run)"
	echo
	hdr="| -P | measure |" sep="| ---: | --- |"
	for k in "${bnames[@]}"; do hdr+=" $k |" sep+=" ---: |"; done
	echo "$hdr"
	echo "$sep"
	declare -A cpu_tot cpu_gb px_gb
	for s in 1 4; do
		for k in "${bnames[@]}"; do
			cpu_tot[$k.$s]=$(perround 'a+b+c' "$k.$s" cpu_cl cpu_tg cpu_px)
			cpu_gb[$k.$s]=$(perround '(a+b+c)/d' "$k.$s" cpu_cl cpu_tg cpu_px gbps)
			px_gb[$k.$s]=$(perround 'a/b' "$k.$s" cpu_px gbps)
		done
		for kind in gbps cpu_cl cpu_tg cpu_px cpu_tot cpu_gb px_gb; do
			case $kind in
			gbps) label="Gbit/s" ;; cpu_cl) label="client CPU %" ;; cpu_tg) label="target CPU %" ;;
			cpu_px) label="proxy CPU %" ;; cpu_tot) label="total CPU %" ;;
			cpu_gb) label="total CPU % per Gbit/s" ;; px_gb) label="proxy CPU % per Gbit/s" ;;
			esac
			row="| $s | $label |"
			for k in "${bnames[@]}"; do row+=" $(f2 "$(m "$kind" "$k.$s")") |"; done
			echo "$row"
		done
	done
	echo
	echo "| -P | ratio | median | per round | goal |"
	echo "| ---: | --- | ---: | --- | --- |"
	for s in 1 4; do
		pairs="plink:direct haproxy:direct plink:haproxy"
		if [[ -n ${PLINK_B:-} ]]; then pairs+=" plinkB:direct plink:plinkB"; fi
		if [[ ${SOCKMAP:-0} == 1 ]]; then pairs+=" sockmap:direct sockmap:plink"; fi
		for pair in $pairs; do
			a=${pair%:*} b=${pair#*:}
			# shellcheck disable=SC2086
			rs=$(ratios "${gbps[$a.$s]}" "${gbps[$b.$s]}") && med=$(median $rs)
			case $pair in
			plink:direct) goal=">= 0.75 ($(ok "$med" 0.75 ">="))" ;;
			plink:haproxy) goal=">= 1.0 ($(ok "$med" 1.0 ">="))" ;;
			*) goal="" ;;
			esac
			echo "| $s | Gbit/s $a/$b | $med | $rs | $goal |"
		done
		if [[ -n ${PLINK_B:-} ]]; then
			# shellcheck disable=SC2086
			rs=$(ratios "${px_gb[plink.$s]}" "${px_gb[plinkB.$s]}") && med=$(median $rs)
			echo "| $s | proxy CPU per Gbit/s plink/plinkB (lower is better) | $med | $rs | |"
		fi
	done
fi
if [[ $MODE != bulk ]]; then
echo
echo "short connections: connect, write 64 B, read the echo, close; ${SHORT_T}s (at most $SHORT_N) per contender, concurrency and round; haproxy nbthread $(nproc); haproxy-src binds 127.0.0.6 to the target as plink's NLB node does"
echo
hdr="| c | measure |" sep="| ---: | --- |"
for k in "${names[@]}"; do hdr+=" $k |" sep+=" ---: |"; done
echo "$hdr"
echo "$sep"
for c in $SHORT_C; do
	for kind in rate p50 p99 cpu; do
		case $kind in rate) label="conn/s" ;; p50) label="p50 (µs)" ;; p99) label="p99 (µs)" ;; cpu) label="proxy CPU per conn (µs)" ;; esac
		row="| $c | $label |"
		for k in "${names[@]}"; do
			if [[ $kind == cpu && $k == direct ]]; then row+=" |"; else row+=" $(m "$kind" "$k.$c") |"; fi
		done
		echo "$row"
	done
done
echo
echo "| c | ratio | median | per round | goal |"
echo "| ---: | --- | ---: | --- | --- |"
for c in $SHORT_C; do
	pairs="plink:haproxy-src plink:haproxy plink-pp2:haproxy-pp2 plink-pp2:haproxy-src plink-pp2:haproxy"
	if [[ -n ${PLINK_B:-} ]]; then pairs+=" plinkB:haproxy-src plinkB-pp2:haproxy-pp2 plink:plinkB plink-pp2:plinkB-pp2"; fi
	for pair in $pairs; do
		a=${pair%:*} b=${pair#*:}
		# shellcheck disable=SC2086
		rs=$(ratios "${rate[$a.$c]}" "${rate[$b.$c]}") && med=$(median $rs)
		goal=">= 1.0 ($(ok "$med" 1.0 ">="))"
		if [[ $a == *pp2 && $b != *pp2 ]]; then goal="(HAProxy sends no header here)"; fi
		echo "| $c | rate $a/$b | $med | $rs | $goal |"
	done
	pairs="plink:haproxy-src plink:haproxy plink-pp2:haproxy-pp2"
	if [[ -n ${PLINK_B:-} ]]; then pairs+=" plinkB:haproxy-src plink:plinkB"; fi
	for pair in $pairs; do
		a=${pair%:*} b=${pair#*:}
		# shellcheck disable=SC2086
		rs=$(ratios "${cpu[$a.$c]}" "${cpu[$b.$c]}") && med=$(median $rs)
		echo "| $c | CPU per conn $a/$b (lower is better) | $med | $rs | |"
	done
done
if [[ " $SHORT_C " == *" 1 "* ]]; then
	for k in "${names[@]:1}"; do
		# shellcheck disable=SC2086
		ds=$(diffs "${p50[$k.1]}" "${p50[direct.1]}") && med=$(median $ds)
		echo "| 1 | p50 added over direct, $k (µs) | $med | $ds | plink's <= haproxy's |"
	done
fi
fi
if [[ $MODE == all ]]; then
	echo
	echo "| measure | plink | target |"
	echo "| --- | ---: | --- |"
	echo "| accept $N_RECONCILE endpoints in one call -> all listeners in the ready file (s) | $rec_accept | <= 1 s ($(ok "$rec_accept" 1 "<=")) |"
	echo "| cold start with $N_RECONCILE endpoints -> all listeners in the ready file (s) | $rec_cold | |"
	echo "| cold start with $N_SCALE endpoints -> all listeners in the ready file (s) | $scale_start | |"
	echo "| VmRSS with $N_SCALE endpoint listeners (MB) | $((rss_kb / 1024)) (VmHWM $((hwm_kb / 1024)), $fds fds) | < 300 MB ($(ok $((rss_kb / 1024)) 300 "<=")) |"
fi

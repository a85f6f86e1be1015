# bench/lib.sh: what the benchmark scripts share. Source it right after
# `set -euo pipefail`:
#
#	. "$(dirname "$0")/../lib.sh"
#
# It sets root (the repository) and work (a temporary folder, removed at
# exit unless KEEP=1), keeps pids (the processes the script started, each
# ended by PID at exit), raises the soft open-files limit to the hard one
# (hard holds it), and defines log, need, stop, wait_file and wait_port.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	if [[ ${KEEP:-0} == 1 ]]; then echo "work folder: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"
hard=$(ulimit -Hn)

log() { echo "== $*" >&2; }

# need "PACKAGES" TOOL...: exit unless every tool is installed, naming the
# Debian packages that have them.
need() {
	local pkgs=$1
	shift
	for tool in "$@"; do
		command -v "$tool" >/dev/null || { echo "$0: $tool not found (apt-get install $pkgs)" >&2; exit 1; }
	done
}

# stop PID: end one process started here and wait for it.
stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	local keep=()
	for p in "${pids[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	pids=("${keep[@]}")
}

# wait_file PATH: bounded wait until PATH is non-empty.
wait_file() {
	for _ in $(seq 300); do [[ -s $1 ]] && return 0; sleep 0.05; done
	echo "$0: $1 never appeared" >&2
	return 1
}

# wait_port HOST PORT: bounded wait until a TCP connect succeeds.
wait_port() {
	for _ in $(seq 200); do
		if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	echo "$0: nothing listens on $1:$2" >&2
	return 1
}

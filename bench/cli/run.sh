#!/usr/bin/env bash
# The CLI benchmark: wall time of describe commands run as a user runs them
# (one plink process per command) on a store of N endpoints (default
# 10,000) against the same command on a store of one endpoint. Both stores
# are built by bench/dataplane/setup through internal/control; then
# bench/cli (main.go) runs ROUNDS interleaved rounds and prints medians,
# per-round ratios and the goals (single-ID ratio <= 1.5, single-resource
# commands <= 30 ms median).
#
# Needs: go. Environment: N (default 10000), ROUNDS (default 15), PLINK (a
# prebuilt plink binary; default: build ./cmd/plink), KEEP=1 to keep the
# work folder. Nothing listens; no process outlives a command.
set -euo pipefail

N=${N:-10000}
ROUNDS=${ROUNDS:-15}

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
cleanup() { if [[ ${KEEP:-0} == 1 ]]; then echo "work folder: $work" >&2; else rm -rf "$work"; fi; }
trap cleanup EXIT
log() { echo "== $*" >&2; }

if [[ -n ${PLINK:-} ]]; then cp "$PLINK" "$work/plink"; else (cd "$root" && go build -o "$work/plink" ./cmd/plink); fi
(cd "$root" && go build -o "$work/setup" ./bench/dataplane/setup && go build -o "$work/cli" ./bench/cli)

log "building a store of $N endpoints and one of 1"
"$work/setup" build -db "$work/big.db" -n "$N" -port 80:127.0.0.1:9 >/dev/null
"$work/setup" build -db "$work/small.db" -n 1 -port 80:127.0.0.1:9 >/dev/null

log "$ROUNDS rounds"
"$work/cli" -plink "$work/plink" -big "$work/big.db" -small "$work/small.db" -rounds "$ROUNDS"

#!/usr/bin/env bash
# Stop what start.sh started in DATA_DIR: SIGTERM (the API server drains and
# closes, etcd flushes), then SIGKILL after 15 s. Data stays in DATA_DIR.
#
#   scripts/apiserver/stop.sh DATA_DIR
set -uo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DATA_DIR" >&2; exit 2; }
data=$(cd "$1" 2>/dev/null && pwd) || exit 0
pidfile=$data/pids
[ -s "$pidfile" ] || exit 0
read -r -a pids <"$pidfile"

# API server first (it is the etcd client), then etcd.
for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    # Only signal a process that is still ours (its command line names
    # DATA_DIR), not one that reused the pid after a crash.
    grep -qF "$data" "/proc/$pid/cmdline" 2>/dev/null || continue
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null
done
rm -f "$pidfile"

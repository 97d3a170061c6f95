#!/usr/bin/env bash
# Stop what start.sh DATA_DIR started: kube-apiserver first, then etcd. Each
# gets SIGTERM, then SIGKILL if still alive after STOP_TIMEOUT seconds
# (default 15). Safe to run when nothing (or only etcd) is running, e.g. after
# a start that failed halfway. Only a PID whose command line names DATA_DIR is
# signalled, so a stale PID file never hits an unrelated process.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: stop.sh DATA_DIR" >&2; exit 2; }
[ -d "$1" ] || exit 0
data=$(cd "$1" && pwd)
timeout=${STOP_TIMEOUT:-15}

ours() { # PID: alive and started for this DATA_DIR
    [ -r "/proc/$1/cmdline" ] && tr '\0' '\n' <"/proc/$1/cmdline" | grep -qF "$data/"
}

for n in kube-apiserver etcd; do
    f=$data/$n.pid
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if [[ "$pid" =~ ^[0-9]+$ ]] && ours "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq $((timeout * 10))); do
            ours "$pid" || break
            sleep 0.1
        done
        if ours "$pid"; then
            echo "stop.sh: $n (pid $pid) did not stop after ${timeout}s; sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
            for _ in $(seq 50); do ours "$pid" || break; sleep 0.1; done
        fi
    fi
    rm -f "$f"
done

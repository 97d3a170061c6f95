#!/usr/bin/env bash
# Side-by-side load benchmark on loopback over TLS: the baseline server (same HTTP/TLS stack,
# canned answer, no decision), `perimeter-guard serve` with the example perimeter, and a Rego peer
# (the same stack deciding with benches/rego/perimeter.rego on regorus), each pinned
# to CPU 0 while wrk (pinned to CPU 1, HTTP/1.1 keep-alive on 8 connections) posts the request
# mix of benches/support/reviews.rs. Prints a Markdown table and the ratios.
#   scripts/bench-load.sh [--quick]      (--quick: 5 s per server instead of 20 s)
# Needs wrk (installed from Debian's packages when missing), openssl and taskset.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=20
[ "${1:-}" = "--quick" ] && duration=5

if ! command -v wrk >/dev/null; then
  apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null
fi
export PERIMETER_GUARD_CORPUS="${PERIMETER_GUARD_CORPUS:-$(cd .. && pwd)/shared/corpus}"
cargo build -q --release --bin perimeter-guard --example baseline_server --example review_bodies \
  --example rego_peer

work=$(mktemp -d "${TMPDIR:-/tmp}/perimeter-guard-bench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
target/release/examples/review_bodies "$work/bodies"
reviews=$(wc -l < "$work/bodies/manifest.txt")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
  echo "nothing listens on $1" >&2; return 1
}

# run NAME COMMAND...: starts the server pinned to CPU 0 on $port, loads it, prints a row.
run() {
  local name=$1; shift
  taskset -c 0 "$@" >/dev/null 2>"$work/$name.log" &
  local pid=$!
  pids+=("$pid")
  wait_port "$port"
  sleep 0.3
  local out
  out=$(taskset -c 1 wrk -t1 -c8 -d"${duration}s" --latency -s benches/load/wrk-mix.lua \
    "https://127.0.0.1:$port/validate" -- "$work/bodies/manifest.txt")
  local rps p50 p99 errors rss
  rps=$(awk '/Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx or 3xx responses:/ {print $5} /Socket errors:/ {e += $4 + $6 + $8 + $10} END {print e + 0}' <<<"$out" | tail -1)
  rss=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  printf '| %s | %s | %s | %s | %s | %s MiB |\n' "$name" "$rps" "$p50" "$p99" "$errors" "$rss"
  eval "rps_$name=$rps"
}

echo "load: $reviews reviews in the mix, wrk 1 thread, 8 HTTP/1.1 keep-alive connections over TLS, ${duration}s per server; servers on CPU 0, wrk on CPU 1; $(date -u +%Y-%m-%d)"
echo
echo "| server | req/s | p50 | p99 | errors | peak RSS |"
echo "|---|---|---|---|---|---|"
port=$(free_port)
run baseline target/release/examples/baseline_server "127.0.0.1:$port" "$work/tls.crt" "$work/tls.key"
port=$(free_port)
health=$(free_port)
PERIMETER_GUARD_LOG=warn run perimeter_guard target/release/perimeter-guard serve \
  --perimeter manifests/examples/dataperimeter.yaml \
  --tls-cert-file "$work/tls.crt" --tls-key-file "$work/tls.key" \
  --listen "127.0.0.1:$port" --health-listen "127.0.0.1:$health"
port=$(free_port)
run rego_peer target/release/examples/rego_peer "127.0.0.1:$port" "$work/tls.crt" "$work/tls.key"
echo
awk -v a="$rps_perimeter_guard" -v b="$rps_baseline" -v r="$rps_rego_peer" \
  'BEGIN {printf "perimeter-guard / baseline throughput: %.2f\nperimeter-guard / Rego peer throughput: %.2f\n", a / b, a / r}'

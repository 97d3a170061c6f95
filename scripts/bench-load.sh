#!/usr/bin/env bash
# Side-by-side load benchmark on loopback over TLS, in one run:
#   baseline           the same HTTP/TLS stack answering a canned AdmissionReview (the ceiling),
#   perimeter-guard    `perimeter-guard serve` with the example perimeter (decision cache on, as
#                      shipped: the mix repeats, as controllers resend objects on every reconcile),
#   perimeter-guard, cache off   the same with --decision-cache-bytes 0 (every review reasoned),
#   Rego peer          the same stack deciding with benches/rego/perimeter.rego on regorus.
# Each server is pinned to CPU 0 and wrk to CPU 1 (one thread, 8 HTTP/1.1 keep-alive connections),
# posting the review mix of benches/support/reviews.rs. Phases per server: as fast as answered,
# then fixed 1,000 and 5,000 req/s (paced by benches/load/wrk-mix.lua). Prints Markdown tables
# and the ratios.
#   scripts/bench-load.sh [--quick]      (--quick: 4 s + 2 s + 2 s per server instead of 20/10/10)
# Needs wrk (installed from Debian's packages when missing), openssl, curl and taskset.
set -euo pipefail
cd "$(dirname "$0")/.."

max_seconds=20 fixed_seconds=10
if [ "${1:-}" = "--quick" ]; then max_seconds=4 fixed_seconds=2; fi

if ! command -v wrk >/dev/null; then
  apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null
fi
export PERIMETER_GUARD_CORPUS="${PERIMETER_GUARD_CORPUS:-$(cd .. && pwd)/shared/corpus}"
cargo build -q --release -p perimeter-guard -p perimeter-guard-load-bench --bin perimeter-guard --bin baseline_server --bin review_bodies \
  --bin rego_peer --bin start_until_ready

work=$(mktemp -d "${TMPDIR:-/tmp}/perimeter-guard-bench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# A CA and a serving certificate it signs; before each load, curl checks the chain against the CA
# (wrk itself does not verify certificates).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=perimeter-guard bench CA" -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
  -keyout "$work/tls.key" -out "$work/tls.csr" 2>/dev/null
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
  -days 1 -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1') \
  -out "$work/tls.crt" 2>/dev/null
target/release/review_bodies "$work/bodies"
reviews=$(wc -l < "$work/bodies/manifest.txt")
smallest=$(find "$work/bodies" -name 'review-*.json' -printf '%s\n' | sort -n | head -1)
largest=$(find "$work/bodies" -name 'review-*.json' -printf '%s\n' | sort -n | tail -1)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
  echo "nothing listens on $1" >&2; return 1
}

# load SECONDS RATE: one wrk phase against $port (RATE 0: as fast as answered); prints
# "req/s p50 p99 p99.9 errors" with latencies in ms.
load() {
  local out
  out=$(WRK_RATE=$2 taskset -c 1 wrk -t1 -c8 -d"$1s" -s benches/load/wrk-mix.lua \
    "https://127.0.0.1:$port/validate" -- "$work/bodies/manifest.txt")
  awk '/^RESULT/ {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "%.0f %.3f %.3f %.3f %d\n", v["requests"] / v["seconds"], v["p50"] / 1000, v["p99"] / 1000, v["p999"] / 1000, v["errors"]
  }' <<<"$out"
}

rows_max="" rows_fixed=""
# measure NAME PID KEY: loads the server on $port in the three phases, then records its peak RSS.
measure() {
  local name=$1 pid=$2 r
  curl -sf --cacert "$work/ca.crt" -o /dev/null -H 'Content-Type: application/json' \
    --data-binary @"$(head -1 "$work/bodies/manifest.txt")" "https://127.0.0.1:$port/validate" ||
    { echo "$name: the served certificate does not verify against the CA, or no answer" >&2; exit 1; }
  sleep 0.3
  r=($(load "$max_seconds" 0))
  rows_max+="| $name | ${r[0]} | ${r[1]} | ${r[2]} | ${r[3]} | ${r[4]} |"$'\n'
  eval "rps_${3}=${r[0]} p99_${3}=${r[2]}"
  for rate in 1000 5000; do
    r=($(load "$fixed_seconds" "$rate"))
    rows_fixed+="| $name | $rate | ${r[0]} | ${r[1]} | ${r[2]} | ${r[3]} | ${r[4]} |"$'\n'
    eval "fixed${rate}_p99_${3}=${r[2]} fixed${rate}_p999_${3}=${r[3]}"
  done
  local rss
  rss=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
  eval "rss_${3}=$rss"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

start_plain() {
  taskset -c 0 "$@" >/dev/null 2>"$work/$(basename "$1").log" &
  pids+=("$!")
  wait_port "$port"
}

# start_guard KEY [FLAGS...]: serve, timing process start to /readyz 200.
start_guard() {
  local key=$1; shift
  local health out
  health=$(free_port)
  out=$(PERIMETER_GUARD_LOG=warn target/release/start_until_ready "127.0.0.1:$health" \
    taskset -c 0 target/release/perimeter-guard serve \
    --perimeter manifests/examples/dataperimeter.yaml \
    --tls-cert-file "$work/tls.crt" --tls-key-file "$work/tls.key" \
    --listen "127.0.0.1:$port" --health-listen "127.0.0.1:$health" "$@" 2>"$work/$key.log")
  guard_pid=${out% *}
  pids+=("$guard_pid")
  eval "ready_${key}=${out#* }"
}

port=$(free_port); start_plain target/release/baseline_server "127.0.0.1:$port" "$work/tls.crt" "$work/tls.key"
measure "baseline (canned answer)" "${pids[-1]}" baseline
port=$(free_port); start_guard guard
measure "perimeter-guard serve" "$guard_pid" guard
port=$(free_port); start_guard uncached --decision-cache-bytes 0
measure "perimeter-guard serve, cache off" "$guard_pid" uncached
port=$(free_port); start_plain target/release/rego_peer "127.0.0.1:$port" "$work/tls.crt" "$work/tls.key"
measure "Rego peer (regorus)" "${pids[-1]}" rego

echo "load ($(date -u +%Y-%m-%d), $(git rev-parse --short HEAD 2>/dev/null || echo unknown)): $reviews reviews of $smallest to $largest bytes in the mix; wrk $(wrk -v 2>&1 | awk 'NR == 1 {print $2}'), 1 thread, 8 HTTP/1.1 keep-alive connections over TLS; servers on CPU 0, wrk on CPU 1; $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo
echo "As fast as answered (${max_seconds} s), latencies in ms:"
echo
echo "| server | req/s | p50 | p99 | p99.9 | errors |"
echo "|---|---|---|---|---|---|"
printf '%s' "$rows_max"
echo
echo "Fixed rates (${fixed_seconds} s each), latencies in ms:"
echo
echo "| server | offered req/s | answered req/s | p50 | p99 | p99.9 | errors |"
echo "|---|---|---|---|---|---|---|"
printf '%s' "$rows_fixed"
echo
echo "Peak RSS after all phases: baseline ${rss_baseline} MiB, perimeter-guard ${rss_guard} MiB, cache off ${rss_uncached} MiB, Rego peer ${rss_rego} MiB."
echo "Process start to /readyz 200: perimeter-guard ${ready_guard} ms (cache off: ${ready_uncached} ms)."
echo
awk -v g="$rps_guard" -v u="$rps_uncached" -v b="$rps_baseline" -v r="$rps_rego" \
  -v gp="$fixed1000_p99_guard" -v bp="$fixed1000_p99_baseline" -v up="$fixed1000_p99_uncached" \
  -v g9="$fixed1000_p999_guard" -v u9="$fixed1000_p999_uncached" 'BEGIN {
  printf "| ratio | perimeter-guard | cache off | target |\n|---|---|---|---|\n"
  printf "| throughput / baseline | %.2f | %.2f | >= 0.30 |\n", g / b, u / b
  printf "| throughput / Rego peer | %.2f | %.2f | >= 3 |\n", g / r, u / r
  printf "| p99 at 1,000 req/s / baseline p99 | %.2f | %.2f | <= 2 |\n", gp / bp, up / bp
  printf "| p99.9 at 1,000 req/s | %.3f ms | %.3f ms | < 5 ms |\n", g9, u9
}'

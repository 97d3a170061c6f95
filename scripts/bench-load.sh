#!/usr/bin/env bash
# Side-by-side load benchmark on loopback over TLS, in one run: three request mixes, each sent to
#   baseline           the same HTTP/TLS stack answering a canned AdmissionReview (the ceiling),
#   perimeter-guard    `perimeter-guard serve` with the example perimeter, as shipped,
#   Rego peer          the same stack deciding with benches/rego/perimeter.rego on regorus.
# The mixes (benches/load/src/bin/review_bodies.rs) are made of the same checked objects:
#   repeat     the same review bodies again and again (what a benchmark sends),
#   reconcile  UPDATEs whose resourceVersion and an annotation change on every request, nothing a
#              rule reads does (what controllers send in the steady state),
#   cold       every policy carries one more neutral Deny statement, different on every request
#              (new policy text, same verdict: a rollout).
# Each server is started afresh per mix, pinned to CPU 0, and wrk to CPU 1 (one thread, 16
# HTTP/1.1 keep-alive connections). Phases: as fast as answered, with the server's CPU time (user +
# system from /proc/PID/stat) per answered request; then fixed 1,000 and 5,000 req/s (paced by
# benches/load/wrk-mix.lua); peak RSS (VmHWM) after all three. Prints Markdown tables and the ratios.
#   scripts/bench-load.sh [--quick]      (--quick: 4 s + 2 s + 2 s per phase instead of 20/10/10)
# Needs wrk (installed from Debian's packages when missing), openssl, curl and taskset.
set -euo pipefail
cd "$(dirname "$0")/.."

max_seconds=20 fixed_seconds=10
if [ "${1:-}" = "--quick" ]; then max_seconds=4 fixed_seconds=2; fi

if ! command -v wrk >/dev/null; then
  apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null
fi
export PERIMETER_GUARD_CORPUS="${PERIMETER_GUARD_CORPUS:-$(cd .. && pwd)/shared/corpus}"
# As the image and the chart run the server (every server here uses mimalloc): freed pages go back
# to the system at once, and no transparent huge pages.
export MIMALLOC_PURGE_DELAY=0 MIMALLOC_ALLOW_THP=0
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
mixes=(repeat reconcile cold)
objects=$(wc -l < "$work/bodies/reconcile/manifest.txt")
smallest=$(find "$work/bodies" -name 'review-*.json' -printf '%s\n' | sort -n | head -1)
largest=$(find "$work/bodies" -name 'review-*.json' -printf '%s\n' | sort -n | tail -1)
ticks=$(getconf CLK_TCK)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
  echo "nothing listens on $1" >&2; return 1
}
# cpu_ticks PID: the process's user + system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# load SECONDS RATE MIX: one wrk phase against $port (RATE 0: as fast as answered); prints
# "requests seconds p50 p99 p99.9 errors" with latencies in ms.
load() {
  local out
  out=$(WRK_RATE=$2 taskset -c 1 wrk -t1 -c16 -d"$1s" -s benches/load/wrk-mix.lua \
    "https://127.0.0.1:$port/validate" -- "$work/bodies/$3/manifest.txt")
  awk '/^RESULT/ {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "%d %.3f %.3f %.3f %.3f %d\n", v["requests"], v["seconds"], v["p50"] / 1000, v["p99"] / 1000, v["p999"] / 1000, v["errors"]
  }' <<<"$out"
}

rows_max="" rows_fixed=""
# measure NAME PID KEY MIX: loads the server on $port in the three phases, then records its peak
# RSS and stops it. Results land in variables named after KEY and MIX.
measure() {
  local name=$1 pid=$2 key=$3 mix=$4 r before after rps cpu rss
  # The first body with every marker filled, so the check sends a review the server can parse.
  sed 's/@@SEQ@@/0/g' "$(head -1 "$work/bodies/$mix/manifest.txt")" > "$work/first.json"
  curl -sf --cacert "$work/ca.crt" -o /dev/null -H 'Content-Type: application/json' \
    --data-binary @"$work/first.json" "https://127.0.0.1:$port/validate" ||
    { echo "$name: the served certificate does not verify against the CA, or no answer" >&2; exit 1; }
  sleep 0.3
  before=$(cpu_ticks "$pid")
  r=($(load "$max_seconds" 0 "$mix"))
  after=$(cpu_ticks "$pid")
  rps=$(awk -v n="${r[0]}" -v s="${r[1]}" 'BEGIN {printf "%.0f", n / s}')
  cpu=$(awk -v t=$((after - before)) -v hz="$ticks" -v n="${r[0]}" 'BEGIN {printf "%.1f", t / hz / n * 1e6}')
  for rate in 1000 5000; do
    local f
    f=($(load "$fixed_seconds" "$rate" "$mix"))
    rows_fixed+="| $mix | $name | $rate | $(awk -v n="${f[0]}" -v s="${f[1]}" 'BEGIN {printf "%.0f", n / s}') | ${f[2]} | ${f[3]} | ${f[4]} | ${f[5]} |"$'\n'
    eval "p99_${rate}_${key}_${mix}=${f[3]} p999_${rate}_${key}_${mix}=${f[4]}"
  done
  rss=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
  rows_max+="| $mix | $name | $rps | $cpu | ${r[2]} | ${r[3]} | ${r[4]} | ${r[5]} | $rss |"$'\n'
  eval "rps_${key}_${mix}=$rps cpu_${key}_${mix}=$cpu rss_${key}_${mix}=$rss"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

start_plain() {
  taskset -c 0 "$@" >/dev/null 2>"$work/$(basename "$1").log" &
  pids+=("$!")
  wait_port "$port"
}

# start_guard KEY: serve, timing process start to /readyz 200.
start_guard() {
  local key=$1 health out
  health=$(free_port)
  out=$(PERIMETER_GUARD_LOG=warn target/release/start_until_ready "127.0.0.1:$health" \
    taskset -c 0 target/release/perimeter-guard serve \
    --perimeter manifests/examples/dataperimeter.yaml \
    --tls-cert-file "$work/tls.crt" --tls-key-file "$work/tls.key" \
    --listen "127.0.0.1:$port" --health-listen "127.0.0.1:$health" 2>"$work/$key.log")
  guard_pid=${out% *}
  pids+=("$guard_pid")
  ready_ms=${out#* }
}

for mix in "${mixes[@]}"; do
  port=$(free_port); start_plain target/release/baseline_server "127.0.0.1:$port" "$work/tls.crt" "$work/tls.key"
  measure "baseline (canned answer)" "${pids[-1]}" baseline "$mix"
  port=$(free_port); start_guard guard
  measure "perimeter-guard serve" "$guard_pid" guard "$mix"
  port=$(free_port); start_plain target/release/rego_peer "127.0.0.1:$port" "$work/tls.crt" "$work/tls.key"
  measure "Rego peer (regorus)" "${pids[-1]}" rego "$mix"
done

echo "load ($(date -u +%Y-%m-%d), $(git rev-parse --short HEAD 2>/dev/null || echo unknown)): $objects objects, reviews of $smallest to $largest bytes; wrk $(wrk -v 2>&1 | awk 'NR == 1 {print $2}'), 1 thread, 16 HTTP/1.1 keep-alive connections over TLS; servers on CPU 0, wrk on CPU 1; $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo
echo "As fast as answered (${max_seconds} s); server CPU per answered request in µs; latencies in ms; peak RSS after all phases in MiB:"
echo
echo "| mix | server | req/s | CPU per request | p50 | p99 | p99.9 | errors | peak RSS |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s' "$rows_max"
echo
echo "Fixed rates (${fixed_seconds} s each), latencies in ms:"
echo
echo "| mix | server | offered req/s | answered req/s | p50 | p99 | p99.9 | errors |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s' "$rows_fixed"
echo
echo "perimeter-guard: process start to /readyz 200 in ${ready_ms} ms (last start)."
echo
echo "Ratios to the baseline, same run (the ratio is the lower of throughput and CPU per request):"
echo
echo "| mix | throughput | CPU per request | ratio | target | p99 at 1,000 req/s / baseline's | p99.9 at 1,000 / 5,000 req/s | throughput / Rego peer | peak RSS |"
echo "|---|---|---|---|---|---|---|---|---|"
for mix in "${mixes[@]}"; do
  case $mix in repeat) target=0.80 ;; reconcile) target=0.40 ;; cold) target=0.25 ;; esac
  eval "g=\$rps_guard_$mix b=\$rps_baseline_$mix r=\$rps_rego_$mix gc=\$cpu_guard_$mix bc=\$cpu_baseline_$mix"
  eval "gp=\$p99_1000_guard_$mix bp=\$p99_1000_baseline_$mix g9=\$p999_1000_guard_$mix g95=\$p999_5000_guard_$mix rss=\$rss_guard_$mix"
  awk -v mix="$mix" -v g="$g" -v b="$b" -v r="$r" -v gc="$gc" -v bc="$bc" -v gp="$gp" -v bp="$bp" \
    -v g9="$g9" -v g95="$g95" -v rss="$rss" -v target="$target" 'BEGIN {
    t = g / b; c = bc / gc; low = t < c ? t : c
    printf "| %s | %.2f | %.2f | **%.2f** | >= %s | %.2f | %.3f / %.3f ms | %.1f | %s MiB |\n", mix, t, c, low, target, gp / bp, g9, g95, g / r, rss
  }'
done

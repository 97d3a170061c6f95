#!/usr/bin/env bash
# Where `perimeter-guard serve` spends its CPU under one mix of the load benchmark: the server on
# CPU 0 (release profile with line tables and frame pointers), wrk on CPU 1 sending the mix as fast as answered
# (16 connections), `perf record -g` on the server meanwhile; prints the shares of the parts of the
# request path (TLS, HTTP, the review's JSON, the caches, adaptation, the rules, the reasoner,
# the reply, the allocator, the kernel).
#   scripts/profile-load.sh MIX [SECONDS]      (MIX: repeat, reconcile or cold; default 15 s)
# PERF_DATA=FILE keeps the recording; PERF_DATA_IN=FILE classifies an earlier one instead of
# recording (to compare commits with one classification).
# Needs perf, wrk, openssl and taskset.
set -euo pipefail
cd "$(dirname "$0")/.."
mix=${1:?usage: scripts/profile-load.sh repeat|reconcile|cold [SECONDS]}
seconds=${2:-15}

work=$(mktemp -d "${TMPDIR:-/tmp}/perimeter-guard-profile.XXXXXX")
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${PERF_DATA_IN:-}" ]; then
  cp "$PERF_DATA_IN" "$work/perf.data"
else
export PERIMETER_GUARD_CORPUS="${PERIMETER_GUARD_CORPUS:-$(cd .. && pwd)/shared/corpus}"
# As the image and the chart run the server.
export MIMALLOC_PURGE_DELAY=0 MIMALLOC_ALLOW_THP=0
# Frame pointers, so perf's stacks reach the request path; built apart from the release binary.
export CARGO_TARGET_DIR=target/profiling
CARGO_PROFILE_RELEASE_DEBUG=line-tables-only RUSTFLAGS="-C force-frame-pointers=yes" \
  cargo build -q --release -p perimeter-guard -p perimeter-guard-load-bench \
  --bin perimeter-guard --bin review_bodies
bin=$CARGO_TARGET_DIR/release

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
"$bin/review_bodies" "$work/bodies"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
health=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PERIMETER_GUARD_LOG=warn taskset -c 0 "$bin/perimeter-guard" serve \
  --perimeter manifests/examples/dataperimeter.yaml \
  --tls-cert-file "$work/tls.crt" --tls-key-file "$work/tls.key" \
  --listen "127.0.0.1:$port" --health-listen "127.0.0.1:$health" 2>"$work/serve.log" &
server=$!
for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

# One pass first, so the profile is of the steady state rather than the first sight of each body.
taskset -c 1 wrk -t1 -c16 -d2s -s benches/load/wrk-mix.lua "https://127.0.0.1:$port/validate" \
  -- "$work/bodies/$mix/manifest.txt" >/dev/null
perf record -q -e cpu-clock -g -p "$server" -o "$work/perf.data" -- sleep "$seconds" 2>/dev/null &
recording=$!
taskset -c 1 wrk -t1 -c16 -d"${seconds}s" -s benches/load/wrk-mix.lua \
  "https://127.0.0.1:$port/validate" -- "$work/bodies/$mix/manifest.txt" | grep RESULT
wait "$recording"
fi

[ -n "${PERF_DATA:-}" ] && cp "$work/perf.data" "$PERF_DATA"

# Each sample is counted once, for the first part on this list found anywhere on its stack (so the
# reasoner's share includes the allocations it makes); the allocator's and the kernel's shares
# are also given on their own, by the innermost frame.
perf script -i "$work/perf.data" -F ip,sym 2>/dev/null | awk -v mix="$mix" '
BEGIN {
  n = split("reasoner rules adaptation facts-key caches reply review-json logs-metrics TLS HTTP tokio", order, " ")
  name["reasoner"] = "reasoning (iam::reasoner)"
  name["rules"] = "the rules, outside the reasoner"
  name["adaptation"] = "adaptation (resources::)"
  name["facts-key"] = "the facts key (formatting the facts)"
  name["caches"] = "the caches (hashing, lookups)"
  name["reply"] = "the reply (building and writing the AdmissionReview)"
  name["review-json"] = "the review'"'"'s JSON (parsing the envelope and the object)"
  name["logs-metrics"] = "logs and metrics"
  name["TLS"] = "TLS (rustls, the ciphers)"
  name["HTTP"] = "HTTP (hyper, axum)"
  name["tokio"] = "tokio (tasks, the blocking pool hand-off)"
}
function part(sym) {
  if (sym ~ /iam::reasoner/) return "reasoner"
  if (sym ~ /perimeter::rules|perimeter::catalog/) return "rules"
  if (sym ~ /facts_text|core::fmt/) return "facts-key"
  if (sym ~ /perimeter_guard::resources|admission::facts_unchanged/) return "adaptation"
  if (sym ~ /admission::cache|facts_cache|quick_cache|siphash|SipHasher|hash::Hasher/) return "caches"
  if (sym ~ /Deserializ|serde_json::de::|serde_json::read::|admission::envelope/) return "review-json"
  if (sym ~ /serde_json::ser::|Serialize|router::answer|into_review|denial_message/) return "reply"
  if (sym ~ /serde_json/) return "review-json"
  if (sym ~ /tracing|prometheus|metrics::Metrics/) return "logs-metrics"
  if (sym ~ /rustls|aws_lc|ring::|_aesni|gcm|aes_|chacha|sha256|p256|ecp_/) return "TLS"
  if (sym ~ /hyper|axum|tower|::http::|h2::/) return "HTTP"
  if (sym ~ /tokio/) return "tokio"
  return ""
}
function flush(   i, p, q, k) {
  if (!depth) return
  total++
  if (kernel) kern++
  if (frame[1] ~ /^(mi_|_mi_|malloc|free|realloc|calloc|__rust_alloc|__rust_dealloc|__rust_realloc|__memcpy|__memmove|__memset|alloc::raw_vec)/) alloc++
  best = 0
  for (i = 1; i <= depth; i++) {
    q = part(frame[i])
    if (q == "") continue
    for (k = 1; k <= n; k++) if (order[k] == q && (best == 0 || k < best)) best = k
  }
  if (best) share[order[best]]++
  else if (kernel) share["kernel"]++
  else { share["other"]++; other[frame[1]]++ }
  depth = 0; kernel = 0
}
/^[[:space:]]*$/ { flush(); next }
{
  sym = $2; for (i = 3; i <= NF; i++) sym = sym " " $i
  if (depth == 0 && $1 ~ /^ffffffff/) kernel = 1
  frame[++depth] = sym
}
END {
  flush()
  name["kernel"] = "the kernel outside those (network, scheduling)"
  name["other"] = "other"
  printf "profile of the %s mix: %d samples\n\n| part of the request path | share of the server'"'"'s CPU |\n|---|---|\n", mix, total
  for (k = 1; k <= n; k++) if (share[order[k]]) printf "| %s | %.1f %% |\n", name[order[k]], 100 * share[order[k]] / total
  printf "| %s | %.1f %% |\n| %s | %.1f %% |\n", name["kernel"], 100 * share["kernel"] / total, name["other"], 100 * share["other"] / total
  printf "\nBy innermost frame: the allocator and memory copies %.1f %%, the kernel %.1f %%.\n", 100 * alloc / total, 100 * kern / total
  printf "\nLargest of other:\n"
  for (s in other) printf "%6d %s\n", other[s], s | "sort -rn | head -12"
}'

#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ (libFuzzer, a nightly compiler), seeded from the shared
# corpus and the project's own fixtures, read where they are at fuzz time.
#   scripts/fuzz.sh [SECONDS] [TARGET...]   (default: 60 s for every target)
# The growing corpus, crash artefacts and a log of executions per run live in
# ~/.cache/perimeter-guard/fuzz/. Prints one line per target: executions, speed, findings.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(policy_parse reasoner structured_policy admission_review check_input)

corpus_root="${PERIMETER_GUARD_CORPUS:-$(cd .. && pwd)/shared/corpus}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/perimeter-guard/fuzz"
mkdir -p "$cache"

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi
toolchain=${FUZZ_TOOLCHAIN:-nightly}
# Rust without `unsafe` in this crate: no address sanitiser (it would only slow the search);
# panics, arithmetic overflow (debug assertions stay on) and timeouts are the findings.
(cd fuzz && cargo "+$toolchain" fuzz build -s none --debug-assertions >/dev/null)

# AdmissionReview seeds are built from the manifests at fuzz time, not stored.
reviews="$cache/seeds/admission_review"
if [ ! -s "$reviews/manifest.txt" ]; then
  PERIMETER_GUARD_CORPUS="$corpus_root" cargo run -q --release -p perimeter-guard-load-bench --bin review_bodies -- "$reviews"
fi

seeds() {
  case $1 in
    policy_parse) echo "$corpus_root/policies $repo/examples/simulate" ;;
    reasoner) echo "" ;;
    structured_policy) echo "$corpus_root/manifests/crossplane-classic $repo/manifests/examples" ;;
    admission_review) echo "$reviews" ;;
    check_input) echo "$corpus_root/manifests $repo/manifests/examples" ;;
  esac
}

for target in "${targets[@]}"; do
  mkdir -p "$cache/corpus/$target" "$cache/artifacts/$target"
  log="$cache/$target.last.log"
  status=0
  # shellcheck disable=SC2046 # the seed directories are split on purpose
  (cd fuzz && cargo "+$toolchain" fuzz run -s none --debug-assertions "$target" \
    "$cache/corpus/$target" $(seeds "$target") -- \
    -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$cache/artifacts/$target/" -print_final_stats=1) >"$log" 2>&1 || status=$?
  runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
  speed=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log" | tail -1)
  found=$(find "$cache/artifacts/$target" -type f | wc -l)
  echo "$(date -u +%FT%TZ) $target seconds=$seconds executions=${runs:-0} per_second=${speed:-0} exit=$status artefacts=$found" |
    tee -a "$cache/history.log"
  if [ "$status" -ne 0 ]; then
    echo "$target: finding (see $log and $cache/artifacts/$target)" >&2
  fi
done

#!/usr/bin/env bash
# Instructions per admission review under callgrind: the whole handler deciding each review of
# the benchmark mix from scratch, and answering it from a warm decision cache. Instruction counts
# hardly move between runs on a noisy machine, unlike times; compare them across commits.
#   scripts/bench-instructions.sh
# Needs valgrind (installed from Debian's packages when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
  apt-get update -q >/dev/null && apt-get install -y -q valgrind >/dev/null
fi
export PERIMETER_GUARD_CORPUS="${PERIMETER_GUARD_CORPUS:-$(cd .. && pwd)/shared/corpus}"
cargo build -q --release -p perimeter-guard-load-bench --bin handler_instructions
work=$(mktemp -d "${TMPDIR:-/tmp}/perimeter-guard-instructions.XXXXXX")
trap 'rm -rf "$work"' EXIT

count() {
  valgrind --tool=callgrind --callgrind-out-file="$work/$1.out" --toggle-collect="*$1*" \
    target/release/handler_instructions >"$work/$1.stdout" 2>"$work/$1.log"
  awk '/^(summary|totals):/ {print $2; exit}' "$work/$1.out"
}
evaluate=$(count evaluate_every_review)
cached=$(count answer_every_review_from_cache)
facts=$(count answer_every_resent_review_from_facts)
reviews=$(sed -n 's/^reviews=\([0-9]*\).*/\1/p' "$work/evaluate_every_review.stdout")
echo "instructions per review ($reviews reviews in the mix, $(date -u +%Y-%m-%d), $(git rev-parse --short HEAD)):"
awk -v e="$evaluate" -v c="$cached" -v f="$facts" -v n="$reviews" 'BEGIN {
  printf "  evaluated (cache miss): %d\n  answered from the cache: %d\n  resent, answered by its facts: %d\n", e / n, c / n, f / n }'

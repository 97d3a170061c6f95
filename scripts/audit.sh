#!/usr/bin/env bash
# Security advisories for every crate in Cargo.lock, by both RustSec tools:
#   cargo deny check advisories   (policy in deny.toml: vulnerabilities, unmaintained, unsound, yanked)
#   cargo audit                   (policy in .cargo/audit.toml)
# Both read the RustSec advisory database, which they clone from github.com/rustsec/advisory-db;
# scripts/test.sh runs this first and, where the database is unreachable, says that advisories
# were not checked and goes on with the offline checks.
set -euo pipefail
cd "$(dirname "$0")/.."

# Exit status 3: the database cannot be fetched, so nothing was checked (scripts/test.sh says so
# and goes on; any other failure fails it).
if ! timeout 30 git ls-remote https://github.com/rustsec/advisory-db HEAD >/dev/null 2>&1; then
  echo "audit: the RustSec advisory database (github.com/rustsec/advisory-db) is unreachable;" >&2
  echo "audit: no advisory was checked" >&2
  exit 3
fi

cache="${XDG_CACHE_HOME:-$HOME/.cache}/perimeter-guard"
tools="$cache/tools"
for tool in cargo-deny@0.20.2 cargo-audit@0.22.2; do
  if [ ! -x "$tools/bin/${tool%@*}" ]; then
    echo "== building $tool (cached after the first build)"
    cargo install --quiet --locked --root "$tools" "$tool"
  fi
done

echo "== cargo deny check advisories"
"$tools/bin/cargo-deny" check advisories
echo "== cargo audit"
"$tools/bin/cargo-audit" audit

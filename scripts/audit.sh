#!/usr/bin/env bash
# Security advisories for every crate in Cargo.lock, by both RustSec tools:
#   cargo deny check advisories   (policy in deny.toml: vulnerabilities, unmaintained, unsound, yanked)
#   cargo audit                   (policy in .cargo/audit.toml)
#
# Where GitHub cannot be reached (builds that reach only the package registries), the tools cannot
# download the RustSec database themselves. A read-only snapshot of it sits beside the repository
# (../shared/advisory-db, or the copy named by PERIMETER_GUARD_ADVISORY_DB) and is the floor: every
# run checks against at least that. Where github.com/rustsec/advisory-db is reachable, a fresh
# clone of it is used instead. Both tools always run offline against one local copy, so a run
# never depends on the tools' own fetching and always says which database it checked and how old
# it is. An old snapshot still fails the run on every advisory it holds; only a newer database
# finds newer ones, so refresh the snapshot when the age it prints grows.
#
# Exit status: 0 no advisory applies; 1 advisories found (or a tool failed: its output says
# which); 2 the check could not run (e.g. Cargo.lock is out of date with Cargo.toml); 3 no
# database at all (no snapshot and no network), so nothing was checked: scripts/test.sh says so
# loudly and goes on.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${XDG_CACHE_HOME:-$HOME/.cache}/perimeter-guard"
tools="$cache/tools"
dbs="$cache/advisory-db"
db_url=https://github.com/rustsec/advisory-db
# cargo-deny 0.20 reads each database in deny.toml's db-urls from <db-path>/<name>, where <name> is
# the URL's last segment and a hash of the URL; this is the name for the URL above, which must be
# deny.toml's only db-urls entry. cargo-audit is pointed at the same directory.
db_name=advisory-db-3157b0e258782691

step_start=0
step() { echo "== $*"; step_start=$(date +%s%N); }
took() { local ms=$((($(date +%s%N) - step_start) / 1000000)); printf '   (%d.%01ds)\n' $((ms / 1000)) $((ms % 1000 / 100)); }

if ! grep -Eq "^db-urls = \[\"$db_url\"\]" deny.toml; then
  echo "audit: deny.toml's [advisories] db-urls must be [\"$db_url\"] (see db_name in $0)" >&2
  exit 2
fi

for tool in cargo-deny@0.20.2 cargo-audit@0.22.2; do
  name=${tool%@*} version=${tool#*@}
  if [ "$("$tools/bin/$name" --version 2>/dev/null)" != "$name $version" ]; then
    step "building $tool (cached after the first build; several minutes)"
    # In cargo's own temporary directory, never in a CARGO_TARGET_DIR shared with other builds.
    env -u CARGO_TARGET_DIR cargo install --quiet --locked --force --root "$tools" "$tool"
    took
  fi
done

# --- Which database: a fresh network clone if GitHub answers, otherwise the snapshot. -----------
root=""      # cargo-deny's db-path; the database itself is $root/$db_name
db_label=""  # what the run says it checked
db_date=""   # YYYY-MM-DD the database was last updated, for its age

step "advisory database"
if timeout 30 git ls-remote "$db_url" HEAD >/dev/null 2>&1; then
  net="$dbs/network/$db_name"
  mkdir -p "$dbs/network"
  if { [ -d "$net/.git" ] \
         && timeout 300 git -C "$net" fetch --quiet --depth 1 origin HEAD \
         && git -C "$net" reset --quiet --hard FETCH_HEAD; } \
     || { rm -rf "$net" && timeout 300 git clone --quiet --depth 1 "$db_url" "$net"; }; then
    root="$dbs/network"
    db_date=$(git -C "$net" log -1 --format=%cs)
    db_label="network: $db_url at $(git -C "$net" log -1 --format=%H) ($db_date)"
  else
    echo "audit: $db_url answers but could not be fetched; using the snapshot" >&2
  fi
fi

if [ -z "$root" ]; then
  snapshot="${PERIMETER_GUARD_ADVISORY_DB:-$(cd .. && pwd)/shared/advisory-db}"
  if [ ! -d "$snapshot/crates" ]; then
    echo "audit: no RustSec advisory database: $db_url is unreachable and there is no snapshot at" >&2
    echo "audit: $snapshot (set PERIMETER_GUARD_ADVISORY_DB to a copy); NO ADVISORY WAS CHECKED" >&2
    exit 3
  fi
  # Which upstream commit and date the snapshot is: its README says, or its own git history.
  if [ -e "$snapshot/.git" ]; then
    commit=$(git -C "$snapshot" log -1 --format=%H)
    db_date=$(git -C "$snapshot" log -1 --format=%cs)
  else
    commit=$(grep -oE '\b[0-9a-f]{40}\b' "$snapshot/README.md" 2>/dev/null | head -n 1 || true)
    db_date=$(grep -oE '\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b' "$snapshot/README.md" 2>/dev/null | head -n 1 || true)
  fi
  if [ -z "$db_date" ]; then  # undated: the newest advisory in it is the best age there is
    db_date=$(grep -rhoE '^date = "[0-9]{4}-[0-9]{2}-[0-9]{2}"' "$snapshot/crates" | cut -d'"' -f2 | sort | tail -n 1)
  fi
  commit=${commit:-unknown}
  db_label="snapshot: $snapshot, upstream commit $commit ($db_date)"

  # The tools want a git repository (cargo-deny reads its HEAD), so the snapshot is copied into
  # the cache and committed there, dated as the snapshot. The copy is keyed by the snapshot's
  # content and redone only when that changes.
  key=$(cd "$snapshot" && find . -path ./.git -prune -o -type f -print0 | LC_ALL=C sort -z \
          | xargs -0 sha256sum | sha256sum | cut -c1-12)
  root="$dbs/snapshot-${commit:0:12}-$key"
  if [ ! -d "$root/$db_name/.git" ]; then
    echo "   copying the snapshot into $root"
    mkdir -p "$dbs"
    tmp=$(mktemp -d "$dbs/.tmp.XXXXXX")
    mkdir "$tmp/$db_name"
    tar -C "$snapshot" --exclude=./.git -cf - . | tar -C "$tmp/$db_name" -xf -
    chmod -R u+w "$tmp/$db_name"
    (
      cd "$tmp/$db_name"
      export GIT_AUTHOR_DATE="${db_date}T00:00:00Z" GIT_COMMITTER_DATE="${db_date}T00:00:00Z"
      git -c init.defaultBranch=main init --quiet
      git add -A
      git -c user.name="RustSec advisory-db snapshot" -c user.email=snapshot@invalid \
        -c commit.gpgsign=false -c core.hooksPath=/dev/null \
        commit --quiet -m "RustSec advisory-db snapshot, upstream commit $commit ($db_date)"
    )
    find "$dbs" -mindepth 1 -maxdepth 1 -name 'snapshot-*' -exec rm -rf {} +
    mv "$tmp" "$root"
  fi
fi

age=$((($(date -u +%s) - $(date -u -d "$db_date" +%s)) / 86400))
echo "   database: $db_label"
echo "   age: $age days (on $(date -u +%F))"
if [ "$age" -gt 90 ]; then
  echo "   WARNING: the advisory database is more than 90 days old; advisories published since are not checked"
fi
took

# --- The crate graph. -----------------------------------------------------------------------------
# cargo-deny resolves the graph with `cargo metadata --frozen`, which needs every crate in
# Cargo.lock (all platforms) downloaded. crates.io is reachable, so fetch them; this also brings
# cargo's local crates.io index up to date, which is what both tools' yanked checks read.
step "cargo fetch --locked"
if ! cargo fetch --locked --quiet; then
  echo "audit: cargo fetch failed; going on with what is already downloaded" >&2
fi
if ! cargo metadata --frozen --format-version 1 >/dev/null; then
  echo "audit: the crate graph cannot be resolved offline from Cargo.lock (is it out of date with" >&2
  echo "audit: Cargo.toml, or are crates missing?); NO ADVISORY WAS CHECKED" >&2
  exit 2
fi
took

# --- The checks. Both always run, so one run lists everything either finds. ----------------------
status=0

# --frozen: --locked (Cargo.lock is checked as committed, never rewritten) and --offline (the
# database at db-path is read, not fetched; yanked status comes from cargo's local index cache).
step "cargo deny check advisories"
PERIMETER_GUARD_DENY_DB_PATH="$root" "$tools/bin/cargo-deny" --frozen check advisories || status=1
took

# --no-fetch: the database given is read, not fetched, and the crates.io index is not updated
# (yanked status comes from cargo's local index cache; .cargo/audit.toml says the same).
step "cargo audit"
"$tools/bin/cargo-audit" audit --db "$root/$db_name" --no-fetch || status=1
took

echo "== advisories: $([ "$status" = 0 ] && echo "none apply" || echo "FOUND (see above)") ($db_label, $age days old)"
exit "$status"

#!/usr/bin/env bash
# Re-pin build.sh to what Debian sid has now, for when build.sh reports that
# a pinned version is gone from sid (or to move to newer Kubernetes sources).
#
#   scripts/apiserver/update-pins.sh      # rewrites PINS and GO_DIR in build.sh
#
# It downloads the whole dependency closure of the Kubernetes -dev packages
# (~300 packages, ~270 MB, into a temporary folder), asks `go list -deps`
# which Go packages testapiserver really compiles, and pins exactly the
# Debian packages holding them, plus the Go toolchain sid's golang-go uses.
# Then run build.sh and selftest.sh: a newer k8s.io/apiserver may need
# changes to main.go.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/apiserver-pins.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$work/log
quiet() { "$@" >>"$log" 2>&1 || { tail -n 30 "$log" >&2; echo "update-pins.sh: failed: $*" >&2; exit 1; }; }

mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/debs" "$work/root" "$work/gopath"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main" \
    >"$work/apt/sources.list"
A=(-o "Dir::Etc::SourceList=$work/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
    -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache"
    -o APT::Architecture=amd64 -o APT::Sandbox::User=root -o Acquire::Languages=none)
quiet apt-get "${A[@]}" -q update

# Every golang-* package the Kubernetes libraries depend on, and the toolchain.
mapfile -t pkgs < <(apt-cache "${A[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances golang-go golang-k8s-apiextensions-apiserver-dev \
    golang-k8s-apiserver-dev golang-k8s-client-go-dev golang-k8s-component-base-dev |
    grep -E '^golang-' | sort -u | grep -vxE 'golang-(any|go|src|doc|golang-x-tools)')
(cd "$work/debs" && quiet apt-get "${A[@]}" -q download "${pkgs[@]}")
for f in "$work"/debs/*.deb; do
    quiet dpkg-deb -x "$f" "$work/root"
done

goroot=$(find "$work/root/usr/lib" -maxdepth 1 -name 'go-1.*' | sort -V | tail -n 1)
[ -x "$goroot/bin/go" ] || { echo "update-pins.sh: no Go toolchain in the closure" >&2; exit 1; }
ln -s "$work/root/usr/share/gocode/src" "$work/gopath/src"
# Folders (relative to the GOPATH src) of the non-standard packages compiled.
env -i PATH="$PATH" HOME="$HOME" GOROOT="$goroot" GOPATH="$work/gopath:$here" GO111MODULE=off \
    GOTOOLCHAIN=local GOPROXY=off GOENV=off GOFLAGS= CGO_ENABLED=0 GOCACHE="$work/gocache" \
    "$goroot/bin/go" list -deps -f '{{if not .Standard}}{{.Dir}}{{end}}' perimeterguard.io/testapiserver \
    2>>"$log" | sed -n "s#^$work/gopath/src/##p" | sort -u >"$work/dirs" ||
    { tail -n 30 "$log" >&2; echo "update-pins.sh: go list failed (main.go may need changes)" >&2; exit 1; }

# Pin each package that ships a .go file in one of those folders.
pins=()
for f in "$work"/debs/*.deb; do
    name=$(dpkg-deb -f "$f" Package)
    case $name in
    golang-1.*-go | golang-1.*-src) ;;
    *)
        used=$(dpkg-deb -c "$f" | awk '{print $6}' | sed -n 's#^\./usr/share/gocode/src/\(.*\)/[^/]*\.go$#\1#p' |
            sort -u | comm -12 - "$work/dirs")
        [ -n "$used" ] || continue
        ;;
    esac
    pins+=("$name=$(dpkg-deb -f "$f" Version)")
done

go_dir=${goroot#"$work/root/"}
python3 - "$here/build.sh" "$go_dir" "${pins[@]}" <<'PY'
import re, sys
path, go_dir, pins = sys.argv[1], sys.argv[2], sorted(sys.argv[3:])
s = open(path).read()
s = re.sub(r"(?m)^PINS=\(\n(.*\n)*?\)\n", "PINS=(\n" + "".join("    %s\n" % p for p in pins) + ")\n", s, count=1)
s = re.sub(r"(?m)^GO_DIR=.*$", "GO_DIR=" + go_dir, s, count=1)
open(path, "w").write(s)
PY
echo "build.sh now pins ${#pins[@]} packages, Go in $go_dir"

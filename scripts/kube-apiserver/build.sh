#!/usr/bin/env bash
# Build (once) the real upstream kube-apiserver v1.20.2 from Debian bookworm's
# `kubernetes` source package, fetch etcd 3.4 from Debian bookworm's
# `etcd-server` package, and print their paths:
#
#   $ scripts/kube-apiserver/build.sh
#   KUBE_APISERVER=/.../kube-apiserver
#   ETCD=/.../etcd
#
# Usable as `eval "$(scripts/kube-apiserver/build.sh)"`. Only those two lines go
# to stdout; errors go to stderr and the full log to $CACHE/build.log.
#
# Everything lives under ${PERIMETER_GUARD_CACHE:-$HOME/.cache/perimeter-guard}/kube-apiserver.
# apt runs with a private configuration there (sources, lists, package cache),
# so the system's apt setup is not touched. Nothing is installed system-wide,
# except that dpkg-dev (for dpkg-source) and make are installed with apt if
# they are missing. See README.md beside this file.
set -euo pipefail

# Bump BUILD_REV to force a rebuild; the cache key also covers every pin below.
BUILD_REV=1
KUBE_VERSION=v1.20.2
# Debian bookworm package versions (exact pins; apt checks them against the
# signed archive index). If Debian drops one of these versions, the download
# fails with a message naming it: update the pin.
DEBIAN_MIRROR=http://deb.debian.org/debian
DEBIAN_SECURITY_MIRROR=http://deb.debian.org/debian-security
DEBIAN_SUITE=bookworm
KUBERNETES_SRC_VERSION=1.20.5+really1.20.2-1.1+deb12u1   # source package `kubernetes`
GO_VERSION=1.19.8-2                                      # golang-1.19-go / golang-1.19-src
GO_DIR=usr/lib/go-1.19
REFLECT2_VERSION=1.0.2-2                                 # golang-github-modern-go-reflect2-dev
ETCD_VERSION=3.4.23-4+b4                                 # etcd-server
GO_TAGS=providerless

cache=${PERIMETER_GUARD_CACHE:-$HOME/.cache/perimeter-guard}/kube-apiserver
key=$(printf '%s\n' "$BUILD_REV" "$KUBE_VERSION" "$KUBERNETES_SRC_VERSION" "$GO_VERSION" \
    "$REFLECT2_VERSION" "$GO_TAGS" | sha256sum | cut -c1-12)
apiserver_bin=$cache/bin/kube-apiserver-$KUBE_VERSION-$key
etcd_dir=$cache/etcd-${ETCD_VERSION//[+:~]/_}
etcd_bin=$etcd_dir/etcd

done_msg() { printf 'KUBE_APISERVER=%s\nETCD=%s\n' "$apiserver_bin" "$etcd_bin"; }
if [ -x "$apiserver_bin" ] && [ -x "$etcd_bin" ]; then
    done_msg
    exit 0
fi

die() {
    echo "kube-apiserver/build.sh: error: $*" >&2
    [ -z "${log:-}" ] || echo "kube-apiserver/build.sh: full log: $log" >&2
    exit 1
}
[ "$(uname -m)" = x86_64 ] || die "only x86_64 (amd64) is supported, not $(uname -m)"

mkdir -p "$cache"
# One build at a time (parallel test runs may all call this).
exec 9>"$cache/lock"
flock 9
# Another run may have finished it while we waited.
if [ -x "$apiserver_bin" ] && [ -x "$etcd_bin" ]; then
    done_msg
    exit 0
fi

log=$cache/build.log
: >"$log"
note() { echo "== $(date -u +%H:%M:%S) $*" >>"$log"; }
# Run a command with its output in the log; on failure show the log's tail.
quiet() {
    if ! "$@" >>"$log" 2>&1; then
        tail -n 40 "$log" >&2
        die "command failed: $*"
    fi
}

# --- private apt configuration -----------------------------------------------
apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "$keyring not found (package debian-archive-keyring)"
cat >"$apt_dir/sources.list.new" <<EOF
deb [signed-by=$keyring] $DEBIAN_MIRROR $DEBIAN_SUITE main
deb-src [signed-by=$keyring] $DEBIAN_MIRROR $DEBIAN_SUITE main
deb [signed-by=$keyring] $DEBIAN_SECURITY_MIRROR $DEBIAN_SUITE-security main
deb-src [signed-by=$keyring] $DEBIAN_SECURITY_MIRROR $DEBIAN_SUITE-security main
EOF
if ! cmp -s "$apt_dir/sources.list.new" "$apt_dir/sources.list"; then
    mv "$apt_dir/sources.list.new" "$apt_dir/sources.list"
    rm -f "$apt_dir/lists/"*_* # lists of another source set
else
    rm -f "$apt_dir/sources.list.new"
fi
apt_opts=(
    -o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o Dir::Etc::SourceParts=/nonexistent
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir/cache"
    -o APT::Architecture=amd64
    -o APT::Sandbox::User=root
    -o Acquire::Languages=none
    -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
)
apt_updated=
apt_update() {
    [ -z "$apt_updated" ] || return 0
    note "apt-get update (private lists)"
    quiet apt-get "${apt_opts[@]}" -q update
    apt_updated=1
}
[ -n "$(compgen -G "$apt_dir/lists/*_Sources*" || true)" ] || apt_update

# Run an apt download command; if it fails, refresh the private lists once and
# retry (Debian replaces versions in point releases).
apt_fetch() {
    if apt-get "${apt_opts[@]}" -q "$@" >>"$log" 2>&1; then return 0; fi
    apt_update
    if ! apt-get "${apt_opts[@]}" -q "$@" >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        die "apt-get $* failed. If Debian $DEBIAN_SUITE no longer has a pinned version, update the pins at the top of $0."
    fi
}

# --- tools: dpkg-source (dpkg-dev) and make ---------------------------------
missing=()
command -v dpkg-source >/dev/null || missing+=(dpkg-dev)
command -v make >/dev/null || missing+=(make)
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
    note "installing ${missing[*]}"
    # The private lists describe the same bookworm archive; only dpkg's
    # database (the installed packages) is the system's.
    quiet env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" -q -y \
        --no-install-recommends install "${missing[@]}"
fi

# --- downloads -----------------------------------------------------------------
dl=$cache/downloads
mkdir -p "$dl"
deb_file() { # NAME VERSION ARCH -> path as named by apt-get download
    echo "$dl/${1}_${2//:/%3a}_$3.deb"
}
want_debs=(
    "golang-1.19-go $GO_VERSION amd64"
    "golang-1.19-src $GO_VERSION all"
    "golang-github-modern-go-reflect2-dev $REFLECT2_VERSION all"
    "etcd-server $ETCD_VERSION amd64"
)
fetch=()
for d in "${want_debs[@]}"; do
    read -r n v a <<<"$d"
    [ -f "$(deb_file "$n" "$v" "$a")" ] || fetch+=("$n=$v")
done
if [ ${#fetch[@]} -gt 0 ]; then
    note "downloading ${fetch[*]}"
    (cd "$dl" && apt_fetch download "${fetch[@]}")
fi
dsc=$dl/kubernetes_${KUBERNETES_SRC_VERSION}.dsc
if [ ! -f "$dsc" ]; then
    note "downloading source package kubernetes=$KUBERNETES_SRC_VERSION"
    (cd "$dl" && apt_fetch source --download-only "kubernetes=$KUBERNETES_SRC_VERSION")
fi

# --- etcd ------------------------------------------------------------------------
if [ ! -x "$etcd_bin" ]; then
    note "extracting etcd"
    tmp=$(mktemp -d "$cache/etcd.XXXXXX")
    quiet dpkg-deb -x "$(deb_file etcd-server "$ETCD_VERSION" amd64)" "$tmp"
    [ -x "$tmp/usr/bin/etcd" ] || die "etcd-server package has no usr/bin/etcd"
    mkdir -p "$etcd_dir"
    mv "$tmp/usr/bin/etcd" "$etcd_bin.tmp"
    mv "$etcd_bin.tmp" "$etcd_bin"
    rm -rf "$tmp"
fi

if [ -x "$apiserver_bin" ]; then
    done_msg
    exit 0
fi

# --- Go toolchain (extracted, not installed) -----------------------------------------
go_root=$cache/go-${GO_VERSION}
if [ ! -f "$go_root/.complete" ]; then
    note "extracting Go $GO_VERSION"
    rm -rf "$go_root"
    mkdir -p "$go_root"
    quiet dpkg-deb -x "$(deb_file golang-1.19-go "$GO_VERSION" amd64)" "$go_root"
    quiet dpkg-deb -x "$(deb_file golang-1.19-src "$GO_VERSION" all)" "$go_root"
    touch "$go_root/.complete"
fi
GOROOT=$go_root/$GO_DIR
[ -x "$GOROOT/bin/go" ] || die "no go binary in $GOROOT/bin"

# --- Kubernetes sources ------------------------------------------------------------
build=$cache/build-$key
note "unpacking the kubernetes source package (dpkg-source -x applies Debian's patches)"
rm -rf "$build"
mkdir -p "$build"
# The .dsc's signature cannot be checked without debian-keyring; apt already
# checked the .dsc and the tarballs against the signed Sources index, and
# dpkg-source checks the tarballs against the .dsc.
quiet dpkg-source -x "$dsc" "$build/kubernetes"
src=$build/kubernetes
[ -f "$src/cmd/kube-apiserver/apiserver.go" ] || die "unexpected source tree: no cmd/kube-apiserver"
grep -q "tag: $KUBE_VERSION\b" "$src/hack/lib/version.sh" ||
    die "source package is not $KUBE_VERSION (hack/lib/version.sh)"

# reflect2 v1.0.1 (vendored) crashes at run time when built with Go >= 1.18;
# replace it with Debian's v1.0.2 sources.
note "replacing vendor/github.com/modern-go/reflect2 with Debian's $REFLECT2_VERSION"
tmp=$(mktemp -d "$cache/reflect2.XXXXXX")
quiet dpkg-deb -x "$(deb_file golang-github-modern-go-reflect2-dev "$REFLECT2_VERSION" all)" "$tmp"
r2=$tmp/usr/share/gocode/src/github.com/modern-go/reflect2
[ -f "$r2/go_above_118.go" ] || die "reflect2 package lacks go_above_118.go (not >= 1.0.2?)"
rm -rf "$src/vendor/github.com/modern-go/reflect2"
cp -r "$r2" "$src/vendor/github.com/modern-go/reflect2"
rm -rf "$tmp"
# Keep go.mod and vendor/modules.txt in step (used by `go build -mod=vendor`;
# `make` builds in GOPATH mode and reads neither).
sed -i 's|^\(\tgithub.com/modern-go/reflect2 => github.com/modern-go/reflect2\) v1.0.1$|\1 v1.0.2|' "$src/go.mod"
sed -i 's|^\(# github.com/modern-go/reflect2 .*=> github.com/modern-go/reflect2\) v1.0.1$|\1 v1.0.2|' \
    "$src/vendor/modules.txt"
[ "$(grep -c 'modern-go/reflect2 v1.0.2$' "$src/go.mod" "$src/vendor/modules.txt" |
    awk -F: '{s+=$2} END {print s}')" = 3 ] || die "could not update reflect2 in go.mod/vendor/modules.txt"

# hack/lib/golang.sh copies the binary with `rsync -pc SRC DIR`; stand in for
# rsync where it is not installed.
shims=$build/shims
mkdir -p "$shims"
if ! command -v rsync >/dev/null; then
    cat >"$shims/rsync" <<'EOF'
#!/bin/sh
# Stand-in for the one rsync call of hack/lib/golang.sh: rsync -pc SRC DIR
if [ "$#" -ne 3 ] || [ "$1" != -pc ]; then
    echo "rsync stand-in: unsupported arguments: $*" >&2
    exit 1
fi
exec cp -p "$2" "$3"
EOF
    chmod 755 "$shims/rsync"
fi

# --- build ---------------------------------------------------------------------------
note "make WHAT=cmd/kube-apiserver (GOFLAGS=-tags=$GO_TAGS)"
start=$(date +%s)
# The version (v1.20.2, commit, tree state "archive") comes from the
# git-archive stamp in hack/lib/version.sh; the build date from the changelog.
epoch=$(cd "$src" && dpkg-parsechangelog -STimestamp)
(
    cd "$src"
    exec env -u GOPATH -u GOBIN -u GOCACHE -u GOMODCACHE -u GOENV -u GOOS -u GOARCH \
        PATH="$GOROOT/bin:$shims:$PATH" GOROOT="$GOROOT" \
        GOFLAGS="-tags=$GO_TAGS" GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 \
        SOURCE_DATE_EPOCH="$epoch" HOME="$build/home" \
        make WHAT=cmd/kube-apiserver
) >>"$log" 2>&1 || {
    tail -n 40 "$log" >&2
    die "make WHAT=cmd/kube-apiserver failed"
}
note "make took $(($(date +%s) - start)) s"
out=$src/_output/local/go/bin/kube-apiserver
[ -x "$out" ] || die "make did not produce $out"
"$out" --version >>"$log" 2>&1 || die "the built kube-apiserver does not run"
got=$("$out" --version)
[ "$got" = "Kubernetes $KUBE_VERSION" ] || die "built kube-apiserver reports '$got', not 'Kubernetes $KUBE_VERSION'"

mkdir -p "$cache/bin"
cp "$out" "$apiserver_bin.tmp"
mv "$apiserver_bin.tmp" "$apiserver_bin"
# The tree and its Go build cache take about 2 GB; keep them only on request.
if [ -z "${KEEP_BUILD_TREE:-}" ]; then
    chmod -R u+w "$build" 2>/dev/null || true
    rm -rf "$build"
fi
note "done: $apiserver_bin"
done_msg

#!/usr/bin/env bash
# Builds the static (musl) release binary exactly as the Dockerfile does, so that what the image
# ships is built and tested here too (tests/integration/static_binary.rs). Installs what it needs once: the
# rustup target x86_64-unknown-linux-musl and Debian's musl-tools (musl-gcc, for the C in ring
# and mimalloc). Prints `PERIMETER_GUARD_STATIC_BINARY=<path>` for `eval`; progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-musl
note() { echo "static-build: $*" >&2; }

if ! rustup target list --installed | grep -qx "$target"; then
  note "adding the rustup target $target"
  rustup target add "$target" >&2
fi
if ! command -v musl-gcc >/dev/null; then
  note "installing musl-tools"
  apt-get update -q >/dev/null && apt-get install -y -q musl-tools >/dev/null
fi

note "cargo build --release --target $target (incremental after the first build)"
CC_x86_64_unknown_linux_musl=musl-gcc \
  cargo build --release --locked --target "$target" --bin perimeter-guard >&2

target_dir=$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
binary="$target_dir/$target/release/perimeter-guard"
[ -x "$binary" ] || { note "cargo did not produce $binary"; exit 1; }
echo "PERIMETER_GUARD_STATIC_BINARY=$binary"

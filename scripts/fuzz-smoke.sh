#!/usr/bin/env bash
# A short run of every fuzz target (60 s each, about five minutes in all): for use while
# developing and before a release; not part of .ci/run, whose budget it would strain.
set -euo pipefail
exec "$(dirname "$0")/fuzz.sh" "${FUZZ_SECONDS:-60}"

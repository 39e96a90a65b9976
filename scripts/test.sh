#!/usr/bin/env bash
# Set up if needed, build, run every test: unit (GoogleTest + scripts), a short fuzz smoke run,
# and the VM tests (real kernel, real init, real schedulers under QEMU; ctest label `vm`).
#   scripts/test.sh            everything
#   scripts/test.sh -L unit    only unit tests (any ctest arguments are passed on)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
KTSTR_PRESET=${KTSTR_PRESET:-ci} "$ROOT/scripts/build.sh"
if [ $# -eq 0 ] && [ -x "$ROOT/scripts/fuzz.sh" ]; then
  "$ROOT/scripts/fuzz.sh" "${KTSTR_FUZZ_SECONDS:-10}"
fi
# Two VMs at a time on two cores: each QEMU runs single-threaded TCG.
ctest --test-dir build --output-on-failure -j2 "$@"

#!/usr/bin/env bash
# Set up if needed, then build everything: build/bin/init (static musl) and build/bin/ktstr-vm.
# KTSTR_PRESET=ci makes warnings errors.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
"$ROOT/scripts/setup.sh"
preset=${KTSTR_PRESET:-default}
if [ ! -f build/CMakeCache.txt ] || ! grep -q "KTSTR_WERROR:BOOL=$([ "$preset" = ci ] && echo ON || echo OFF)" build/CMakeCache.txt; then
  cmake --preset "$preset" >/dev/null
fi
cmake --build build -j"$(nproc)"
echo "built: $ROOT/build/bin/init $ROOT/build/bin/ktstr-vm" >&2

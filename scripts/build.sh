#!/usr/bin/env bash
# Set up if needed, then build everything: build/bin/init (static musl) and build/bin/ktstr-vm.
# KTSTR_PRESET=ci makes warnings errors. Each step says what it does on stderr (the compiler's
# progress goes to stdout), so `build.sh >/dev/null` still shows where the time goes.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
log() { printf '\033[1mbuild:\033[0m %s\n' "$*" >&2; }
"$ROOT/scripts/setup.sh"
preset=${KTSTR_PRESET:-default}
if [ ! -f build/CMakeCache.txt ] || ! grep -q "KTSTR_WERROR:BOOL=$([ "$preset" = ci ] && echo ON || echo OFF)" build/CMakeCache.txt; then
  log "configuring (cmake --preset $preset)"
  cmake --preset "$preset" >/dev/null
fi
cache=${KTSTR_CACHE:-$HOME/.cache/ktstr-init}
if [ ! -d "$cache/zig-cache" ] || [ ! -f build/musl/build.ninja ]; then
  log "compiling ktstr-vm, the tests and the static musl init; the first build also has Zig build" \
      "libc++ for musl into $cache/zig-cache (about 2 minutes on 2 cores, silent meanwhile)"
else
  log "compiling what changed (ktstr-vm, tests, musl init)"
fi
cmake --build build -j"$(nproc)"
echo "built: $ROOT/build/bin/init $ROOT/build/bin/ktstr-vm" >&2

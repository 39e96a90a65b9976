#!/usr/bin/env bash
# Set up if needed, then build: build/bin/init (static musl) and build/bin/ktstr-vm.
#   build.sh              everything: the tool, the tests, the benchmarks (set-up --for-tests)
#   build.sh --tool-only  only ktstr-vm, init and the man page (scripts/demo.sh): a fresh build
#                         dir is configured without the tests and without debug info (faster);
#                         an existing one keeps what it has. The full build wants both, so after
#                         a tool-only one it reconfigures and compiles ktstr-vm again, with -g.
# KTSTR_PRESET=ci makes warnings errors. Each step says what it does on stderr, and a long step
# says every 10 s how far it is, so `build.sh >/dev/null` still shows where the time goes.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/progress.sh
. "$ROOT/scripts/progress.sh"
log() { printf '\033[1mbuild:\033[0m %s\n' "$*" >&2; }
TOOL_ONLY=0
for a in "$@"; do
  case $a in
    --tool-only) TOOL_ONLY=1 ;;
    *) echo "build: unknown argument: $a (usage: build.sh [--tool-only])" >&2; exit 2 ;;
  esac
done
if [ "$TOOL_ONLY" = 1 ]; then "$ROOT/scripts/setup.sh"; else "$ROOT/scripts/setup.sh" --for-tests; fi
preset=${KTSTR_PRESET:-default}
werror=$([ "$preset" = ci ] && echo ON || echo OFF)
testing=$([ "$TOOL_ONLY" = 1 ] && echo OFF || echo ON)
debug=$testing   # debug info: with the tests, not in a fresh tool-only dir
# Reconfigure when the preset changed, or when the tests (or debug info) are wanted and the dir
# was made without.
if [ ! -f build/CMakeCache.txt ] || ! grep -q "KTSTR_WERROR:BOOL=$werror" build/CMakeCache.txt \
   || { [ "$testing" = ON ] && ! grep -q "BUILD_TESTING:BOOL=ON" build/CMakeCache.txt; } \
   || { [ "$debug" = ON ] && grep -q "KTSTR_DEBUG_INFO:BOOL=OFF" build/CMakeCache.txt; }; then
  if [ "$testing" = OFF ] && [ -f build/CMakeCache.txt ]; then   # keep what is there
    testing=$(sed -n 's/^BUILD_TESTING:BOOL=//p' build/CMakeCache.txt)
    debug=$(sed -n 's/^KTSTR_DEBUG_INFO:BOOL=//p' build/CMakeCache.txt)
  fi
  log "configuring (cmake --preset $preset, tests ${testing:-ON}, debug info ${debug:-ON})"
  cmake --preset "$preset" -DBUILD_TESTING="${testing:-ON}" -DKTSTR_DEBUG_INFO="${debug:-ON}" >/dev/null
fi
cache=${KTSTR_CACHE:-$HOME/.cache/ktstr-init}
targets=()
what="ktstr-vm, the tests and the static musl init"
if [ "$TOOL_ONLY" = 1 ]; then targets=(--target ktstr-vm init_musl ktstr_man); what="ktstr-vm and the static musl init"; fi
if [ ! -d "$cache/zig-cache" ] || [ ! -f build/musl/build.ninja ]; then
  log "compiling $what; the first build also has Zig build libc++ for musl into $cache/zig-cache" \
      "(about 40 s on 2 cores)"
else
  log "compiling what changed ($what)"
fi
# The compiler's progress goes to stdout as before; a copy feeds the progress lines on stderr.
blog=$(mktemp "${TMPDIR:-/tmp}/ktstr-build.XXXXXX")
trap 'rm -f "$blog"' EXIT
with_progress "compiling" "$blog" cmake --build build -j"$(nproc)" "${targets[@]}" || exit 1
cat "$blog"
echo "built: $ROOT/build/bin/init $ROOT/build/bin/ktstr-vm" >&2

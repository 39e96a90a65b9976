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
setup=("$ROOT/scripts/setup.sh"); [ "$TOOL_ONLY" = 1 ] || setup+=(--for-tests)
"${setup[@]}" --toolchain-only
# The guest's part of set-up (the kernel, linux-source, the schedulers) is needed to run, not to
# compile: it runs meanwhile, in its own process group (stopped if this script stops early), and
# is waited for before the end. Its lines are "setup:"/"kernel:" ones, the build's "build:".
set -m; "${setup[@]}" --guest-only & setup_pid=$!; set +m
blog=''
cleanup() {
  [ -z "$blog" ] || rm -f "$blog"
  if kill -0 "$setup_pid" 2>/dev/null; then kill -TERM -- "-$setup_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT
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
with_progress "compiling" "$blog" cmake --build build -j"$(nproc)" "${targets[@]}" || exit 1
cat "$blog"
if kill -0 "$setup_pid" 2>/dev/null; then log "compiled; waiting for set-up (the kernel and the schedulers)"; fi
st=0; wait "$setup_pid" || st=$?
if [ "$st" != 0 ]; then echo "build: error: set-up failed (exit $st; its error is above)" >&2; exit 1; fi
echo "built: $ROOT/build/bin/init $ROOT/build/bin/ktstr-vm" >&2

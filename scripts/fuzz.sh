#!/usr/bin/env bash
# Builds the libFuzzer targets in tests/fuzz/ with clang++-14 (ASan + UBSan, no recovery) straight
# from the sources, no CMake, into build/fuzz/, then runs each for SECONDS.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]     targets: frame_decoder cmdline (default: all)
# Corpus: build/fuzz/corpus/TARGET (grows across runs); seeds: build/fuzz/seeds/TARGET.
# Crash inputs land in build/fuzz/artifacts/. Exits non-zero on any crash, leak or sanitizer report.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_PER_TARGET=${1:-20}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(frame_decoder cmdline kmsg_record)
CXX=${CXX:-clang++-14}
OUT="$ROOT/build/fuzz"
CXXFLAGS=(-std=c++2b -O1 -g -fno-omit-frame-pointer
          -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
          -I"$ROOT/include")
COMMON=("$ROOT"/src/common/crc32c.cpp "$ROOT"/src/common/frame_encoder.cpp
        "$ROOT"/src/common/frame_decoder.cpp "$ROOT"/src/common/cmdline.cpp
        "$ROOT"/src/common/kmsg_record.cpp)

log() { printf '\033[1mfuzz:\033[0m %s\n' "$*" >&2; }
die() { printf 'fuzz: error: %s\n' "$*" >&2; exit 2; }

command -v "$CXX" >/dev/null || die "$CXX not found (scripts/setup.sh installs clang-14)"
[[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || die "SECONDS must be a number, got '$SECONDS_PER_TARGET'"
mkdir -p "$OUT/artifacts"

# Seeds, written once: small valid captures for the decoder (one with a zero-free run longer than
# kMaxEncoded before a frame, which random growth of the input size would take hours to reach),
# typical command lines for cmdline.
make_seeds() {
  local t=$1 dir="$OUT/seeds/$1"
  [ -f "$dir/.complete" ] && return 0
  mkdir -p "$dir"
  case $t in
    frame_decoder)
      # Two leading bytes pick the piece sizes (see the target); the rest is a capture.
      local i opts
      for i in 1 2 3 4; do
        case $i in
          3) opts=(--garbage 0.5 --flip-random 1) ;;
          4) opts=(--overlong) ;;
          *) opts=() ;;
        esac
        python3 "$ROOT/tests/tools/gen_capture.py" --out "$OUT/seeds/cap$i" --frames $((2 + i * 3)) \
          --seed "$i" "${opts[@]}"
        { printf '%b' "$(printf '\\x%02x\\x%02x' "$i" "$((i * 7))")"; head -c 100000 "$OUT/seeds/cap$i"; } >"$dir/cap$i"
        rm -f "$OUT/seeds/cap$i" "$OUT/seeds/cap$i".*
      done
      ;;
    cmdline)
      printf 'console=ttyS0 KTSTR_MODE=test KTSTR_LOG=debug KTSTR_TIMEOUT=30' >"$dir/a"
      printf 'KTSTR_TOPO=1,2,2,1 KTSTR_COLS=120 KTSTR_ROWS=40 KTSTR_TERM=xterm-256color' >"$dir/b"
      printf 'quiet "KTSTR_COLORTERM=truecolor" KTSTR_HEARTBEAT_MS=0 -- KTSTR_MODE=shell' >"$dir/c"
      printf 'KTSTR_ATTACH_TIMEOUT_MS=abc KTSTR_DEBUG_FAULT=segv KTSTR_BOGUS=1' >"$dir/d"
      ;;
  esac
  touch "$dir/.complete"
}

build() {
  local t=$1 src="$ROOT/tests/fuzz/$1_fuzz.cpp"
  [ -f "$src" ] || die "no such target: $t ($src)"
  log "building $t"
  "$CXX" "${CXXFLAGS[@]}" "$src" "${COMMON[@]}" -o "$OUT/${t}_fuzz"
}

run() {
  local t=$1 max_len=4096
  [ "$t" = frame_decoder ] && max_len=140000  # room for overlong (> kMaxEncoded) garbage runs
  mkdir -p "$OUT/corpus/$t"
  log "running $t for ${SECONDS_PER_TARGET}s"
  local rc=0
  # detect_leaks: LeakSanitizer is on by default under ASan; spelled out because it is a gate.
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$OUT/${t}_fuzz" -max_total_time="$SECONDS_PER_TARGET" -max_len="$max_len" \
    -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-" \
    "$OUT/corpus/$t" "$OUT/seeds/$t" 2>&1 | tee "$OUT/$t.log" || rc=$?
  # UBSan and ASan abort (non-zero) on their own; the grep guards against a report that did not.
  local reports='runtime error|ERROR: (Address|Leak|Undefined)Sanitizer|deadly signal'
  if [ "$rc" -ne 0 ] || grep -qE "$reports" "$OUT/$t.log"; then
    log "$t FAILED (exit $rc); reproducer in $OUT/artifacts/, log in $OUT/$t.log"
    return 1
  fi
  log "$t ok"
}

failed=0
for t in "${TARGETS[@]}"; do
  build "$t"
  make_seeds "$t"
  run "$t" || failed=1
done
exit "$failed"

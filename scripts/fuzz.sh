#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ (one per *_fuzz.cpp) through CMake's fuzz part
# (KTSTR_PART=fuzz: clang-14, ASan + UBSan, no recovery) into build/fuzz/, then runs each for
# SECONDS.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]     default: every tests/fuzz/*_fuzz.cpp
# Corpus: build/fuzz/corpus/TARGET (grows across runs); seeds: build/fuzz/seeds/TARGET.
# Crash inputs land in build/fuzz/artifacts/. Exits non-zero on any crash, leak or sanitizer report.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_PER_TARGET=${1:-20}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  for f in "$ROOT"/tests/fuzz/*_fuzz.cpp; do f=${f##*/}; TARGETS+=("${f%_fuzz.cpp}"); done
fi
CXX=${CXX:-clang++-14}
CC=${CC:-clang-14}
OUT="$ROOT/build/fuzz"

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
    run_session)
      # Flags byte, then [kind][len_hi][len_lo][value] records (see the target): kind 0 HELO,
      # 6 SCHD, 12 DONE, 13 KMSG, 2 SOUT, 0xff console bytes.
      python3 - "$dir" <<'PY'
import json, struct, sys
d = sys.argv[1]
def rec(kind, value):
    b = value.encode() if isinstance(value, str) else json.dumps(value).encode()
    return bytes([kind]) + struct.pack(">H", len(b)) + b
k = lambda seq, msg, prio=3: {"seq": seq, "prio": prio, "facility": 0, "ts_us": seq * 1000, "msg": msg}
seeds = {
    "pass": b"\0" + rec(0, {"version": 1}) + rec(2, "hi\n") + rec(12, {"exit_code": 0, "bytes": {"SOUT": 3}}),
    "selftest": b"\0" + rec(0, {}) + rec(6, {"event": "attached", "ops": "simple"})
        + rec(13, k(1, 'sched_ext: BPF scheduler "x" disabled (runtime error)'))
        + rec(13, k(2, "sched_ext: x: invalid DSQ")) + rec(13, k(9, "WARNING: at foo"))
        + rec(6, {"event": "stopped", "status": {"signal": 9}, "kernel_state": "enabled"})
        + rec(12, {"exit_code": 137}),
    "panic": b"\x0c" + rec(0, {}) + rec(13, k(1, "Out of memory: Killed process 5 (x)"))
        + rec(255, "Kernel panic - not syncing: x\r\nreboot: Restarting system\r\n"),
}
for name, data in seeds.items():
    open(f"{d}/{name}", "wb").write(data)
PY
      ;;
    lane_decoder)
      # One byte picks the piece size (see the target); the rest is a lane stream: an FENT,
      # its FDAT and an FEND, then the same with a flipped byte.
      python3 - "$dir" <<'PY'
import struct, sys, zlib
d = sys.argv[1]
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    return c ^ 0xFFFFFFFF
def frame(t, seq, v):
    body = t.encode() + struct.pack("<IIQ", len(v), seq, seq * 1000) + v
    return body + struct.pack("<I", crc32c(body))
ok = frame("FENT", 0, b'{"path":"a","kind":"file","mode":420,"size":3}') + frame("FDAT", 1, b"abc") \
    + frame("FEND", 2, b'{"files":1}')
open(f"{d}/tree", "wb").write(b"\x05" + ok)
bad = bytearray(ok); bad[30] ^= 1
open(f"{d}/flipped", "wb").write(b"\x03" + bytes(bad))
PY
      ;;
    output_tree)
      # Records [kind][len_hi][len_lo][value] (see the target): kind 0 FENT, 1 FDAT, 2 FSKP,
      # 3 FEND; the last byte odd = a tree was expected. A whole tree, and forged ones.
      python3 - "$dir" <<'PY'
import struct, sys
d = sys.argv[1]
def rec(kind, value):
    b = value.encode() if isinstance(value, str) else value
    return bytes([kind]) + struct.pack(">H", len(b)) + b
end = lambda f, dr, s, b, k=0, c=0: rec(3, '{"files":%d,"dirs":%d,"symlinks":%d,"bytes":%d,"skipped":%d,"cut":%d,"changed":[]}' % (f, dr, s, b, k, c))
whole = (rec(0, '{"path":"sub","kind":"dir","mode":493}') + rec(0, '{"path":"sub/f","kind":"file","mode":420,"size":3}')
         + rec(1, b"abc") + rec(0, '{"path":"l","kind":"symlink","mode":511,"target":"/etc/passwd"}')
         + rec(2, '{"path":"p","kind":"fifo","why":"not a regular file"}') + end(1, 1, 1, 3, 1) + b"\x01")
seeds = {
    "whole": whole,
    "dotdot": rec(0, '{"path":"../x","kind":"file","mode":420,"size":1}') + rec(1, b"x") + b"\x01",
    "under_link": rec(0, '{"path":"s","kind":"symlink","mode":511,"target":".."}')
        + rec(0, '{"path":"s/f","kind":"file","mode":420,"size":1}') + rec(1, b"x") + b"\x01",
    "ro_dir": rec(0, '{"path":"d","kind":"dir","mode":0}') + rec(0, '{"path":"d/e","kind":"dir","mode":3583}')
        + end(0, 2, 0, 0) + b"\x01",
    "cut": rec(0, '{"path":"big","kind":"file","mode":3565,"size":100,"cut":true,"full_size":9999}')
        + rec(1, b"y" * 100) + rec(2, '{"path":"later","kind":"file","why":"output limit"}') + end(1, 0, 0, 100, 1, 1) + b"\x00",
}
for name, data in seeds.items():
    open(f"{d}/{name}", "wb").write(data)
PY
      ;;
    cpio_reader)
      # One byte picks the piece size (see the target); the rest is a newc archive: a dir, a
      # file, a symlink and the trailer, and the same with a ".." path.
      python3 - "$dir" <<'PY'
import sys
d = sys.argv[1]
def ent(name, mode, data=b""):
    n = name.encode() + b"\0"
    h = b"070701" + b"".join(b"%08X" % v for v in (1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(n), 0)) + n
    h += b"\0" * (-len(h) % 4)
    return h + data + b"\0" * (-len(data) % 4)
tr = ent("TRAILER!!!", 0)
ok = ent("d", 0o40755) + ent("d/f", 0o100644, b"hello") + ent("l", 0o120777, b"d/f") + tr
open(f"{d}/ok", "wb").write(b"\x07" + ok)
open(f"{d}/dotdot", "wb").write(b"\x02" + ent("../x", 0o100644, b"x") + tr)
PY
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

configure() {
  [ -f "$OUT/cmake/CMakeCache.txt" ] && return 0
  log "configuring the fuzz build (CMake, $CXX, ASan + UBSan)"
  cmake -S "$ROOT" -B "$OUT/cmake" -G Ninja -DKTSTR_PART=fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" -DKTSTR_BIN_DIR="$OUT" >/dev/null
}

build() {
  local t=$1
  [ -f "$ROOT/tests/fuzz/${t}_fuzz.cpp" ] || die "no such target: $t (tests/fuzz/${t}_fuzz.cpp)"
  log "building $t (the first build compiles the common and session code with sanitizers: a minute or two)"
  cmake --build "$OUT/cmake" --target "${t}_fuzz" -- -j"$(nproc)" | grep -vE '^\[[0-9]+/[0-9]+\] ' || true
  [ -x "$OUT/${t}_fuzz" ] || die "build of $t failed"
}

run() {
  local t=$1 max_len=4096 dict=()
  [ "$t" = frame_decoder ] && max_len=140000  # room for overlong (> kMaxEncoded) garbage runs
  [ -f "$ROOT/tests/fuzz/$t.dict" ] && dict=(-dict="$ROOT/tests/fuzz/$t.dict")
  mkdir -p "$OUT/corpus/$t"
  log "running $t for ${SECONDS_PER_TARGET}s"
  local rc=0
  # detect_leaks: LeakSanitizer is on by default under ASan; spelled out because it is a gate.
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$OUT/${t}_fuzz" -max_total_time="$SECONDS_PER_TARGET" -max_len="$max_len" \
    -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-" "${dict[@]}" \
    "$OUT/corpus/$t" "$OUT/seeds/$t" 2>&1 | tee "$OUT/$t.log" || rc=$?
  # UBSan and ASan abort (non-zero) on their own; the grep guards against a report that did not.
  local reports='[0-9]+:[0-9]+: runtime error|ERROR: (Address|Leak|Undefined)Sanitizer|deadly signal'
  if [ "$rc" -ne 0 ] || grep -qE "$reports" "$OUT/$t.log"; then
    log "$t FAILED (exit $rc); reproducer in $OUT/artifacts/, log in $OUT/$t.log"
    return 1
  fi
  log "$t ok"
}

failed=0
configure
for t in "${TARGETS[@]}"; do
  build "$t"
  make_seeds "$t"
  run "$t" || failed=1
done
exit "$failed"

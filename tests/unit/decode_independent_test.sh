#!/usr/bin/env bash
# Checks `ktstr-vm decode` against captures written by an independent implementation of the wire
# protocol (tests/tools/gen_capture.py, Python, written from the protocol spec only, docs/protocol.md):
#   - --stream SOUT / --stream SERR are byte-exact (cmp) with what was sent in intact frames;
#   - --json delivers exactly the intact frames (type, seq, t_ns, value), in order;
#   - the seqs reported as "lost seq ..." are exactly the frames damaged on purpose;
#   - exit codes: 0 clean, 1 damaged/truncated, 2 unreadable input.
# Usage: decode_independent_test.sh [PATH/TO/ktstr-vm]   (default: $KTSTR_BIN_DIR/ktstr-vm)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GEN="$HERE/../tools/gen_capture.py"
VM=${1:-${KTSTR_BIN_DIR:-$HERE/../../build/bin}/ktstr-vm}
[ -x "$VM" ] || { echo "FAIL: ktstr-vm not found at $VM" >&2; exit 1; }
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null || { echo "FAIL: $PY not found" >&2; exit 1; }

WORK=$(mktemp -d /tmp/ktstr_decode_indep.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

# Runs decode; stdout to $1.out, stderr to $1.err; prints the exit code.
decode() {
  local base=$1
  shift
  local rc=0
  "$VM" decode "$@" >"$base.out" 2>"$base.err" || rc=$?
  echo "$rc"
}

# Compares --json output with the intact frames, and "lost seq" lines with the damaged seqs.
check_frames() {
  "$PY" - "$1" <<'PY'
import base64, json, re, sys
cap = sys.argv[1]
want = [json.loads(l) for l in open(cap + ".frames")]
got = [json.loads(l) for l in open(cap + ".json.out")]
errors = []
if len(got) != len(want):
    errors.append("got %d frames, want %d" % (len(got), len(want)))
for g, w in zip(got, want):
    raw = base64.b64decode(w["value_b64"])
    key = (g["type"], g["seq"], g["t_ns"]) == (w["type"], w["seq"], w["t_ns"])
    if "encoding" in g and not g.get("invalid_json"):
        value = g["value"].encode() if g["encoding"] == "text" else base64.b64decode(g["value"])
        same = value == raw
    else:
        same = g["value"] == json.loads(raw)
    if not (key and same):
        errors.append("frame mismatch at seq %s (want seq %s)" % (g["seq"], w["seq"]))
        break
lost = set()
for line in open(cap + ".json.err"):
    m = re.match(r"decode: lost seq (\d+)(?:-(\d+))?$", line.strip())
    if m:
        a = int(m.group(1))
        lost.update(range(a, int(m.group(2) or a) + 1))
damaged = set(int(l) for l in open(cap + ".damaged") if l.strip())
if lost != damaged:
    errors.append("lost seqs %s, damaged %s" % (sorted(lost), sorted(damaged)))
for e in errors:
    print(e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}

# One scenario: generate with the given options, decode three ways, check everything.
scenario() {
  local name=$1
  shift
  local cap="$WORK/$name" fails_before=$FAILS
  "$PY" "$GEN" --out "$cap" "$@"
  local clean want_rc
  clean=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["clean"])' "$cap.meta")
  want_rc=$([ "$clean" = True ] && echo 0 || echo 1)

  local rc
  rc=$(decode "$cap.sout" --stream SOUT "$cap")
  [ "$rc" = "$want_rc" ] ||
    fail "$name: --stream SOUT exit $rc, want $want_rc ($(tail -1 "$cap.sout.err"))"
  cmp -s "$cap.sout.out" "$cap.sout" || fail "$name: --stream SOUT differs from what was sent"
  rc=$(decode "$cap.serr" --stream SERR - <"$cap")
  [ "$rc" = "$want_rc" ] || fail "$name: --stream SERR (stdin) exit $rc, want $want_rc"
  cmp -s "$cap.serr.out" "$cap.serr" || fail "$name: --stream SERR differs from what was sent"
  rc=$(decode "$cap.json" --json "$cap")
  [ "$rc" = "$want_rc" ] || fail "$name: --json exit $rc, want $want_rc"
  check_frames "$cap" || fail "$name: --json frames or lost seqs wrong"
  rc=$(decode "$cap.text" "$cap")
  [ "$rc" = "$want_rc" ] || fail "$name: text exit $rc, want $want_rc"
  [ "$FAILS" -eq "$fails_before" ] || return 0
  local summary
  summary=$(sed -n 's/^decode: \([0-9]* frames.*\)/\1/p' "$cap.json.err")
  echo "ok: $name ($(wc -c <"$cap") bytes, $summary)"
}

scenario clean --frames 400 --seed 1 --big
scenario clean_small --frames 2 --seed 2
for seed in 3 4 5; do
  scenario "flips_$seed" --frames 300 --seed "$seed" --flip 0 --flip 1 --flip-random 6
  scenario "garbage_$seed" --frames 300 --seed "$seed" --garbage 0.3
  scenario "everything_$seed" --frames 300 --seed "$seed" --garbage 0.2 --flip-random 5 --overlong
done
scenario truncated --frames 50 --seed 6 --truncate
grep -q "no DONE frame: capture truncated" "$WORK/truncated.json.err" ||
  fail "truncated: reason missing from stderr"

rc=$(decode "$WORK/missing" --stream SOUT "$WORK/does-not-exist")
[ "$rc" = 2 ] || fail "missing input: exit $rc, want 2"
[ ! -s "$WORK/missing.out" ] || fail "missing input: stdout not empty"

if [ "$FAILS" -ne 0 ]; then
  echo "$FAILS check(s) failed" >&2
  exit 1
fi
echo "all decode checks passed"

#!/usr/bin/env bash
# The kernel's sched_ext selftests as a ktstr-vm suite (tests/sched_ext_selftests) with the runner
# that scripts/setup.sh --for-tests built: the manifest names exactly what the runner lists, and
# `ktstr-vm suite -j2` passes every test (each selftest reports passed, not skipped), warm.
# Usage: sched_ext_selftests_test.sh KTSTR_VM SOURCE_DIR
set -euo pipefail
vm=$1
dir=$2/tests/sched_ext_selftests
runner=${KTSTR_CACHE:-$HOME/.cache/ktstr-init}/sched_ext-selftests/current/runner
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$runner" ] || fail "$runner is missing: scripts/setup.sh --for-tests builds it"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/selftests-suite.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The repository's manifest and script (not set-up's copies, which may be older), the cached runner.
cp "$dir/suite.toml" "$dir/selftest.sh" "$runner" "$tmp/"

diff <("$runner" -l | sort) <(sed -n 's/^name = "\(.*\)"$/\1/p' "$tmp/suite.toml" | sort) \
  || fail "the manifest's tests (>) differ from the runner's -l (<)"

st=0
"$vm" suite "$tmp/suite.toml" -j2 --artifacts "$tmp/artifacts" --json "$tmp/suite.json" > "$tmp/out" 2>&1 || st=$?
cat "$tmp/out"
if [ "$st" != 0 ]; then
  for d in "$tmp"/artifacts/*/; do   # failed tests keep their folders: the runner's own output
    for a in "$d"attempt-*; do
      echo "--- $a/stdout"; tail -n 30 "$a/stdout" 2>/dev/null || true
      echo "--- $a/stderr"; tail -n 30 "$a/stderr" 2>/dev/null || true
    done
  done
  fail "ktstr-vm suite exited $st"
fi
python3 - "$tmp/suite.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["totals"]
bad = [x["name"] for x in d["tests"] if x["status"] != "passed" or x["exit_code"] != 0]
assert not bad, f"not passed: {bad}"
assert t["passed"] == t["tests"] == len(d["tests"]) == 33 and t["flaky"] == 0, t
# Warm by default (docs/warm.md): every attempt restored or made a snapshot; none fell back to a
# cold boot, so these are the warm verdicts (the cold ones: `suite --cold`, the same 33 passes).
kinds = {}
for x in d["tests"]:
    for a in x.get("attempts", []):
        k = ((a.get("report") or {}).get("start") or {}).get("kind", "?")
        kinds[k] = kinds.get(k, 0) + 1
assert "cold" not in kinds and "?" not in kinds, kinds
print(f"all {t['tests']} sched_ext selftests passed in {t['wall_s']:.0f} s, starts: {kinds}")
PY

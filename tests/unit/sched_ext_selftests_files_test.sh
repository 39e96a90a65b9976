#!/usr/bin/env bash
# tests/sched_ext_selftests without a VM: the manifest loads (`suite --list`, a stand-in runner
# beside it), and selftest.sh turns the runner's result line for NAME into its exit status
# (0 passed, 4 skipped, 1 failed, 3 no result), whatever else the runner printed or returned.
# Usage: sched_ext_selftests_files_test.sh KTSTR_VM SOURCE_DIR
set -euo pipefail
vm=$1
dir=$2/tests/sched_ext_selftests
tmp=$(mktemp -d "${TMPDIR:-/tmp}/selftests-files.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cp "$dir/suite.toml" "$dir/selftest.sh" "$tmp/"
# A stand-in runner: prints $FAKE_OUT and exits $FAKE_RC (the real one is built by set-up).
cat > "$tmp/runner" <<'RUNNER'
#!/bin/sh
printf '%b' "$FAKE_OUT"
exit "${FAKE_RC:-0}"
RUNNER
chmod +x "$tmp/runner"

# 1. The manifest loads, one test per name, none twice.
"$vm" suite "$tmp/suite.toml" --list > "$tmp/list" 2> "$tmp/err" || { cat "$tmp/err" >&2; fail "suite --list failed"; }
n=$(wc -l < "$tmp/list")
[ "$n" -eq 33 ] || fail "suite --list names $n tests, expected the 33 of linux-source 7.3"
[ -z "$(sort "$tmp/list" | uniq -d)" ] || fail "a test is listed twice"
grep -qx dequeue "$tmp/list" && grep -qx total_bw "$tmp/list" || fail "dequeue or total_bw missing"

# 2. selftest.sh's verdicts.
expect() {   # expect STATUS NAME RUNNER_RC OUTPUT
  local want=$1 name=$2 rc=$3 out=$4 got=0
  FAKE_OUT=$out FAKE_RC=$rc sh "$tmp/selftest.sh" "$name" > "$tmp/o" 2>&1 || got=$?
  [ "$got" = "$want" ] || { cat "$tmp/o" >&2; fail "selftest.sh $name (runner exit $rc): exit $got, expected $want"; }
}
expect 0 dequeue 0 'ok 1 dequeue # \nok 2 dequeue_iter # \nok 3 dequeue_remote # SKIP \n'
expect 4 dequeue_remote 0 'ok 1 dequeue # \nok 2 dequeue_iter # \nok 3 dequeue_remote # SKIP \n'
expect 1 dequeue_iter 1 'ok 1 dequeue # \nnot ok 2 dequeue_iter # \n'
expect 0 dequeue 1 'ok 1 dequeue # \nnot ok 2 dequeue_iter # \n'      # another test's failure is not NAME's
expect 0 rt_stall 0 'ok 1 PASS: FAIR task got more than 4.00%% of runtime\nok 2 rt_stall # \n'
expect 3 minimal 0 'ok 1 maximal # \n'                                   # NAME's line never came
expect 3 minimal 0 ''
expect 139 minimal 139 'ok 1 minimal # \n'                               # the runner crashed afterwards
# The runner's output reaches the test's stdout.
FAKE_OUT='ok 1 minimal # \n' sh "$tmp/selftest.sh" minimal | grep -qx 'ok 1 minimal # ' || fail "runner output not passed on"
echo "ok"

#!/bin/sh
# selftest.sh NAME: runs the kernel's sched_ext selftest NAME with the kernel's own runner (beside
# this script) and exits with its outcome: 0 passed, 4 skipped, 1 failed, 3 the runner reported
# no result for NAME, 128+N the runner died of signal N.
# The runner exits 0 for a skip too, so a skip would pass unseen: the verdict is read from its
# "ok N NAME # [SKIP]" / "not ok N NAME #" line instead. Its -t takes every test whose name
# contains NAME (-t dequeue also runs dequeue_iter and dequeue_remote); only NAME's line counts.
name=${1:?usage: selftest.sh NAME}
runner=$(dirname "$0")/runner
out=/tmp/selftest.$$.out
"$runner" -t "$name" > "$out"
rc=$?
cat "$out"
[ "$rc" -gt 128 ] && exit "$rc"
verdict=$(awk -v n="$name" '
  $1 == "ok" && $3 == n && $4 == "#" { print ($5 == "SKIP" ? "skip" : "pass") }
  $1 == "not" && $2 == "ok" && $4 == n && $5 == "#" { print "fail" }' "$out")
rm -f "$out"
case $verdict in
  pass) exit 0 ;;
  skip) echo "selftest.sh: $name was skipped" >&2; exit 4 ;;
  fail) exit 1 ;;
  *) echo "selftest.sh: the runner (exit $rc) reported no single result for $name: '$verdict'" >&2; exit 3 ;;
esac

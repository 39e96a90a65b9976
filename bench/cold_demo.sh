#!/usr/bin/env bash
# The README's cold-demo figure: `scripts/demo.sh` in a fresh clone of REV (default HEAD), with an
# empty KTSTR_CACHE and no ccache, timed. The apt packages must be installed already (the first
# setup.sh on a machine installs them; that time depends on the mirror, not on this project).
#   bench/cold_demo.sh [REV]     the log (each line stamped with the seconds since the start)
#                                goes to ${KTSTR_COLD_LOG:-/tmp/cold-demo.log}
# Prints the load before and after (a busy machine inflates the wall time; the CPU time, user+sys
# of everything the demo ran, much less), the wall time and the CPU time.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rev=${1:-HEAD}
log=${KTSTR_COLD_LOG:-/tmp/cold-demo.log}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cold-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
git clone -q --no-local "$ROOT" "$tmp/src"
git -C "$tmp/src" checkout -q "$(git -C "$ROOT" rev-parse "$rev")"
mkdir "$tmp/cache"
echo "cold demo of $(git -C "$tmp/src" log --oneline -1)"
echo "load before: $(uptime)"
start=${EPOCHREALTIME/./}
set +e
( cd "$tmp/src" && KTSTR_CACHE="$tmp/cache" CCACHE_DISABLE=1 \
    /usr/bin/time -o "$tmp/time" -f '%e %U %S' scripts/demo.sh ) 2>&1 \
  | while IFS= read -r line; do
      t=$(( ${EPOCHREALTIME/./} - start ))
      printf '%4d.%d %s\n' $((t / 1000000)) $((t / 100000 % 10)) "$line"
    done > "$log"
st=${PIPESTATUS[0]}
set -e
echo "load after:  $(uptime)"
read -r wall user sys < <(tail -n 1 "$tmp/time")
cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", u + s }')
printf 'scripts/demo.sh exit %s: wall %.0f s (%d min %02d s), CPU %s s (user %.0f + sys %.0f); log: %s\n' \
  "$st" "$wall" "$(( ${wall%.*} / 60 ))" "$(( ${wall%.*} % 60 ))" "$cpu" "$user" "$sys" "$log"
exit "$st"

#!/usr/bin/env bash
# scripts/build.sh says on stderr what each step does, even with its stdout
# discarded (scripts/demo.sh does that): here the up-to-date build, which must still name its step.
# Usage: build_progress_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
# Build with the preset the tree was configured with, so nothing is reconfigured or rebuilt.
preset=default
grep -q "KTSTR_WERROR:BOOL=ON" "$build/CMakeCache.txt" && preset=ci
err=$(cd "$src" && KTSTR_PRESET=$preset scripts/build.sh 2>&1 >/dev/null)
grep -q '^.*build:.* compiling ' <<<"$err" || { echo "no progress line from build.sh:"; echo "$err"; exit 1; }
grep -q '^.*setup:.* ready: ' <<<"$err" || { echo "no setup line:"; echo "$err"; exit 1; }
echo ok

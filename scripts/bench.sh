#!/usr/bin/env bash
# Build, then run the whole-system benchmark: writes bench/results.json and bench/results.md.
# KTSTR_BENCH_RUNS (default 5) sets the runs per median; KTSTR_BENCH_ONLY=bench_pack,... runs only
# those steps and keeps the other rows of the last results (KTSTR_BENCH_ONLY=bench_boot: the boot
# A/Bs; KTSTR_BENCH_AB_ROUNDS, default 7, sets their rounds).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/build.sh" >/dev/null
exec python3 "$ROOT/bench/system_bench.py"

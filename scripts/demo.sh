#!/usr/bin/env bash
# Set up what the tool needs (not the tests' tools), build only ktstr-vm and init, then boot
# Debian's sched_ext kernel with scx_simple and run a sample payload inside the VM; its output
# comes back live. Every long step reports its progress on stderr.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/build.sh" --tool-only >/dev/null   # its steps show on stderr
echo "== ktstr-vm run --scheduler scx_simple -- sh -c '...'" >&2
"$ROOT/build/bin/ktstr-vm" run --scheduler scx_simple -- sh -c '
  echo "hello from inside the VM: kernel $(uname -r), $(nproc) CPUs"
  echo "sched_ext state: $(cat /sys/kernel/sched_ext/state), scheduler: $(cat /sys/kernel/sched_ext/root/ops) (pid $SCHED_PID)"
  i=0; while [ $i -lt 3 ]; do i=$((i+1)); echo "working... $i"; sleep 0.2; done
  echo "this line goes to stderr" >&2
  exit 0'

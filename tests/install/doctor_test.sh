#!/usr/bin/env bash
# ktstr-vm --version names the release and the git revision; `doctor` passes on a set-up machine
# and names the missing kernel with its fix when KTSTR_KERNEL points at nothing; with no kernel
# at all, `run` names `ktstr-vm kernel fetch`.
# Usage: doctor_test.sh KTSTR_VM
set -euo pipefail
vm=$1
fail() { echo "FAIL: $*"; exit 1; }

v=$("$vm" --version)
[[ $v =~ ^ktstr-vm\ [0-9]+\.[0-9]+\.[0-9]+\ \(git\ [0-9a-f]{7,}(-dirty)?\)$ || $v == *"(git unknown)" ]] \
  || fail "--version: '$v'"

out=$("$vm" doctor 2>&1) || fail "doctor on the set-up machine exited $?: $out"
grep -q '^ok      kernel: .*CONFIG_SCHED_CLASS_EXT=y' <<<"$out" || fail "doctor names no sched_ext kernel: $out"
grep -q '^ok      QEMU: QEMU emulator version' <<<"$out" || fail "doctor names no QEMU version: $out"
grep -q '^ok      init: ' <<<"$out" || fail "doctor found no init: $out"
grep -Eq '^(ok     |note   ) KVM: ' <<<"$out" || fail "doctor says nothing of KVM: $out"
grep -q '^ok      cache: .*[0-9] [MG]iB' <<<"$out" || fail "doctor gives no cache size: $out"
grep -Eq '^(ok     |note   ) memory: [0-9]+ MiB available' <<<"$out" || fail "doctor gives no memory: $out"

st=0; out=$(KTSTR_KERNEL=/nonexistent/vmlinux "$vm" doctor 2>&1) || st=$?
[ "$st" = 1 ] || fail "doctor with a missing KTSTR_KERNEL exited $st: $out"
grep -q '^PROBLEM kernel: KTSTR_KERNEL=/nonexistent/vmlinux: no such file' <<<"$out" || fail "no kernel problem: $out"
grep -q 'fix: point KTSTR_KERNEL at a kernel, or unset it and run `ktstr-vm kernel fetch`' <<<"$out" \
  || fail "no fix for the kernel: $out"

empty=$(mktemp -d); trap 'rm -rf "$empty"' EXIT
st=0; out=$(env -u KTSTR_KERNEL KTSTR_CACHE="$empty" "$vm" run -- true 2>&1) || st=$?
[ "$st" = 125 ] || fail "run without a kernel exited $st: $out"
grep -q 'ktstr-vm kernel fetch' <<<"$out" || fail "run without a kernel does not name kernel fetch: $out"
st=0; out=$(env -u KTSTR_KERNEL KTSTR_CACHE="$empty" "$vm" doctor 2>&1) || st=$?
[ "$st" = 1 ] && grep -q 'fix: ktstr-vm kernel fetch' <<<"$out" || fail "doctor without a kernel: $st $out"
echo ok

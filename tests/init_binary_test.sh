#!/usr/bin/env bash
# build/bin/init must be a static ELF linked against musl: no program interpreter, no dynamic
# section, no glibc symbol versions, and musl's own strerror text inside ("No error information",
# musl's message for errno 0 and unknown errnos; glibc says "Success" and "Unknown error N").
set -euo pipefail
init=${1:?usage: init_binary_test.sh PATH}
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$init" ] || fail "$init missing or not executable"
file -L "$init" | grep -q 'statically linked' || fail "not statically linked: $(file -L "$init")"
readelf -lW "$init" | grep -q 'INTERP' && fail "has a program interpreter"
readelf -dW "$init" 2>/dev/null | grep -q 'NEEDED' && fail "has DT_NEEDED entries"
strings -a "$init" | grep -q 'GLIBC_[0-9]' && fail "contains glibc symbol versions"
strings -a "$init" | grep 'No error information' >/dev/null || fail "no musl marker (strerror's 'No error information')"
size=$(stat -c %s "$init")
[ "$size" -le 1000000 ] || fail "init is $size bytes, budget 1000000"
echo "ok: $init static, musl, no glibc, $size bytes"

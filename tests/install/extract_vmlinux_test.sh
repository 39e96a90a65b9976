#!/usr/bin/env bash
# scripts/fetch-kernel.sh's own extractor (an installed tool has no kernel tree's extract-vmlinux)
# unpacks the set-up kernel's bzImage to an ELF vmlinux whose size is the one the bzImage records,
# and refuses a file that is no bzImage.
# Usage: extract_vmlinux_test.sh FETCH_KERNEL_SH
set -euo pipefail
script=$1
cache=${KTSTR_CACHE:-$HOME/.cache/ktstr-init}
img=$cache/kernel-current/vmlinuz
[ -f "$img" ] || { echo "no set-up kernel at $img (run scripts/setup.sh)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$script" --extract "$img" "$tmp/vmlinux"
[ "$(head -c 4 "$tmp/vmlinux" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || { echo "not ELF"; exit 1; }
# The payload ends with the uncompressed size (little-endian u32).
sects=$(od -An -tu1 -j497 -N1 "$img" | tr -d ' '); off=$(od -An -tu4 -j584 -N4 "$img" | tr -d ' ')
len=$(od -An -tu4 -j588 -N4 "$img" | tr -d ' ')
want=$(dd if="$img" iflag=skip_bytes,count_bytes skip=$(( (sects + 1) * 512 + off + len - 4 )) count=4 status=none \
       | od -An -tu4 | tr -d ' ')
[ "$(stat -c %s "$tmp/vmlinux")" = "$want" ] || { echo "size $(stat -c %s "$tmp/vmlinux") != $want"; exit 1; }
if [ -f "$cache/kernel-current/vmlinux" ]; then cmp "$tmp/vmlinux" "$cache/kernel-current/vmlinux"; fi
head -c 4096 /dev/urandom > "$tmp/junk"
if "$script" --extract "$tmp/junk" "$tmp/out" 2>"$tmp/err"; then echo "junk accepted"; exit 1; fi
grep -q 'not a bzImage' "$tmp/err" || { cat "$tmp/err"; exit 1; }
[ ! -e "$tmp/out" ] || { echo "junk left an output"; exit 1; }
echo ok

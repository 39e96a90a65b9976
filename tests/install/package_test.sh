#!/usr/bin/env bash
# scripts/package.sh makes a .deb that holds the relocatable layout under /usr and whose Depends
# name the runtime packages: QEMU, busybox-static, zstd, apt, and the shared libraries of
# ktstr-vm derived by dpkg-shlibdeps. Unpacked anywhere, its ktstr-vm finds its own init.
# Usage: package_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
deb=$("$src/scripts/package.sh" "$build" "$tmp/out")
[ -f "$deb" ] || fail "no .deb: $deb"
[ "$(dpkg-deb -f "$deb" Package)" = ktstr-init ] || fail "package name"
[ "$(dpkg-deb -f "$deb" Architecture)" = amd64 ] || fail "architecture"
deps=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $deps"
for p in qemu-system-x86 busybox-static zstd apt libc6 libstdc++6 libarchive13 libelf1; do
  [[ ", $deps," == *", $p "* || ", $deps," == *", $p,"* ]] || fail "Depends lacks $p: $deps"
done
# The libraries are derived, not listed by hand: each one ktstr-vm links (DT_NEEDED) has its package.
while read -r lib path; do
  pkg=$( { dpkg -S "$path" || dpkg -S "$(readlink -f "$path")"; } 2>/dev/null | head -n1 | cut -d: -f1)
  [ -n "$pkg" ] || fail "$lib ($path) belongs to no package"
  [[ ", $deps," == *", $pkg "* || ", $deps," == *", $pkg,"* ]] || fail "$lib ($pkg) is not in Depends: $deps"
done < <(needed=$(readelf -d "$build/bin/ktstr-vm" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
         ldd "$build/bin/ktstr-vm" | awk -v n="$needed" 'BEGIN { split(n, a, "\n"); for (i in a) want[a[i]] = 1 }
                                                        $2 == "=>" && ($1 in want) { print $1, $3 }')
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/ktstr-vm ./usr/libexec/ktstr-init/init ./usr/libexec/ktstr-init/fetch-kernel.sh \
         ./usr/share/man/man1/ktstr-vm.1 ./usr/share/doc/ktstr-init/README.md ./usr/share/doc/ktstr-init/docs/install.md; do
  grep -q " $f\$" <<<"$contents" || fail "the package lacks $f"
done
grep -Eq '^-rwxr-xr-x .* ./usr/libexec/ktstr-init/init$' <<<"$contents" || fail "init is not executable"
# Unpacked in a temp dir (not installed), the tool finds its init relative to itself.
dpkg-deb -x "$deb" "$tmp/root"
out=$("$tmp/root/usr/bin/ktstr-vm" doctor 2>&1 || true)
grep -q "^ok      init: $tmp/root/usr/libexec/ktstr-init/init" <<<"$out" || fail "unpacked ktstr-vm's init: $out"
echo ok

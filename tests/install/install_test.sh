#!/usr/bin/env bash
# `cmake --install` gives a relocatable prefix: installed, then moved elsewhere, and run from /,
# its ktstr-vm finds init in PREFIX/libexec/ktstr-init (nothing beside it, nothing in the build
# tree) and boots `true` bare and under scx_simple; its man page opens with `man -l`.
# Usage: install_test.sh CMAKE BUILD_DIR
set -euo pipefail
cmake=$1 build=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ktstr-install.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$cmake" --install "$build" --prefix "$tmp/first" >/dev/null
mv "$tmp/first" "$tmp/moved"
P=$tmp/moved
for f in bin/ktstr-vm libexec/ktstr-init/init libexec/ktstr-init/fetch-kernel.sh share/man/man1/ktstr-vm.1 \
         share/doc/ktstr-init/README.md share/doc/ktstr-init/docs/install.md; do
  [ -e "$P/$f" ] || fail "$f not installed"
done
[ ! -e "$P/bin/init" ] || fail "init beside ktstr-vm: the test would not show the libexec lookup"
cd /
"$P/bin/ktstr-vm" --version | grep -q '^ktstr-vm [0-9.]* (git ' || fail "--version"
page=$(MANPAGER=cat MANWIDTH=100 man -l "$P/share/man/man1/ktstr-vm.1" 2>&1) || fail "man -l: $page"
for s in NAME SYNOPSIS 'EXIT STATUS' ENVIRONMENT KTSTR_CACHE KTSTR_KERNEL 'ktstr-vm doctor' 'ktstr-vm kernel fetch' 'ktstr-vm cache list'; do
  grep -q "$s" <<<"$page" || fail "the man page lacks $s"
done
"$P/bin/ktstr-vm" doctor | grep -q "^ok      init: $P/libexec/ktstr-init/init\$" || fail "doctor: init not from libexec"
"$P/bin/ktstr-vm" run -- true || fail "installed ktstr-vm run -- true exited $?"
"$P/bin/ktstr-vm" run --scheduler scx_simple -- true || fail "installed ktstr-vm run --scheduler scx_simple -- true exited $?"
echo ok

# Sourced by the zig wrappers: find Zig and keep its cache (libc++ is built into it once).
cache=${KTSTR_CACHE:-$HOME/.cache/ktstr-init}
ZIG=${KTSTR_ZIG:-$cache/zig/package/zig}
export ZIG_GLOBAL_CACHE_DIR=${ZIG_GLOBAL_CACHE_DIR:-$cache/zig-cache}
export ZIG_LOCAL_CACHE_DIR=${ZIG_LOCAL_CACHE_DIR:-$cache/zig-cache}
if [ ! -x "$ZIG" ]; then
  echo "zig not found at $ZIG: run scripts/setup.sh or set KTSTR_ZIG" >&2
  exit 127
fi

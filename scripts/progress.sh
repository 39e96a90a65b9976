# shellcheck shell=bash
# Sourced by the set-up and build scripts: long steps say that they are still working.
# with_progress LABEL LOG CMD...: runs CMD with its output in LOG (append), and every 10 s prints
# on stderr how long it has run and LOG's last line (a ninja [n/N] line shows where a build is).
# Returns CMD's status; on failure the end of LOG goes to stderr.
with_progress() {
  local label=$1 log=$2; shift 2
  "$@" >>"$log" 2>&1 &
  local pid=$! t=0 st=0 last
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1; t=$((t + 1))
    if [ $((t % 10)) = 0 ]; then
      last=$(tail -n 1 "$log" 2>/dev/null | tr -d '\r' | cut -c1-110)
      case $last in
        # Zig builds libc++ for musl on first use (the musl part's compiler check).
        *"ABI info"*|*"step for 'init_musl'"*) last="$last (Zig builds libc++ for musl the first time, once)" ;;
      esac
      printf '  ... %s: %d s%s\n' "$label" "$t" "${last:+ | $last}" >&2
    fi
  done
  wait "$pid" || st=$?
  [ "$st" = 0 ] || { tail -n 30 "$log" >&2; printf '%s failed (exit %s; log: %s)\n' "$label" "$st" "$log" >&2; }
  return "$st"
}

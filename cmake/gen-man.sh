#!/usr/bin/env bash
# gen-man.sh KTSTR_VM OUT: writes the ktstr-vm(1) man page from the program's own --help texts
# (the top level, then each subcommand's), so the page cannot drift from the tool. Headings in
# the help (a line in capitals at column 0, or CLI11's "Options:") become man sections; the
# rest is kept verbatim, as --help lays it out.
set -euo pipefail
exe=$1 out=$2
version=$("$exe" --version)

# troff-safe verbatim text: backslashes escaped, a leading . or ' defused.
esc() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }
# A --help text: capitalised heading lines -> .SH/.SS, everything else verbatim (.nf).
sections() {
  local sh=$1
  awk -v sh="$sh" '
    /^[A-Z][A-Z ]+[A-Z]( \(.*\))?$/ { print ".fi"; print sh " \"" $0 "\""; print ".nf"; next }
    /^[A-Z][a-z]+( [a-z]+)*:$/ { h = $0; sub(/:$/, "", h); print ".fi"; print sh " " toupper(h); print ".nf"; next }
    { print }'
}
{
  echo ".TH KTSTR-VM 1 \"\" \"$version\" \"User Commands\""
  echo ".SH NAME"
  echo "ktstr-vm \\- run sched_ext scheduler tests in a QEMU VM"
  echo ".SH SYNOPSIS"
  echo ".B ktstr-vm"
  echo "[\\fB\\-\\-help\\fR] [\\fB\\-\\-version\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fB\\-\\-\\fR \\fIPROGRAM\\fR [\\fIARGS\\fR...]]"
  echo ".SH DESCRIPTION"
  echo ".nf"
  "$exe" --help | tail -n +3 | esc | sections .SH
  echo ".fi"
  echo ".SH COMMANDS"
  for c in pack run shell suite decode report doctor "kernel fetch" cache "cache list" "cache clear"; do
    echo ".SS \"ktstr-vm $c\""
    echo ".nf"
    # shellcheck disable=SC2086  # "kernel fetch", "cache list" are two words
    "$exe" $c --help | esc | sed -e 's/^\([A-Z][A-Z ]*[A-Z]\)\( (.*)\)\{0,1\}$/\\fB&\\fR/'
    echo ".fi"
  done
  echo ".SH SEE ALSO"
  echo "The documentation installed with ktstr-vm (share/doc/ktstr-init): README.md and docs/*.md."
} > "$out.tmp"
mv "$out.tmp" "$out"

#!/usr/bin/env bash
# Fetch Debian's sched_ext kernel (the newest trixie-backports linux-image-cloud-amd64) into the
# cache, unpacked, not installed: $CACHE/kernel/RELEASE/{vmlinuz,config,vmlinux} and the link
# $CACHE/kernel-current. Shared by scripts/setup.sh and `ktstr-vm kernel fetch` (installed as
# libexec/ktstr-init/fetch-kernel.sh), so it needs no root and no change to the system's apt:
# apt reads trixie-backports' metadata into a private state under $CACHE/apt, derived from the
# system's own Debian sources.
#   fetch-kernel.sh [--refresh] [--source-into DIR]    or    fetch-kernel.sh --extract BZIMAGE OUT
#     --refresh          re-read the metadata now (else at most once a day)
#     --extract BZIMAGE OUT  only write the vmlinux inside BZIMAGE to OUT (zstd, xz or gzip payload)
#     --source-into DIR  also download the matching linux-source .deb into DIR (setup builds the
#                        scheduler fixtures from it), from the same metadata as the kernel
# Prints the release on stdout; progress on stderr. Needs apt, dpkg-deb and zstd (or xz/gzip).
set -euo pipefail

CACHE=${KTSTR_CACHE:-$HOME/.cache/ktstr-init}
REFRESH=0 SOURCE_INTO='' EXTRACT='' EXTRACT_OUT=''
while [ $# -gt 0 ]; do
  case $1 in
    --refresh) REFRESH=1 ;;
    --source-into) [ $# -ge 2 ] || { echo "fetch-kernel: --source-into needs a directory" >&2; exit 2; }
                   SOURCE_INTO=$2; shift ;;
    --extract) [ $# -ge 3 ] || { echo "fetch-kernel: --extract needs BZIMAGE OUT" >&2; exit 2; }
               EXTRACT=$2 EXTRACT_OUT=$3; shift 2 ;;
    -h|--help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "fetch-kernel: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '\033[1mkernel:\033[0m %s\n' "$*" >&2; }
die() { printf 'kernel: error: %s\n' "$*" >&2; exit 1; }

# The uncompressed kernel inside a bzImage: the setup header gives the payload's place and
# length (boot protocol 2.08+); the payload is one compressed stream followed by the 4-byte
# uncompressed size, which zstd and xz must not see.
extract_vmlinux() {
  local img=$1 out=$2 sects off len magic
  sects=$(od -An -tu1 -j497 -N1 "$img" | tr -d ' ')
  off=$(od -An -tu4 -j584 -N4 "$img" | tr -d ' ')
  len=$(od -An -tu4 -j588 -N4 "$img" | tr -d ' ')
  [ "$(od -An -c -j514 -N4 "$img" | tr -d ' ')" = HdrS ] || die "$img: not a bzImage (no HdrS setup header)"
  off=$(( (sects == 0 ? 4 : sects) * 512 + 512 + off ))
  payload() { dd if="$img" iflag=skip_bytes,count_bytes skip="$off" count="$1" status=none; }
  magic=$(payload 4 | od -An -tx1 | tr -d ' \n')
  case $magic in
    28b52ffd) payload $((len - 4)) | zstd -dcq ;;
    fd377a58) payload $((len - 4)) | xz -dcq ;;
    1f8b*)    payload "$len" | gzip -dcq || [ $? = 2 ] ;;   # 2: the size after the stream, ignored
    *) die "$img: unknown payload compression (magic $magic)" ;;
  esac > "$out"
  [ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || die "$img: the payload did not unpack to an ELF vmlinux"
}

if [ -n "$EXTRACT" ]; then
  extract_vmlinux "$EXTRACT" "$EXTRACT_OUT.tmp" && mv "$EXTRACT_OUT.tmp" "$EXTRACT_OUT"
  exit 0
fi

APT=$CACHE/apt
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/sources"
exec 9>"$APT/lock"
flock 9   # two fetches at once (a suite's shards on one machine) take turns

# One stanza for trixie-backports from the system's Debian sources (deb822 or one-line format):
# its mirror and keyring, nothing written outside the cache.
derive_sources() {
  local deb822=/etc/apt/sources.list.d/debian.sources list=/etc/apt/sources.list
  if [ -f "$deb822" ]; then
    sed -e '/^$/q' -e 's/^Suites:.*/Suites: trixie-backports/' -e 's/^Components:.*/Components: main/' "$deb822"
  elif [ -f "$list" ] && grep -q '^deb ' "$list"; then
    grep -m1 '^deb ' "$list" | awk '{ o = ""; i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) { o = o $i " "; i++ } o = o $i " "; i++ }
                                      print "deb " o $i " trixie-backports main" }'
  else
    die "no Debian apt sources found ($deb822 or $list): cannot derive trixie-backports"
  fi
}
ext=sources
[ -f /etc/apt/sources.list.d/debian.sources ] || ext=list
want=$(derive_sources)
if [ ! -f "$APT/sources/ktstr.$ext" ] || [ "$(cat "$APT/sources/ktstr.$ext")" != "$want" ]; then
  rm -f "$APT/sources/ktstr."*
  printf '%s\n' "$want" > "$APT/sources/ktstr.$ext"
  REFRESH=1
fi

apt_opts=(-o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache"
          -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$APT/sources"
          -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null)
# Root's downloads would run as _apt, which cannot enter a private cache under /root.
[ "$(id -u)" = 0 ] && apt_opts+=(-o APT::Sandbox::User=root)

if [ "$REFRESH" = 1 ] || [ -z "$(find "$APT/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null)" ]; then
  log "reading trixie-backports' package lists (apt-get update, private state in $APT)"
  apt-get "${apt_opts[@]}" update -qq >&2 || die "apt-get update of trixie-backports failed"
fi

kv=$(apt-cache "${apt_opts[@]}" depends linux-image-cloud-amd64 2>/dev/null \
      | sed -n 's/.*Depends: linux-image-\([0-9].*-cloud-amd64\)$/\1/p' | head -n1)
[ -n "$kv" ] || die "could not resolve the trixie-backports cloud kernel version from apt metadata"
dir=$CACHE/kernel/$kv

if [ ! -f "$dir/vmlinuz" ] || [ ! -f "$dir/config" ]; then
  log "downloading kernel $kv (~15 MB)"
  tmp=$(mktemp -d "$CACHE/kdl.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get "${apt_opts[@]}" download -q "linux-binary-$kv" "linux-base-$kv" >&2) \
    || die "apt-get download linux-binary-$kv linux-base-$kv failed"
  log "unpacking"
  for d in "$tmp"/*.deb; do dpkg-deb -x "$d" "$tmp/root"; done
  mkdir -p "$dir"
  cp "$tmp/root/usr/lib/modules/$kv/config" "$dir/config"
  cp "$tmp/root/usr/lib/modules/$kv/vmlinuz" "$dir/.vmlinuz.tmp" && mv "$dir/.vmlinuz.tmp" "$dir/vmlinuz"
fi
grep -qx 'CONFIG_SCHED_CLASS_EXT=y' "$dir/config" \
  || die "kernel $kv lacks CONFIG_SCHED_CLASS_EXT=y (see $dir/config): it cannot run sched_ext schedulers"
if [ ! -s "$dir/vmlinux" ]; then
  log "extracting vmlinux from vmlinuz (the schedulers' BTF; booted through its PVH entry)"
  extract_vmlinux "$dir/vmlinuz" "$dir/.vmlinux.tmp" && mv "$dir/.vmlinux.tmp" "$dir/vmlinux"
fi
ln -sfn "kernel/$kv" "$CACHE/kernel-current"
if [ -n "$SOURCE_INTO" ]; then
  mm=$(echo "$kv" | cut -d. -f1-2)
  log "downloading linux-source-$mm (~170 MB)"
  (cd "$SOURCE_INTO" && apt-get "${apt_opts[@]}" download -q "linux-source-$mm" >&2) \
    || die "apt-get download linux-source-$mm failed"
fi
log "ready: $dir"
echo "$kv"

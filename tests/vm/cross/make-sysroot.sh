#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Makes (or reuses) a sysroot of a foreign Debian architecture for the cross
# build of hiod and the guest's userland (the ppc64le pseries lane: ppc64el;
# the aarch64 virt lane: arm64): Debian's own packages, extracted with dpkg -x,
# never installed system-wide (foreign-architecture installs fail on version
# skew). apt runs with a private state and list directory, so the host's apt
# configuration is not touched (no dpkg --add-architecture).
#
#   make-sysroot.sh DEBIAN_ARCH   -> prints the sysroot's path (DEBIAN_ARCH:
#                                    ppc64el, the default, or arm64)
#
# Cached in $HIOD_CACHE_DIR (default /var/cache/hiod) as
# sysroot-DEBIAN_ARCH-KEY, KEY from the architecture, the package lists and
# the recipe number below.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HIOD_CACHE_DIR:-/var/cache/hiod}
arch=${1:-ppc64el}
log() { echo "make-sysroot: $*" >&2; }
case "$arch" in
  ppc64el|arm64) ;;
  *) log "unknown Debian architecture $arch (ppc64el or arm64)"; exit 1 ;;
esac

# Runtime libraries, with their dependencies resolved by apt.
runtime=(libc6 libglib2.0-0 libjson-glib-1.0-0 busybox-static)
# Headers, pkg-config files and link symlinks; downloaded without dependencies.
devel=(libc6-dev linux-libc-dev libglib2.0-dev libjson-glib-dev libpcre2-dev libffi-dev
       zlib1g-dev libmount-dev libblkid-dev libselinux1-dev libsepol-dev)

# Bump when the steps below change in a way that changes the result.
recipe=1
lists="${runtime[*]} | ${devel[*]}"
key=$(printf '%s\n' "$arch" "$lists" "recipe=$recipe" | sha256sum | cut -c1-16)
# The ppc64el sysroot keeps the key it had when this script made only that
# one (the hash of the script itself, which held these lists), so its cache
# stays valid while its lists and recipe stay what they were then.
if [ "$arch" = ppc64el ] && [ $recipe = 1 ] &&
   [ "$lists" = "libc6 libglib2.0-0 libjson-glib-1.0-0 busybox-static | libc6-dev linux-libc-dev libglib2.0-dev libjson-glib-dev libpcre2-dev libffi-dev zlib1g-dev libmount-dev libblkid-dev libselinux1-dev libsepol-dev" ]; then
  key=4456d2d3634a50e2
fi
out="$cache/sysroot-$arch-$key"
if [ -f "$out/.complete" ]; then echo "$out"; exit 0; fi
mkdir -p "$cache"
exec 9>"$cache/.lock-sysroot-$arch"
flock 9
if [ -f "$out/.complete" ]; then echo "$out"; exit 0; fi

work="$cache/sysroot-work-$key"
rm -rf "$work" "$out.tmp"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/state" "$work/parts" "$work/prefs" "$out.tmp"
: > "$work/status"
# The machine's own Debian mirrors, whatever they are.
for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list; do
  [ -f "$f" ] || continue
  grep -q 'debian' "$f" || continue
  cp "$f" "$work/parts/"
done
apt_opts=(-o APT::Architecture="$arch" -o APT::Architectures::="$arch"
  -o Dir::State="$work/state" -o Dir::State::Lists="$work/lists" -o Dir::State::status="$work/status"
  -o Dir::Cache="$work/cache" -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$work/parts"
  -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts="$work/prefs"
  -o Debug::NoLocking=1 -o APT::Install-Recommends=false -o Acquire::Languages=none)
log "fetching the $arch package lists"
# A suite whose index for the architecture is missing (it happened to the security suite)
# leaves the others usable.
apt-get "${apt_opts[@]}" update -qq >"$work/update.log" 2>&1 || log "apt-get update: $(tail -3 "$work/update.log")"
log "downloading ${runtime[*]} with dependencies"
apt-get "${apt_opts[@]}" install -y -qq --download-only "${runtime[@]}" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; exit 1; }
(cd "$work/cache/archives" && apt-get "${apt_opts[@]}" download -qq "${devel[@]}") >"$work/download.log" 2>&1 ||
  { cat "$work/download.log" >&2; exit 1; }
for deb in "$work"/cache/archives/*.deb; do
  dpkg -x "$deb" "$out.tmp"
done
ls "$work"/cache/archives/*.deb | xargs -n1 basename > "$out.tmp/.packages"
# Absolute symlinks point into the host's /: make them relative to the sysroot.
find "$out.tmp" -type l | while read -r l; do
  t=$(readlink "$l")
  case "$t" in
    /*) ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$out.tmp$t")" "$l" ;;
  esac
done
# Debian 12 is not yet merged-/usr inside its packages: give /lib, /bin, /sbin
# the usual aliases so that every library is found under /usr too.
for d in lib bin sbin; do
  if [ -d "$out.tmp/$d" ] && [ ! -L "$out.tmp/$d" ]; then
    mkdir -p "$out.tmp/usr/$d"
    cp -a "$out.tmp/$d/." "$out.tmp/usr/$d/"
    rm -rf "$out.tmp/$d"
  fi
  ln -sfn "usr/$d" "$out.tmp/$d"
done
touch "$out.tmp/.complete"
rm -rf "$out"; mv "$out.tmp" "$out"
rm -rf "$work"
log "cached $out"
echo "$out"

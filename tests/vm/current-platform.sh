#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The current platform of the VM lane: QEMU 11.1 and the Linux 7.3 source from
# Debian's trixie-backports suite, unpacked into a private tree. The machine
# stays Debian 12: apt runs with a private state (lists, cache, an empty dpkg
# status, so every trixie dependency is downloaded) and the packages are
# extracted with dpkg -x, never installed. See ../shared/docs/platforms.md.
#
#   current-platform.sh root        -> prints the tree's path (made once)
#   current-platform.sh qemu ARCH   -> prints a wrapper that runs that tree's
#                                      qemu-system-ARCH (x86_64, ppc64, aarch64)
#   current-platform.sh linux-src   -> prints the path of linux-source-7.3.tar.xz
#   current-platform.sh versions    -> the packages' versions, one "name version" a line
#
# Cached in $HIOD_CACHE_DIR (default /var/cache/hiod) as platform-current-KEY,
# KEY from the package list, the suite and the recipe number below.
set -euo pipefail
cache=${HIOD_CACHE_DIR:-/var/cache/hiod}
log() { echo "current-platform: $*" >&2; }
what=${1:-root}

pkgs=(qemu-system-x86 qemu-system-ppc qemu-system-arm linux-source-7.3)
suite=trixie-backports
# Bump when the way the tree is made changes its result.
recipe=1
key=$(echo "${pkgs[*]} $suite recipe=$recipe" | sha256sum | cut -c1-16)
out="$cache/platform-current-$key"

make_tree() {
  mkdir -p "$cache"
  exec 9>"$cache/.lock-platform-current"
  flock 9
  [ -f "$out/.complete" ] && return 0
  local work="$cache/platform-work-$key" mirror
  rm -rf "$work" "$out.tmp"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/parts" "$work/prefs" "$out.tmp"
  : > "$work/status"
  # The machine's own Debian mirror, whatever it is.
  mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/\{0,1\}$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  [ -n "$mirror" ] || mirror=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]*\/debian\)\/\{0,1\}[[:space:]].*/\2/p' /etc/apt/sources.list 2>/dev/null | head -1)
  [ -n "$mirror" ] || { log "no Debian mirror found in /etc/apt"; exit 1; }
  cat > "$work/parts/trixie.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main
SRC
  local o=(-o APT::Architecture=amd64 -o APT::Architectures::=amd64
    -o Dir::State="$work" -o Dir::State::Lists="$work/lists" -o Dir::State::status="$work/status"
    -o Dir::Cache="$work/cache" -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$work/parts"
    -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts="$work/prefs"
    -o Debug::NoLocking=1 -o APT::Install-Recommends=false -o Acquire::Languages=none)
  log "fetching trixie and $suite package lists from $mirror"
  apt-get "${o[@]}" update -qq > "$work/update.log" 2>&1 || { cat "$work/update.log" >&2; exit 1; }
  log "downloading ${pkgs[*]} and their trixie dependencies"
  apt-get "${o[@]}" install -y -qq --download-only -t "$suite" "${pkgs[@]}" > "$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; exit 1; }
  local deb
  for deb in "$work"/cache/archives/*.deb; do dpkg -x "$deb" "$out.tmp"; done
  for deb in "$work"/cache/archives/*.deb; do
    dpkg-deb -f "$deb" Package Version | paste -sd' ' | sed 's/^Package: \(.*\) Version: /\1 /'
  done > "$out.tmp/.versions"
  local arch
  for arch in x86_64 ppc64 aarch64; do
    cat > "$out.tmp/qemu-system-$arch" <<WRAP
#!/bin/sh
# QEMU 11 from the private tree, through the tree's own loader and libraries.
R=$out
export QEMU_MODULE_DIR=\$R/usr/lib/x86_64-linux-gnu/qemu
exec \$R/usr/lib64/ld-linux-x86-64.so.2 --library-path \$R/usr/lib/x86_64-linux-gnu \\
  \$R/usr/bin/qemu-system-$arch -L \$R/usr/share/qemu -L \$R/usr/share/seabios -L \$R/usr/share/slof "\$@"
WRAP
    chmod +x "$out.tmp/qemu-system-$arch"
  done
  rm -rf "$out"; mv "$out.tmp" "$out"
  # the wrappers name the final path
  "$out/qemu-system-x86_64" --version | head -1 >&2
  touch "$out/.complete"
  rm -rf "$work"
}

[ -f "$out/.complete" ] || make_tree
case "$what" in
  root) echo "$out" ;;
  qemu) echo "$out/qemu-system-${2:-x86_64}" ;;
  linux-src) ls "$out"/usr/src/linux-source-7.3.tar.xz ;;
  versions) cat "$out/.versions" ;;
  *) log "unknown request $what"; exit 1 ;;
esac

#!/usr/bin/env bash
# Build (or reuse) the test kernel for the VM lane.
#
#   build-kernel.sh x86_64 [VERSION]   -> prints the path of a cached bzImage
#   build-kernel.sh ppc64le [VERSION]  -> prints the path of a cached vmlinux
#   build-kernel.sh aarch64 [VERSION]  -> prints the path of a cached Image
#   build-kernel.sh headers [VERSION]  -> prints the path of the kernel's installed
#                                         UAPI headers (make headers_install), for ABI checks
#
# VERSION is 6.12 (the LTS platform, the default: Debian 12's linux-source-6.12)
# or 7.3 (the current platform: linux-source-7.3 from trixie-backports, unpacked
# by current-platform.sh). The config fragment kernel-ARCH.fragment lives next
# to this script; kernel-ARCH-VERSION.fragment, when present, adds to it. The
# result is cached outside the work tree in $HIOD_CACHE_DIR (default
# /var/cache/hiod), keyed by the source package version, the fragments and the
# recipe number, so CI and later runs reuse it.
set -euo pipefail
arch=${1:-x86_64}
ver=${2:-6.12}
here=$(cd "$(dirname "$0")" && pwd)
cache=${HIOD_CACHE_DIR:-/var/cache/hiod}
log() { echo "build-kernel: $*" >&2; }

case "$ver" in
  6.12)
    src_tar=/usr/src/linux-source-6.12.tar.xz
    [ -r "$src_tar" ] || { log "missing $src_tar (apt-get install linux-source-6.12)"; exit 1; }
    srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || stat -c %Y "$src_tar") ;;
  7.3)
    src_tar=$("$here/current-platform.sh" linux-src) || { log "no linux-source-7.3 (current-platform.sh failed)"; exit 1; }
    srcver=$("$here/current-platform.sh" versions | awk '$1 == "linux-source-7.3" { print $2 }') ;;
  *) log "unknown kernel version $ver (6.12 or 7.3)"; exit 1 ;;
esac
srcdir=linux-source-$ver
# Bump when the build recipe below changes in a way that changes the result.
# 2: the base is allnoconfig (was x86_64_defconfig + kvm_guest.config and
# ppc64le_guest_defconfig): the fragments name all the guest uses, and a cold
# build of the four kernels takes minutes, not an hour.
recipe=2
frags=()
if [ "$arch" != headers ]; then
  frags=("$here/kernel-$arch.fragment")
  [ -r "${frags[0]}" ] || { log "no config fragment ${frags[0]}"; exit 1; }
  [ -r "$here/kernel-$arch-$ver.fragment" ] && frags+=("$here/kernel-$arch-$ver.fragment")
fi
# The 6.12 key is what it was before versions existed (the cache stays valid).
if [ "$ver" = 6.12 ]; then tag=$arch; else tag=$arch-$ver; fi
# The headers' recipe has not changed since 1 (their cache stays valid).
[ "$arch" = headers ] && recipe=1
key=$( { echo "$srcver recipe=$recipe"; cat "${frags[@]}" /dev/null; } | sha256sum | cut -c1-16)
out="$cache/kernel-$tag-$key"
case "$arch" in
  x86_64)  image=bzImage; make_args=(); target=bzImage; built=arch/x86/boot/bzImage ;;
  headers) image=include/linux/vfio.h; make_args=(); target=headers_install; built= ;;
  ppc64le) image=vmlinux; make_args=(ARCH=powerpc CROSS_COMPILE=powerpc64le-linux-gnu-); target=vmlinux; built=vmlinux ;;
  aarch64) image=Image; make_args=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-); target=Image; built=arch/arm64/boot/Image ;;
  *) log "unknown arch $arch"; exit 1 ;;
esac
result() { if [ "$arch" = headers ]; then echo "$out/include"; else echo "$out/$image"; fi; }
if [ -s "$out/$image" ]; then result; exit 0; fi

mkdir -p "$cache"
exec 9>"$cache/.lock-$tag"
flock 9
if [ -s "$out/$image" ]; then result; exit 0; fi

work="$cache/build-$tag-$key"
rm -rf "$work"; mkdir -p "$work"
log "unpacking $src_tar (source $srcver) into $work"
tar -C "$work" -xf "$src_tar"
cd "$work/$srcdir"
if [ "$arch" = headers ]; then
  make headers_install INSTALL_HDR_PATH="$out.tmp" > "$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; exit 1; }
  rm -rf "$out"; mv "$out.tmp" "$out"
  cd /; rm -rf "$work"
  echo "$out/include"; exit 0
fi
# The fragments' options, one "y NAME" or "n NAME" a line (comments and blank
# lines dropped; anything else is an error).
options() {
  local what name
  while read -r what name; do
    case "$what" in
      y | n) echo "$what $name" ;;
      "#"* | "") ;;
      *) log "bad fragment line: $what $name"; return 1 ;;
    esac
  done < <(cat "${frags[@]}")
}
options > "$work/options" || exit 1
# Start from nothing: every option the guest needs is in the fragments, given
# to allnoconfig as its KCONFIG_ALLCONFIG (so defaults that depend on them,
# e.g. ppc64's FRAME_WARN, are those of the configured machine); they are
# applied once more and olddefconfig settles what they select.
while read -r what name; do
  if [ "$what" = y ]; then echo "CONFIG_$name=y"; else echo "# CONFIG_$name is not set"; fi
done < "$work/options" > "$work/fragment.config"
make "${make_args[@]}" KCONFIG_ALLCONFIG="$work/fragment.config" allnoconfig >/dev/null
while read -r what name; do
  if [ "$what" = y ]; then scripts/config --enable "$name"; else scripts/config --disable "$name"; fi
done < "$work/options"
make "${make_args[@]}" olddefconfig >/dev/null
# Check that every requested option survived olddefconfig.
missing=0
while read -r what name; do
  [ "$what" = y ] || continue
  grep -q "^CONFIG_$name=y" .config || { log "CONFIG_$name did not stay enabled"; missing=1; }
done < "$work/options"
[ $missing = 0 ] || { log "config fragment not satisfiable"; exit 1; }
log "building $target (this takes several minutes the first time)"
make "${make_args[@]}" -j"$(( $(nproc) + 1 ))" "$target" > "$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; exit 1; }
mkdir -p "$out.tmp"
cp "$built" "$out.tmp/$image"
cp .config "$out.tmp/config"
rm -rf "$out"; mv "$out.tmp" "$out"
# The x86_64 tree also gives the UAPI headers (build-kernel.sh headers VER:
# what they are made from is the same source, for the build machine's arch)
# when they are not cached yet: a cold run then unpacks each source once.
if [ "$arch" = x86_64 ]; then
  if [ "$ver" = 6.12 ]; then htag=headers; else htag=headers-$ver; fi
  hout="$cache/kernel-$htag-$(echo "$srcver recipe=1" | sha256sum | cut -c1-16)"
  exec 8>"$cache/.lock-$htag"
  flock 8
  if [ ! -s "$hout/include/linux/vfio.h" ]; then
    log "installing the UAPI headers into $hout"
    make headers_install INSTALL_HDR_PATH="$hout.tmp" >> "$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; exit 1; }
    rm -rf "$hout"; mv "$hout.tmp" "$hout"
  fi
  exec 8>&-
fi
cd /; rm -rf "$work"
log "cached $out/$image"
echo "$out/$image"

#!/usr/bin/env bash
# Build (or reuse) the test kernel for the VM lane.
#
#   build-kernel.sh x86_64     -> prints the path of a cached bzImage
#   build-kernel.sh ppc64le    -> prints the path of a cached vmlinux
#   build-kernel.sh headers    -> prints the path of the kernel's installed UAPI
#                                 headers (make headers_install), for ABI checks
#
# The kernel comes from Debian's linux-source-6.12 package; the config fragment
# lives next to this script. The result is cached outside the work tree in
# $HIOD_CACHE_DIR (default /var/cache/hiod), keyed by the source package version,
# the fragment and this script, so CI and later runs reuse it.
set -euo pipefail
arch=${1:-x86_64}
here=$(cd "$(dirname "$0")" && pwd)
cache=${HIOD_CACHE_DIR:-/var/cache/hiod}
src_tar=/usr/src/linux-source-6.12.tar.xz
log() { echo "build-kernel: $*" >&2; }

[ -r "$src_tar" ] || { log "missing $src_tar (apt-get install linux-source-6.12)"; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || stat -c %Y "$src_tar")
# Bump when the build recipe below changes in a way that changes the result.
recipe=1
if [ "$arch" = headers ]; then frag=/dev/null; else frag="$here/kernel-$arch.fragment"; fi
[ -r "$frag" ] || { log "no config fragment $frag"; exit 1; }
key=$( { echo "$srcver recipe=$recipe"; cat "$frag"; } | sha256sum | cut -c1-16)
out="$cache/kernel-$arch-$key"
case "$arch" in
  x86_64)  image=bzImage; make_args=(); target=bzImage; built=arch/x86/boot/bzImage ;;
  headers) image=include/linux/vfio.h; make_args=(); target=headers_install; built= ;;
  ppc64le) image=vmlinux; make_args=(ARCH=powerpc CROSS_COMPILE=powerpc64le-linux-gnu-); target=vmlinux; built=vmlinux ;;
  *) log "unknown arch $arch"; exit 1 ;;
esac
result() { if [ "$arch" = headers ]; then echo "$out/include"; else echo "$out/$image"; fi; }
if [ -s "$out/$image" ]; then result; exit 0; fi

mkdir -p "$cache"
exec 9>"$cache/.lock-$arch"
flock 9
if [ -s "$out/$image" ]; then result; exit 0; fi

work="$cache/build-$arch-$key"
rm -rf "$work"; mkdir -p "$work"
log "unpacking $src_tar (source $srcver) into $work"
tar -C "$work" -xf "$src_tar"
cd "$work"/linux-source-6.12
if [ "$arch" = headers ]; then
  make headers_install INSTALL_HDR_PATH="$out.tmp" > "$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; exit 1; }
  rm -rf "$out"; mv "$out.tmp" "$out"
  cd /; rm -rf "$work"
  echo "$out/include"; exit 0
fi
if [ "$arch" = x86_64 ]; then
  make "${make_args[@]}" x86_64_defconfig >/dev/null
  make "${make_args[@]}" kvm_guest.config >/dev/null
else
  make "${make_args[@]}" ppc64le_guest_defconfig >/dev/null
  # Built-in everything that was a module would pull boot-time self-tests in.
  sed -i -e 's/^\(CONFIG_[A-Za-z0-9_]*\)=m$/# \1 is not set/' .config
fi
while read -r what name; do
  case "$what" in
    y) scripts/config --enable "$name" ;;
    n) scripts/config --disable "$name" ;;
    "#"*|"") ;;
    *) log "bad fragment line: $what $name"; exit 1 ;;
  esac
done < "$frag"
make "${make_args[@]}" olddefconfig >/dev/null
# Check that every requested option survived olddefconfig.
missing=0
while read -r what name; do
  case "$what" in
    y) grep -q "^CONFIG_$name=y" .config || { log "CONFIG_$name did not stay enabled"; missing=1; } ;;
  esac
done < "$frag"
[ $missing = 0 ] || { log "config fragment not satisfiable"; exit 1; }
log "building $target (this takes several minutes the first time)"
make "${make_args[@]}" -j"$(( $(nproc) + 1 ))" "$target" > "$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; exit 1; }
mkdir -p "$out.tmp"
cp "$built" "$out.tmp/$image"
cp .config "$out.tmp/config"
rm -rf "$out"; mv "$out.tmp" "$out"
cd /; rm -rf "$work"
log "cached $out/$image"
echo "$out/$image"

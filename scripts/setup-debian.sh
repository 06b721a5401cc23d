#!/usr/bin/env bash
# Installs what hiod needs to build, test and run its VM lanes on Debian 12.
# Idempotent: installs only what is missing (apt-get update first when needed).
set -euo pipefail
pkgs=(
  # build
  gcc g++ meson ninja-build pkg-config libglib2.0-dev libjson-glib-dev
  gobject-introspection libgirepository1.0-dev gir1.2-glib-2.0 gir1.2-json-1.0
  python3 python3-gi gi-docgen python3-jsonschema
  # the fuzz lane (libFuzzer, ASan, UBSan)
  clang libclang-rt-14-dev
  # the x86 VM lane: test kernel and emulator
  qemu-system-x86 linux-source-6.12 flex bison bc libelf-dev libssl-dev rsync
  iproute2 cpio xz-utils kmod
  # the ppc64le pseries lane (sPAPR)
  qemu-system-ppc gcc-powerpc64le-linux-gnu busybox-static
  # the aarch64 virt lane (SMMUv3; its QEMU 11.1 is the current platform's tree)
  gcc-aarch64-linux-gnu
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
echo "setup: done"

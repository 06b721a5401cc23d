#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The aarch64 virt + SMMUv3 lane as one TAP-printing test:
#   run-lane.sh SRCDIR CROSS_BUILDDIR TOPOLOGY [PLATFORM]
# builds (or reuses) the arm64 sysroot and the aarch64 cross build (legacy
# VFIO and iommufd), then boots the virt guest (../vmrun.py --arch aarch64,
# which builds or reuses the kernel) with TOPOLOGY (smmuv3: the machine's
# SMMUv3, both stages; smmuv3-stage1: a user-created one, stage 1 only) and
# runs the guest programs there. PLATFORM is current (Linux 7.3 under QEMU
# 11.1 from the private tree of ../current-platform.sh), the only one: QEMU
# 7.2's SMMUv3 has no stage options.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$1
build=$2
topology=$3
platform=${4:-current}
fail() {
  echo "not ok 1 - aarch64 lane: $1"
  [ -n "${2:-}" ] && [ -f "$2" ] && tail -30 "$2" | sed 's/^/# /'
  echo "1..1"
  exit 1
}
mkdir -p "$build"
log="$build.lane-$topology.log"
: > "$log"
progs=(tools/hiodctl tests/vm/test-vm-legacy tests/vm/test-vm-iommufd tests/vm/test-vm-hwinfo
       tests/vm/test-vm-smmuv3)
# the lanes of both topologies may run at once: one of them builds, the other waits
out=$(flock "$build.lock" "$here/../cross/cross-build.sh" aarch64 "$src" "$build" "${progs[@]}" 2>>"$log") ||
  fail "the aarch64 cross build failed" "$log"
read -r sysroot xbuild <<< "$out"
h="HIODCTL=/hiod/tools/hiodctl"
# test-vm-legacy and test-vm-iommufd without their tests of the x86 topology
# (VT-d's 39-bit space, sysfs registers and JSON, the x86 MSI window, a host
# IOMMU that refuses nesting parents; kernel-faults needs fault injection,
# which this kernel leaves out): what they
# check of the SMMUv3 is in test-vm-smmuv3
legacy_x86=(-s /hiod/vm/legacy/host-iommu-device -s /hiod/vm/legacy/bad-input -s /hiod/vm/legacy/hiodctl
            -s /hiod/vm/legacy/dma-limit)
iommufd_x86=(-s /hiod/vm/iommufd/hw-info -s /hiod/vm/iommufd/refused-flags -s /hiod/vm/iommufd/bad-input
             -s /hiod/vm/iommufd/kernel-faults -s /hiod/vm/iommufd/hiodctl)
case "$topology" in
  smmuv3)
    cmds=("$h HIOD_EXPECT_SMMUV3_STAGE=nested /hiod/tests/vm/test-vm-smmuv3 --tap"
          "$h /hiod/tests/vm/test-vm-hwinfo --tap"
          "$h /hiod/tests/vm/test-vm-legacy --tap ${legacy_x86[*]}"
          "$h /hiod/tests/vm/test-vm-iommufd --tap ${iommufd_x86[*]}") ;;
  smmuv3-stage1)
    cmds=("$h HIOD_EXPECT_SMMUV3_STAGE=1 /hiod/tests/vm/test-vm-smmuv3 --tap"
          "$h /hiod/tests/vm/test-vm-hwinfo --tap") ;;
  *) fail "unknown topology $topology" ;;
esac
args=()
for c in "${cmds[@]}"; do args+=("$c" --); done
exec python3 "$here/../vmrun.py" --tap --arch aarch64 --platform "$platform" --topology "$topology" \
  --sysroot "$sysroot" --build "$xbuild" -- "${args[@]}"

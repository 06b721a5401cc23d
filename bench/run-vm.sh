#!/usr/bin/env bash
# bench/run-vm.sh [BUILDDIR] [-- bench-dma options]: boots the test VM (through
# /work/wt/vmslot when it exists, as every VM run on the shared build machines
# must) and runs bench-dma there: DMA mapping through hiod against the raw
# ioctls, type1 and iommufd, 1K/16K/64K 4 KiB mappings, 2 MiB hugetlbfs
# mappings, a guest-sized region, and hiod's own bookkeeping. Prints the
# report (README.md, "Performance", explains the columns).
#
# Environment: PLATFORM (lts, current, lts-qemu11; default lts), MEMORY
# (guest RAM, default 4G: 256 MiB of 4 KiB pages, 1 GiB of huge pages and a
# 1 GiB region), VMRUN_ARGS (more vmrun.py options).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
build=$(cd "$build" && pwd)
bench="$build/bench/bench-dma"
if [ ! -x "$bench" ]; then
  echo "run-vm.sh: $bench is not built (ninja -C $build; it needs the legacy and iommufd backends)" >&2
  exit 2
fi
slot=()
[ -x /work/wt/vmslot ] && slot=(/work/wt/vmslot)
# type1 refuses more than dma_entry_limit mappings per container (65535 by
# default): 64K mappings need it raised
append="vfio_iommu_type1.dma_entry_limit=262144"
exec "${slot[@]}" python3 "$top/tests/vm/vmrun.py" --platform "${PLATFORM:-lts}" --topology default \
  --memory "${MEMORY:-4G}" --timeout 1500 --append "$append" ${VMRUN_ARGS:-} -- "$bench $*"

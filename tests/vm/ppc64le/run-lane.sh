#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The ppc64le pseries lane as one TAP-printing test:
#   run-lane.sh SRCDIR CROSS_BUILDDIR [PLATFORM]
# builds (or reuses) the ppc64el sysroot and the ppc64le cross build, then
# boots the pseries guest (../vmrun.py --arch ppc64le) and runs the sPAPR tests there.
# PLATFORM is lts (Linux 6.12 under QEMU 7.2, the default) or current (Linux
# 7.3 under QEMU 11.1 from the private tree of ../current-platform.sh).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$1
build=$2
fail() {
  echo "not ok 1 - ppc64le lane: $1"
  [ -n "${2:-}" ] && [ -f "$2" ] && tail -30 "$2" | sed 's/^/# /'
  echo "1..1"
  exit 1
}
mkdir -p "$build"
platform=${3:-lts}
log="$build.lane-$platform.log"
: > "$log"
case "$platform" in
  lts | current) ;;
  *) fail "unknown platform $platform" ;;
esac
# both platforms' lanes may run at once: one of them builds, the other waits
out=$(flock "$build.lock" "$here/../cross/cross-build.sh" ppc64le "$src" "$build" tools/hiodctl tests/vm/ppc64le/test-vm-spapr 2>>"$log") ||
  fail "the ppc64le cross build failed" "$log"
read -r sysroot xbuild <<< "$out"
# vmrun.py builds (or reuses) the platform's kernel and finds its QEMU
exec python3 "$here/../vmrun.py" --tap --arch ppc64le --platform "$platform" --topology spapr \
  --sysroot "$sysroot" --build "$xbuild" -- \
  "HIODCTL=/hiod/tools/hiodctl /hiod/tests/vm/ppc64le/test-vm-spapr --tap"

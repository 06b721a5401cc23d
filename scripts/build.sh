#!/usr/bin/env bash
# Configures (once) and builds hiod in ./build, with the ABI checks pointed at
# the test kernels' own UAPI headers (Linux 6.12 and 7.3).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# the ABI check runs against both platforms' kernels: 6.12 and 7.3
headers=$(tests/vm/build-kernel.sh headers 6.12)
headers_current=$(tests/vm/build-kernel.sh headers 7.3)
opts=(-Dkernel_uapi_headers="$headers" -Dkernel_uapi_headers_current="$headers_current")
if [ ! -f build/build.ninja ]; then
  meson setup build "${opts[@]}" -Dspapr=enabled
else
  meson configure build "${opts[@]}" > /dev/null
fi
ninja -C build

#!/usr/bin/env bash
# Configures (once) and builds hiod in ./build, with the ABI check pointed at
# the test kernel's own UAPI headers.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
headers=$(tests/vm/build-kernel.sh headers)
if [ ! -f build/build.ninja ]; then
  meson setup build -Dkernel_uapi_headers="$headers" -Dspapr=enabled
else
  meson configure build -Dkernel_uapi_headers="$headers" > /dev/null
fi
ninja -C build

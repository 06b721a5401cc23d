#!/usr/bin/env bash
# The fuzz lane: builds the libFuzzer harnesses (build-fuzz: clang, ASan,
# UBSan, -Dfuzzing=enabled) and runs each for SECONDS (default 10) from its
# seed corpus in tests/fuzz/corpus/<harness>/. Prints each harness's
# executions and the total; any crash (or sanitizer report, or a leak of an
# fd) fails the lane, and its input is kept in build-fuzz/fuzz-artifacts/.
#   tests/fuzz/run.sh [SECONDS] [HARNESS...]
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
secs=${1:-10}
shift $(( $# > 0 ? 1 : 0 ))
dir=${HIOD_FUZZ_BUILD_DIR:-build-fuzz}
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for c in tests/fuzz/fuzz-*.c; do
    h=$(basename "$c" .c)
    [ "$h" = fuzz-common ] || harnesses+=("$h")
  done
fi
if [ ! -f "$dir/build.ninja" ] &&
   ! CC=clang CXX=clang++ meson setup "$dir" -Dfuzzing=enabled -Db_lundef=false -Dspapr=enabled -Ddocs=disabled \
       -Dintrospection=disabled > "$dir.log" 2>&1; then
  echo "fuzz: setting up $dir FAILED (see $dir.log)"; tail -20 "$dir.log"; exit 1
fi
if ! ninja -C "$dir" "${harnesses[@]/#/tests/fuzz/}" >> "$dir.log" 2>&1; then
  echo "fuzz: building the harnesses FAILED (see $dir.log)"; tail -20 "$dir.log"; exit 1
fi
# the fake sysfs trees are many small files: in memory when /dev/shm is there
tmp=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
work=$(mktemp -d "$tmp/hiod-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$dir/fuzz-artifacts"
total=0
crashes=0
for h in "${harnesses[@]}"; do
  mkdir -p "$work/$h" "$work/tmp"
  # the harness's fake sysfs trees go to $work/tmp; new inputs to $work/$h, never the seeds
  TMPDIR=$work/tmp ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=print_stacktrace=1 \
    "$dir/tests/fuzz/$h" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$top/$dir/fuzz-artifacts/$h-" "$work/$h" "tests/fuzz/corpus/$h" \
    > "$work/$h.log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$h.log" | tail -1)
  execs=${execs:-0}
  total=$((total + execs))
  if [ $rc -ne 0 ]; then
    crashes=$((crashes + 1))
    echo "fuzz $h: $execs executions, CRASH (exit $rc; input in $dir/fuzz-artifacts/)"
    grep -E -m 12 'ERROR|SUMMARY|runtime error|left open|^hiod|#[0-9]+ 0x' "$work/$h.log"
  else
    echo "fuzz $h: $execs executions, no crash"
  fi
done
echo "fuzz: ${#harnesses[@]} harnesses, $total executions, $crashes crashes"
[ $crashes -eq 0 ]

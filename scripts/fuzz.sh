#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang-14) and runs each for SECONDS
# (default 10) over a scratch copy of its corpus; the seeds in tests/fuzz/corpus/<target>
# are read, never written. A crash leaves its input in build/fuzz/crashes/ and fails.
# `make test` runs 10 s each; `make fuzz FUZZ_SECONDS=600` a long run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds_each=${1:-10}
cmake -S tests/fuzz -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
mkdir -p build/fuzz
if ! cmake --build build/fuzz -j "$(nproc)" >build/fuzz/build.log 2>&1; then
  tail -80 build/fuzz/build.log
  exit 1
fi
mkdir -p build/fuzz/crashes
for target in event snapshot config stored debezium cluster http; do
  work=build/fuzz/work/$target
  mkdir -p "$work"
  if ! ./build/fuzz/fuzz_$target "$work" "tests/fuzz/corpus/$target" \
      -max_total_time="$seconds_each" -max_len=4096 -timeout=10 \
      -artifact_prefix="build/fuzz/crashes/$target-" -print_final_stats=1 \
      >"build/fuzz/$target.log" 2>&1; then
    tail -60 "build/fuzz/$target.log"
    echo "fuzz_$target: FAILED (input in build/fuzz/crashes/)"
    exit 1
  fi
  runs=$(grep -m1 'stat::number_of_executed_units' "build/fuzz/$target.log" | awk '{print $2}')
  echo "fuzz_$target: ${runs} inputs in ${seconds_each} s, no crash"
done

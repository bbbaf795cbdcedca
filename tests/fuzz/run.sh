#!/bin/sh
# Runs every fuzz target of a `fuzz` preset build (libFuzzer, ASan+UBSan) for a bounded time,
# starting from its checked-in corpus; exits non-zero on the first crash, leak, sanitizer report
# or timeout. New corpus entries go to a scratch directory, never into the repository; a
# crashing input is written to build-fuzz/fuzz-artifacts/.
#   tests/fuzz/run.sh [seconds per target, default 25] [target ...]
set -eu
cd "$(dirname "$0")/../.."
seconds=${1:-25}
[ $# -gt 0 ] && shift
targets=${*:-$(ls tests/fuzz/corpus)}
scratch=build-fuzz/fuzz-scratch
mkdir -p build-fuzz/fuzz-artifacts
for target in $targets; do
  rm -rf "$scratch/$target" && mkdir -p "$scratch/$target"
  start=$(date +%s)
  if ! build-fuzz/tests/fuzz/fuzz_"$target" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=0 \
      -artifact_prefix=build-fuzz/fuzz-artifacts/"$target"- \
      "$scratch/$target" tests/fuzz/corpus/"$target" >"$scratch/$target.log" 2>&1; then
    tail -n 60 "$scratch/$target.log"
    echo "fuzz_$target FAILED; input in build-fuzz/fuzz-artifacts/" >&2
    exit 1
  fi
  echo "fuzz_$target: ok after $(($(date +%s) - start)) s," \
    "$(ls "$scratch/$target" | wc -l) new inputs"
done

#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (AddressSanitizer + UndefinedBehaviorSanitizer) in
# their own build folder, replays each seed corpus, then fuzzes each target for a bounded time.
# Exits non-zero on any crash, leak, timeout or undefined behaviour; the reproducer is left in
# <build>/fuzz-work/<target>/artifacts/ (rerun: <build>/fuzz/<target> <file>).
#
#   fuzz/run_fuzz.sh [seconds_per_target]      default 60; 0 only builds and replays the seeds
#   AD_FUZZ_BUILD_DIR=... overrides the build folder (default: build-fuzz at the repository root)
set -euo pipefail

seconds="${1:-60}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${AD_FUZZ_BUILD_DIR:-$repo/build-fuzz}"
targets=(fuzz_safetensors fuzz_unpickler fuzz_pytorch_zip)
# Inputs a little larger than the largest seed: the parsers' interesting states need no more.
declare -A max_len=([fuzz_safetensors]=4096 [fuzz_unpickler]=8192 [fuzz_pytorch_zip]=16384)
declare -A dict=([fuzz_safetensors]=safetensors.dict [fuzz_unpickler]=pickle.dict [fuzz_pytorch_zip]=zip.dict)

CC="${CC:-clang-14}" CXX="${CXX:-clang++-14}" cmake -S "$repo" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAD_BUILD_FUZZ=ON -DAD_BUILD_TESTS=OFF -DAD_BUILD_BENCH=OFF >/dev/null
ninja -C "$build" "${targets[@]}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
for target in "${targets[@]}"; do
  binary="$build/fuzz/$target"
  seeds="$repo/fuzz/corpus/$target"
  work="$build/fuzz-work/$target"
  mkdir -p "$work/corpus" "$work/artifacts"
  common=(-max_len="${max_len[$target]}" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/"
          -dict="$repo/fuzz/dict/${dict[$target]}")
  echo "== $target: replaying $(ls "$seeds" | wc -l) seeds"
  if ! "$binary" "${common[@]}" -runs=0 "$seeds"; then
    echo "FAIL: $target crashes on a seed" >&2
    status=1
    continue
  fi
  if [ "$seconds" -gt 0 ]; then
    echo "== $target: fuzzing for ${seconds}s"
    # New inputs go to the first (scratch) corpus folder; the committed seeds stay unchanged.
    if ! "$binary" "${common[@]}" -max_total_time="$seconds" -print_final_stats=1 "$work/corpus" "$seeds"; then
      echo "FAIL: $target found a crash; see $work/artifacts/" >&2
      status=1
    fi
  fi
done
exit $status

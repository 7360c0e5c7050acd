#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in BUILD_DIR (default
# build-fuzz/) and runs one: first over its kept corpus
# (tests/fuzz/corpus/<target>/, seeds and past crashers, as regression
# inputs), then fuzzing on a scratch copy of it for BUDGET: a number of runs
# (CI: a fixed count, so the time spent does not depend on the machine's
# load) or seconds with an "s" suffix (long runs, see long.sh).
# Usage: tests/fuzz/run.sh <target> [budget: runs, or SECONDSs] [build_dir]
# Targets: tests/fuzz/fuzz_<target>.c. New crashers land in
# BUILD_DIR/crashes/<target>/: keep them in the corpus as crash_<what>.
set -euo pipefail
target=$1
budget=${2:-2000}
here=$(cd "$(dirname "$0")" && pwd)
build=${3:-$here/../../build-fuzz}
cc=$(command -v clang || command -v clang-14 || true)
if [ -z "$cc" ]; then echo "fuzz: clang not found (install clang, libclang-rt-14-dev)" >&2; exit 1; fi
# A long run under nice on a shared machine can be descheduled for tens of
# seconds: its per-input timeout is 120 s (an input that runs in 1 ms was
# reported as a 16 s timeout at 10 s); CI's short runs keep 10 s.
case $budget in
*s) limit=(-max_total_time="${budget%s}" -timeout=120) ;;
*) limit=(-runs="$budget" -timeout=10) ;;
esac
# One configure + build at a time when ctest runs the targets in parallel.
mkdir -p "$build"
exec 9>"$build.lock"
flock 9
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$here/project" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Debug >/dev/null
fi
cmake --build "$build" --target "fuzz_$target" -j 2 >/dev/null
flock -u 9
corpus=$here/corpus/$target
scratch=$(mktemp -d)
trap 'rm -rf "$scratch" "$scratch.log"' EXIT
cp -r "$corpus/." "$scratch/"
mkdir -p "$build/crashes/$target"
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Regression: every kept input once.
"$build/fuzz_$target" -runs=0 "$corpus" >/dev/null 2>"$scratch.log" || { cat "$scratch.log" >&2; exit 1; }
# The last status line (#runs, cov:, ft:), the final stats and any crash.
"$build/fuzz_$target" "${limit[@]}" -rss_limit_mb=2048 \
  -max_len=65536 -artifact_prefix="$build/crashes/$target/" -print_final_stats=1 \
  "$scratch" >"$scratch.log" 2>&1 && status=0 || status=$?
grep -E '^#[0-9]+' "$scratch.log" | tail -n 1
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)|ERROR|SUMMARY|Test unit written' "$scratch.log" || true
echo "fuzz_$target: corpus $(ls "$scratch" | wc -l) inputs, exit $status"
exit $status

#!/usr/bin/env bash
# Runs every fuzz target for a long time, JOBS at a time (default 2), each
# under nice: tests/fuzz/long.sh [seconds per target, default 600] [jobs]
# [targets..., default all].
# Each target's last lines (executions, cov/ft, crashes) go to
# BUILD_DIR/long/<target>.log; crashers to BUILD_DIR/crashes/<target>/.
set -euo pipefail
seconds=${1:-600}
jobs=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
build=${FUZZ_BUILD_DIR:-$here/../../build-fuzz}
shift $(($# < 2 ? $# : 2))
targets=${*:-$(sed -n 's/^set(SCHED_FUZZ_TARGETS \(.*\))$/\1/p' "$here/project/CMakeLists.txt")}
mkdir -p "$build/long"
printf '%s\n' $targets | xargs -P "$jobs" -I{} sh -c \
  "nice '$here/run.sh' {} ${seconds}s '$build' >'$build/long/{}.log' 2>&1; \
   echo \"{}: exit \$?\"; tail -n 6 '$build/long/{}.log'"

#!/bin/sh
# bench_minimalloc.sh - `sched memalloc` (default settings) side by side with
# MiniMalloc (google/minimalloc, Moffitt, ASPLOS 2023) on the same CSV
# instances: CPU seconds of each, the ratio sched / MiniMalloc, and both
# layouts checked by `sched memalloc --check`. Never part of CI.
#
#   scripts/bench_minimalloc.sh --build MINIMALLOC_SRC [options] DIR...
#   scripts/bench_minimalloc.sh --minimalloc BINARY [options] DIR...
#
# DIR holds instances named NAME.CAPACITY.csv (MiniMalloc's benchmarks/
# challenging, or `bench_memalloc --write-csv DIR`). --build compiles
# MiniMalloc's sources from MINIMALLOC_SRC (a checkout of its repository)
# with g++ and Debian's libabsl-dev into the work directory; Debian 12's
# abseil (20220623) has no absl/log and its own string_view, so the build
# adds a stand-in header for the log macros MiniMalloc uses and reads CSV
# records as absl::string_view (a copy is patched, the checkout is not).
#
# Options:
#   --time-limit SEC   per instance and tool (default 10)
#   --sched PATH       the sched binary (default build/sched)
#   --work DIR         scratch directory (default /tmp/sched-minimalloc)
#   -h, --help         this help
set -eu

usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() {
  echo "bench_minimalloc.sh: error: $*" >&2
  exit 2
}

limit=10 sched=build/sched work=/tmp/sched-minimalloc src='' mm=''
while [ $# -gt 0 ]; do
  case $1 in
  -h | --help) usage && exit 0 ;;
  --build) [ $# -ge 2 ] || die "--build needs a directory"; src=$2; shift 2 ;;
  --minimalloc) [ $# -ge 2 ] || die "--minimalloc needs a path"; mm=$2; shift 2 ;;
  --time-limit) [ $# -ge 2 ] || die "--time-limit needs seconds"; limit=$2; shift 2 ;;
  --sched) [ $# -ge 2 ] || die "--sched needs a path"; sched=$2; shift 2 ;;
  --work) [ $# -ge 2 ] || die "--work needs a directory"; work=$2; shift 2 ;;
  -*) die "unknown option '$1' (see --help)" ;;
  *) break ;;
  esac
done
[ $# -ge 1 ] || die "no instance directory given (see --help)"
[ -x "$sched" ] || die "no sched binary at '$sched' (build it, or pass --sched)"
[ -x /usr/bin/time ] || die "/usr/bin/time is needed (Debian package 'time')"
mkdir -p "$work"

build_minimalloc() {
  [ -f "$src/src/solver.cc" ] || die "'$src' is not a MiniMalloc checkout (no src/solver.cc)"
  command -v g++ > /dev/null || die "g++ is needed to build MiniMalloc"
  pkg-config --exists absl_flags_parse || die "Debian's libabsl-dev is needed (apt-get install libabsl-dev)"
  rm -rf "$work/mm-src" && cp -r "$src/src" "$work/mm-src"
  if [ ! -f /usr/include/absl/log/log.h ]; then
    mkdir -p "$work/shim/absl/log"
    printf '#pragma once\n#include <iostream>\n#define LOG(level) std::cerr\n#define DLOG(level) if (true) {} else std::cerr\n' \
      > "$work/shim/absl/log/log.h"
    printf '#pragma once\n' > "$work/shim/absl/log/globals.h"
    printf '#pragma once\nnamespace absl { inline void InitializeLog() {} }\n' > "$work/shim/absl/log/initialize.h"
    sed -i '/SetStderrThreshold\|EnableLogPrefix/d' "$work/mm-src/main.cc"
  fi
  sed -i 's/const std::string_view& record/absl::string_view record/' "$work/mm-src/converter.cc"
  g++ -std=c++20 -O2 -DNDEBUG -I"$work/shim" -I"$work/mm-src" \
    "$work/mm-src/converter.cc" "$work/mm-src/minimalloc.cc" "$work/mm-src/solver.cc" \
    "$work/mm-src/sweeper.cc" "$work/mm-src/validator.cc" "$work/mm-src/main.cc" \
    -o "$work/minimalloc" $(pkg-config --libs absl_flags_parse absl_flags absl_statusor absl_status \
      absl_strings absl_time absl_raw_hash_set) || die "building MiniMalloc failed"
  mm=$work/minimalloc
}

[ -n "$src" ] && build_minimalloc
[ -n "$mm" ] || die "give --build MINIMALLOC_SRC or --minimalloc BINARY"
[ -x "$mm" ] || die "no MiniMalloc binary at '$mm'"

# Runs a command under /usr/bin/time; sets cpu (user + sys seconds) and kb.
timed() {
  /usr/bin/time -f '%U %S %M' -o "$work/time" "$@" > "$work/out" 2>&1 || true
  cpu=$(awk 'END { printf "%.2f", $1 + $2 }' "$work/time")
  kb=$(awk 'END { print $3 }' "$work/time")
}

# "ok" when layout file $1 is valid within capacity $2 (sched's checker).
checked() {
  if [ -s "$1" ] && "$sched" memalloc --input "$1" --capacity "$2" --check > /dev/null 2>&1; then
    echo ok
  else
    echo none
  fi
}

printf '# sched memalloc (default settings) vs MiniMalloc, time limit %s s each; CPU seconds\n' "$limit"
printf '%-34s %5s %9s %5s %8s %9s %5s %8s %7s\n' instance n mm_cpu_s mm mm_kb sched_cpu_s sched sched_kb ratio
total_mm=0 total_sched=0 both=0 mm_only=0 sched_only=0
for dir in "$@"; do
  for f in "$dir"/*.csv; do
    [ -f "$f" ] || continue
    base=$(basename "$f" .csv)
    cap=${base##*.}
    case $cap in '' | *[!0-9]*) continue ;; esac
    n=$(($(wc -l < "$f") - 1))
    rm -f "$work/mm.csv" "$work/sched.csv"
    timed "$mm" --capacity="$cap" --input="$f" --output="$work/mm.csv" --timeout="${limit}s"
    mm_cpu=$cpu mm_kb=$kb mm_ok=$(checked "$work/mm.csv" "$cap")
    timed "$sched" memalloc --input "$f" --capacity "$cap" --time-limit "$limit" --output "$work/sched.csv"
    sc_cpu=$cpu sc_kb=$kb sc_ok=$(checked "$work/sched.csv" "$cap")
    ratio=$(awk -v a="$sc_cpu" -v b="$mm_cpu" 'BEGIN { printf "%.2f", a / (b > 0.01 ? b : 0.01) }')
    printf '%-34s %5d %9s %5s %8s %9s %5s %8s %7s\n' "$base" "$n" "$mm_cpu" "$mm_ok" "$mm_kb" \
      "$sc_cpu" "$sc_ok" "$sc_kb" "$ratio"
    if [ "$mm_ok" = ok ]; then
      total_mm=$(awk -v a="$total_mm" -v b="$mm_cpu" 'BEGIN { print a + b }')
      total_sched=$(awk -v a="$total_sched" -v b="$sc_cpu" 'BEGIN { print a + b }')
      if [ "$sc_ok" = ok ]; then both=$((both + 1)); else mm_only=$((mm_only + 1)); fi
    elif [ "$sc_ok" = ok ]; then
      sched_only=$((sched_only + 1))
    fi
  done
done
printf '# instances MiniMalloc solved: %d also solved by sched, %d not; sched alone solved %d\n' \
  "$both" "$mm_only" "$sched_only"
printf '# CPU seconds over the instances MiniMalloc solved: MiniMalloc %s, sched %s\n' \
  "$total_mm" "$total_sched"

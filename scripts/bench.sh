#!/usr/bin/env bash
# Prints wall time and peak memory of `sched` on every zoo net (release
# build), best of 5 runs each. Targets (issue 2): under 50 ms and 50 MB.
#   scripts/bench.sh [SOLVER] [CMX]     e.g. scripts/bench.sh greedy 2MB
set -euo pipefail
cd "$(dirname "$0")/.."
solver=${1:-greedy}
cmx=${2:-2MB}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target sched >/dev/null
nets=(fsrcnn edsr wdsr mobilenetv2 resnet18 resnet50 yolov3-tiny conv dwconv pool eltwise)
printf '%-14s %-8s %6s %10s %10s\n' net solver cmx wall_ms peak_mb
for net in "${nets[@]}"; do
  best_ms=999999
  best_kb=0
  for _ in 1 2 3 4 5; do
    start=$(date +%s%N)
    kb=$(/usr/bin/time -f '%M' build/sched --net "$net" --cmx "$cmx" \
      --solver "$solver" --no-timing 2>&1 >/dev/null | tail -1)
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ "$ms" -lt "$best_ms" ]; then best_ms=$ms; best_kb=$kb; fi
  done
  printf '%-14s %-8s %6s %10s %10.1f\n' "$net" "$solver" "$cmx" "$best_ms" "$(awk -v k="$best_kb" 'BEGIN { print k / 1024 }')"
done

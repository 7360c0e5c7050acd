#!/usr/bin/env bash
# Prints, per net, the scheduled latency along the CMX ladder (256KB rungs,
# or --step's) up to the arch's usable CMX (`sched --ladder-step`): the
# default solver's own plan at each rung, the plan the ladder keeps (the
# rung below's where faster) and whose it is, and per net how often the
# default alone gets slower with more CMX, the largest such step, and the
# wall time of the whole ladder.
# Modelled figures are deterministic; times are wall time of this machine.
#   scripts/bench_ladder.sh [--arch NAME] [--cmx SIZE] [--step SIZE] [NET...]
set -euo pipefail
cd "$(dirname "$0")/.."
arch=vpu27
cmx=
step=256KB
nets=()
while [ $# -gt 0 ]; do
  case $1 in
  -h | --help)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 0 ;;
  --arch)
    arch=$2
    shift 2 ;;
  --cmx)
    cmx=$2
    shift 2 ;;
  --step)
    step=$2
    shift 2 ;;
  *)
    nets+=("$1")
    shift ;;
  esac
done
[ ${#nets[@]} -gt 0 ] || nets=(fsrcnn mobilenetv2 resnet18 resnet34 resnet50 resnet101 edsr yolov3-tiny)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target sched >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '| net | cmx | default us | --ladder us | plan of |\n|---|---|---:|---:|---|\n'
for net in "${nets[@]}"; do
  start=$(date +%s.%N)
  args=(--net "$net" --arch "$arch" --ladder-step "$step" --format json)
  [ -z "$cmx" ] || args+=(--cmx "$cmx")
  build/sched "${args[@]}" >"$work/out.json"
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  python3 - "$work/out.json" "$net" "$seconds" "$work/summary" <<'PY'
import json, sys
rungs = json.load(open(sys.argv[1]))["ladder"]
net, seconds = sys.argv[2], float(sys.argv[3])
worse, worst = 0, 0.0
for i, r in enumerate(rungs):
    print(f"| {net} | {r['cmx_bytes'] >> 10}KB | {r['own_latency_us']:.1f} | {r['latency_us']:.1f} | {r['plan_of']} |")
    if i and r["own_latency_us"] > rungs[i - 1]["own_latency_us"]:
        worse += 1
        worst = max(worst, 100 * (r["own_latency_us"] / rungs[i - 1]["own_latency_us"] - 1))
with open(sys.argv[4], "a") as f:
    f.write(f"| {net} | {len(rungs)} | {worse} | {worst:+.2f} | {seconds:.1f} |\n")
PY
done
printf '\n| net | rungs | default slower with more CMX | largest step %% | ladder s |\n|---|---:|---:|---:|---:|\n'
cat "$work/summary"

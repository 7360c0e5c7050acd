#!/usr/bin/env bash
# bench_scale.sh - how the whole pipeline scales with depth: generated
# nets (scripts/gen_chain.sh) of each size, `sched --net NET --cmx CMX
# --solver S` per solver; prints wall seconds, CPU seconds (user + system:
# a loaded machine stretches the wall time, less the CPU time), peak
# memory, milliseconds per layer (wall), the scheduled latency and the
# allocator and repairs used.
#
#   scripts/bench_scale.sh [--shape chain|dag] [--cmx SIZE] [--time-limit SEC]
#                          [--layers "100 1000 ..."] [--solvers "greedy dp ..."]
set -euo pipefail
cd "$(dirname "$0")/.."

shape=dag
cmx=2MB
time_limit=30
layers="100 1000 3000 10000"
solvers="greedy rollback dp ilp"
usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}
while [ $# -gt 0 ]; do
  case $1 in
  --shape) shape=$2 && shift 2 ;;
  --cmx) cmx=$2 && shift 2 ;;
  --time-limit) time_limit=$2 && shift 2 ;;
  --layers) layers=$2 && shift 2 ;;
  --solvers) solvers=$2 && shift 2 ;;
  -h | --help) usage 0 ;;
  *) echo "bench_scale.sh: error: unknown option '$1'" >&2 && usage 2 ;;
  esac
done

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target sched >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '%-7s %-9s %9s %9s %9s %12s %12s %-12s %s\n' layers solver wall_s cpu_s peak_mb \
  ms_per_layer latency_us allocator repairs
for n in $layers; do
  scripts/gen_chain.sh "$n" "$shape" >"$work/net.json"
  for solver in $solvers; do
    start=$(date +%s%N)
    if ! /usr/bin/time -f '%M %U %S' -o "$work/kb" build/sched --net "$work/net.json" --cmx "$cmx" \
      --solver "$solver" --time-limit "$time_limit" --format json --no-timing \
      >"$work/out.json" 2>"$work/err"; then
      printf '%-7s %-9s failed: %s\n' "$n" "$solver" "$(grep -m1 error "$work/err" || true)"
      continue
    fi
    ms=$((($(date +%s%N) - start) / 1000000))
    read -r kb user_s sys_s <<<"$(tail -1 "$work/kb")"
    python3 - "$work/out.json" "$n" "$solver" "$ms" "$kb" "$user_s" "$sys_s" <<'EOF'
import json, sys
path, n, solver, ms, kb = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
cpu_s = float(sys.argv[6]) + float(sys.argv[7])
totals = json.load(open(path))["totals"]
alloc = totals.get("allocation", {})
print("%-7d %-9s %9.2f %9.2f %9.1f %12.3f %12.1f %-12s %d" % (
    n, solver, ms / 1e3, cpu_s, kb / 1024, ms / n, totals["latency_us"], alloc.get("allocator", "-"),
    len(alloc.get("repairs", []))))
EOF
  done
done

#!/usr/bin/env bash
# Prints, per net and CMX budget of the agreement grid, every solver's plan
# and scheduled latency: the default solver's (ilp) plan and schedule and
# how far apart they are, the solver with the lowest scheduled latency, the
# ILP's margin over the best heuristic (negative: the ILP is ahead) and the
# ILP's solve time, gap and whether it proved optimality, the largest
# plan-vs-schedule difference of any solver's plan there, and the ILP's
# scheduled latency over the lower bound (MACs at peak, mandatory DMA at
# full bandwidth). Modelled figures
# are deterministic; solve times are wall time of this machine.
#   scripts/bench_grid.sh [--time-limit S] [NET...]
set -euo pipefail
cd "$(dirname "$0")/.."
time_limit=10
nets=()
while [ $# -gt 0 ]; do
  case $1 in
  -h | --help)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 0 ;;
  --time-limit)
    time_limit=$2
    shift 2 ;;
  *)
    nets+=("$1")
    shift ;;
  esac
done
[ ${#nets[@]} -gt 0 ] || nets=(fsrcnn mobilenetv2 resnet18 resnet50 resnet101 edsr yolov3-tiny)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target sched >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# arch:cmx, "-" for the arch's usable CMX
points=(vpu27:512KB vpu27:1MB vpu27:1536KB vpu27:- vpu40:- vpu20:-)
printf '| net | arch | cmx | ilp plan us | ilp sched us | diff %% | winner | ilp vs best heuristic %% | ilp solve ms | gap | proven | worst diff %% (solver) | sched / bound |\n'
printf '|---|---|---|---:|---:|---:|---|---:|---:|---:|---|---:|---:|\n'
for net in "${nets[@]}"; do
  for point in "${points[@]}"; do
    arch=${point%%:*}
    cmx=${point#*:}
    args=(--net "$net" --arch "$arch" --solver all --time-limit "$time_limit" --format json)
    [ "$cmx" = - ] || args+=(--cmx "$cmx")
    if ! build/sched "${args[@]}" >"$work/out.json" 2>"$work/err"; then
      printf '| %s | %s | %s | %s |\n' "$net" "$arch" "$cmx" "$(grep -m1 error "$work/err" || true)"
      continue
    fi
    python3 - "$work/out.json" "$net" "$arch" <<'EOF'
import json, sys
path, net, arch = sys.argv[1:]
d = json.load(open(path))
rows = {s["name"]: s for s in d["solvers"]}
ilp = rows["ilp"]
heur = [s for s in d["solvers"] if s["name"] != "ilp"]
best_heur = min(s["latency_us"] for s in heur)
winner = min(d["solvers"], key=lambda s: (s["latency_us"], s["name"] != "ilp"))["name"]
diff = 100.0 * (ilp["plan_latency_us"] - ilp["latency_us"]) / ilp["latency_us"]
margin = 100.0 * (ilp["latency_us"] - best_heur) / best_heur
cmx = "%dKB" % (d["cmx_bytes"] // 1024)
diffs = [(100.0 * (s["plan_latency_us"] - s["latency_us"]) / s["latency_us"], s["name"])
         for s in d["solvers"]]
worst = max(diffs, key=lambda x: abs(x[0]))
over_bound = ilp["latency_us"] / d["totals"]["lower_bound_us"]
print("| %s | %s | %s | %.1f | %.1f | %+.2f | %s | %+.2f | %.0f | %.4f | %s | %+.2f (%s) | %.3f |" % (
    net, arch, cmx, ilp["plan_latency_us"], ilp["latency_us"], diff, winner, margin,
    ilp["solve_ms"], ilp["mip_gap"], "yes" if ilp["optimal"] else "no", worst[0], worst[1],
    over_bound))
EOF
  done
done

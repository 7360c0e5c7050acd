#!/usr/bin/env bash
# Regenerates every study's committed results (tables and plots) from the
# sweep files in experiments/sweeps/. Usage (from the repository root):
#   experiments/results/regenerate.sh [path/to/sched] [study...]
# Needs a release build (cmake -S . -B build && cmake --build build) and
# gnuplot (scripts/setup.sh installs gnuplot-nox). The solver study runs
# the ILP on the zoo to its node limit (no wall-clock limit, so the results
# are the same on any machine): 2-6 minutes on 2 cores; the transformers
# about 2, the others seconds. Rows are byte-identical across runs except
# solve_ms (wall time) and git_revision (the build's commit); the tables the
# READMEs quote: python3 experiments/results/tables.py [study...].
set -euo pipefail
cd "$(dirname "$0")/../.."
sched=${1:-build/sched}
shift || true
studies=("$@")
[ ${#studies[@]} -gt 0 ] || studies=(channel_padding dw_kernel edsr_prelu dwpw_vs_conv upsample hkswitch solvers layers transformers)
R=experiments/results

sweep() { "$sched" sweep "experiments/sweeps/$1.json" -j "$(nproc)" --quiet --out "$R/$1"; }
plot() { "$sched" plot "$@"; }

for s in "${studies[@]}"; do
  echo "== $s"
  case $s in
  channel_padding)
    sweep $s
    plot lines $R/$s/$s.csv --x c --y latency_us --series family --out $R/$s/$s.png \
      --title "5x5 conv on 56x56: latency vs channel count" --xlabel "channels (in or out)" \
      --ylabel "scheduled latency (us)" ;;
  dw_kernel)
    sweep $s
    plot lines $R/$s/$s.csv --x hw --y latency_us --series k --logx --logy --out $R/$s/$s.png \
      --title "128-ch depthwise conv: latency vs feature map, per kernel size" \
      --xlabel "feature map H = W" --ylabel "scheduled latency (us)" ;;
  edsr_prelu)
    sweep $s
    plot bars $R/$s/$s.csv --x res --y latency_us --series act --panel res --out $R/$s/$s.png \
      --title "EDSR x2: ReLU (PPE) vs PReLU (SHAVE)" --xlabel "input" --ylabel "scheduled latency (us)"
    plot bars $R/$s/$s.csv --x res --y layers_shave_us --series act --logy --where act=prelu \
      --out $R/$s/${s}_shave.png --title "EDSR x2 with PReLU: time in SHAVE layers" \
      --xlabel "input" --ylabel "SHAVE layers (us)" ;;
  dwpw_vs_conv)
    sweep $s
    plot bars $R/$s/$s.csv --x res --y latency_us --series family --logy --out $R/$s/$s.png \
      --title "DW 3x3 + PW 1x1 vs plain 3x3 conv (32 -> 64 ch)" --xlabel "input H x W" \
      --ylabel "scheduled latency (us)" ;;
  upsample)
    sweep $s
    plot bars $R/$s/$s.csv --x hw --y latency_us --series mode --logy --out $R/$s/$s.png \
      --title "conv, x2 upsample, conv (32 ch)" \
      --xlabel "input H = W" --ylabel "scheduled latency (us)" ;;
  transformers)
    for f in transformers transformers_seq transformers_ilp; do
      "$sched" sweep "experiments/sweeps/$f.json" -j "$(nproc)" --quiet --out "$R/$s"
    done
    plot lines $R/$s/transformers_seq.csv --x seq --y layers_shave_us --series arch --logx --logy \
      --out $R/$s/shave_vs_seq.png --title "2-layer decoder prefill: SHAVE layers vs sequence" \
      --xlabel "tokens" --ylabel "SHAVE layers (us)" ;;
  hkswitch)
    sweep $s
    plot lines $R/$s/$s.csv --x cmx_bytes --xscale 1024 --y latency_us --series solver \
      --out $R/$s/$s.png --title "HKSwitch study net: latency vs CMX (HK fits layer b from 555.6 KB)" \
      --xlabel "CMX per tile (KiB)" --ylabel "scheduled latency (us)" ;;
  solvers)
    sweep $s
    plot lines $R/$s/$s.csv --x cmx_bytes --xscale 1048576 --logx --y latency_us \
      --series solver --panel net --out $R/$s/latency_vs_cmx.png \
      --title "latency vs CMX" --xlabel "CMX per tile (MiB)" --ylabel "scheduled latency (us)"
    plot gap $R/$s/$s.csv --x net --y latency_us --series solver --panel cmx \
      --out $R/$s/gap_to_best.png --title "gap to the best solver" --xlabel "net" \
      --ylabel "scheduled latency above the best (%)" ;;
  layers)
    mkdir -p $R/layers
    for net in fsrcnn mobilenetv2; do
      "$sched" --net $net --cmx 2MB --solver dp --format json --no-timing >$R/layers/$net.json
      plot layers $R/layers/$net.json --out $R/layers/$net.png \
        --title "$net, 2MB, dp: compute vs DMA per layer"
    done ;;
  *) echo "unknown study $s" >&2; exit 2 ;;
  esac
done

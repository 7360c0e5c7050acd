#!/bin/sh
# gen_chain.sh - writes a synthetic network of inverted-residual blocks as
# JSON IR (ir/JSON_IR.md), for measuring how the pipeline scales with depth.
#
#   scripts/gen_chain.sh LAYERS [chain|dag] > net.json
#
# A block is MobileNetV2's: 1x1 expand (x3, ReLU), 3x3 depthwise (ReLU),
# 1x1 project, on a 1x32x28x28 u8 tensor. `chain` stacks them plainly (3
# layers a block); `dag` adds each block's residual (4 layers a block) and,
# every 8 blocks, a long skip from 8 blocks back, so some values live long.
# Blocks are added until the net has at least LAYERS ops.
set -eu

usage() {
  echo "usage: scripts/gen_chain.sh LAYERS [chain|dag] > NET.json" >&2
  exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
case $1 in
-h | --help) usage ;;
'' | *[!0-9]*) echo "gen_chain.sh: error: LAYERS must be a positive integer, not '$1'" >&2 && exit 2 ;;
esac
layers=$1
shape=${2:-dag}
case $shape in
chain | dag) ;;
*) echo "gen_chain.sh: error: shape must be chain or dag, not '$shape'" >&2 && exit 2 ;;
esac
[ "$layers" -ge 1 ] || usage

awk -v layers="$layers" -v shape="$shape" '
function op(name, kind, inputs, extra) {
  printf "%s  {\"name\": \"%s\", \"kind\": \"%s\", \"inputs\": [%s]%s}", sep, name, kind, inputs, extra
  sep = ",\n"
  n_ops++
}
BEGIN {
  printf "{\"format\": \"sched-ir\", \"version\": 1, \"name\": \"%s_%d\",\n", shape, layers
  printf " \"inputs\": [{\"name\": \"x\", \"shape\": [1, 32, 28, 28], \"dtype\": \"u8\"}],\n"
  printf " \"ops\": [\n"
  prev = "x"; sep = ""; n_ops = 0
  for (b = 0; n_ops < layers; b++) {
    ex = "b" b "_expand"; dw = "b" b "_dw"; pr = "b" b "_project"
    op(ex, "conv", "\"" prev "\"", ", \"kernel\": [1, 1], \"out_channels\": 96, \"act\": \"relu\"")
    op(dw, "conv", "\"" ex "\"", ", \"kernel\": [3, 3], \"pads\": [1, 1, 1, 1], \"groups\": 96, \"out_channels\": 96, \"act\": \"relu\"")
    op(pr, "conv", "\"" dw "\"", ", \"kernel\": [1, 1], \"out_channels\": 32")
    out[b] = pr
    if (shape == "dag") {
      add = "b" b "_add"
      skip = (b % 8 == 7 && b >= 8) ? sum[b - 8] : prev
      op(add, "add", "\"" pr "\", \"" skip "\"", "")
      out[b] = add
    }
    sum[b] = out[b]
    prev = out[b]
  }
  printf "\n ],\n \"outputs\": [\"%s\"]}\n", prev
}'

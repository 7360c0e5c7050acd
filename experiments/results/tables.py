#!/usr/bin/env python3
"""Prints the tables of the study READMEs from the committed CSVs, so a
regeneration's numbers can be pasted or checked:
    python3 experiments/results/tables.py [study...]
(from the repository root; no study: all of them). Every latency is named
by its clock: "sched" is the schedule's latency_us, "plan" the plan model's
plan_latency_us. Only solve_ms is wall time (machine- and load-dependent).
The transformers role table runs build/sched (or $SCHED) for layer names."""
import csv
import json
import os
import statistics
import subprocess
import sys
from collections import defaultdict

R = os.environ.get("RESULTS", os.path.dirname(os.path.abspath(__file__)))


def load(study, name=None):
    with open(os.path.join(R, study, (name or study) + ".csv"), newline="") as f:
        return list(csv.DictReader(f))


def num(r, col):
    return float(r[col]) if r[col] != "" else 0.0


def pct(a, b):
    return (a / b - 1) * 100


def plan_sched_max(rows):
    """max |plan - sched| / sched over rows, in %, and the row."""
    worst = max(rows, key=lambda r: abs(num(r, "plan_latency_us") - num(r, "latency_us")) / num(r, "latency_us"))
    return abs(num(worst, "plan_latency_us") - num(worst, "latency_us")) / num(worst, "latency_us") * 100, worst


def channel_padding():
    rows = load("channel_padding")
    print("| swept | sched c=1 / 4 / 5 / 16 (us) | 17 / 32 | 33 / 48 | 49 / 64 | compute per group (us) | steps at 17, 33, 49 (us) | in-step rise per channel (us) |")
    print("|---|---|---|---|---|---|---|---|")
    for fam, label in ((0, "input channels c (k=64)"), (1, "output channels k (c=64)")):
        R_ = rows[fam * 64:(fam + 1) * 64]
        lat = [num(r, "latency_us") for r in R_]
        comp = [num(r, "compute_us") for r in R_]
        steps = [c for c in range(2, 65) if comp[c - 1] != comp[c - 2]]
        rises = [lat[c - 1] - lat[c - 2] for c in range(2, 65) if c not in steps]
        groups = ", ".join("%.3f" % comp[c - 1] for c in [1] + steps)
        print("| %s | %.3f / %.3f / %.3f / %.3f | %.3f / %.3f | %.3f / %.3f | %.3f / %.3f | %s | %s | %.3f .. %.3f |" % (
            label, lat[0], lat[3], lat[4], lat[15], lat[16], lat[31], lat[32], lat[47], lat[48], lat[63], groups,
            ", ".join("%d: %.3f" % (c, lat[c - 1] - lat[c - 2]) for c in steps), min(rises), max(rises)))
    d, w = plan_sched_max(rows)
    print("\nmax |plan - sched| / sched: %.2f%% (%s)" % (d, w["net"]))


def dw_kernel():
    rows = load("dw_kernel")
    d = {(r["hw"], r["k"]): r for r in rows}
    print("| map | 3x3 (us) | 5x5 (us) | 7x7 (us) | 7x7 / 3x3 | 3x3 compute / DMA (us) | 7x7 compute / DMA (us) | strategy |")
    print("|---|---|---|---|---|---|---|---|")
    for hw in dict.fromkeys(r["hw"] for r in rows):
        a, b, c = d[(hw, "3")], d[(hw, "5")], d[(hw, "7")]
        print("| %sx%s | %.3f | %.3f | %.3f | %.2f | %.3f / %.3f | %.3f / %.3f | %s |" % (
            hw, hw, num(a, "latency_us"), num(b, "latency_us"), num(c, "latency_us"),
            num(c, "latency_us") / num(a, "latency_us"), num(a, "compute_us"), num(a, "dma_us"),
            num(c, "compute_us"), num(c, "dma_us"), a["strategies"]))
    dd, w = plan_sched_max(rows)
    print("\nmax |plan - sched| / sched: %.2f%% (%s)" % (dd, w["net"]))


def dwpw_vs_conv():
    rows = load("dwpw_vs_conv")
    d = {(r["family"], r["res"]): r for r in rows}
    print("| input | DW+PW sched (compute / DMA) | conv sched (compute / DMA) | plan: DW+PW / conv | DW+PW vs conv (sched) | faster | strategies (DW+PW / conv) |")
    print("|---|---|---|---|---|---|---|")
    for res in dict.fromkeys(r["res"] for r in rows):
        a, b = d[("nets/dwpw_{res}.json", res)], d[("nets/conv_{res}.json", res)]
        la, lb = num(a, "latency_us"), num(b, "latency_us")
        print("| %s | %.3f (%.1f / %.1f) | %.3f (%.1f / %.1f) | %.3f / %.3f | %+.1f%% | %s | %s / %s |" % (
            res, la, num(a, "compute_us"), num(a, "dma_us"), lb, num(b, "compute_us"), num(b, "dma_us"),
            num(a, "plan_latency_us"), num(b, "plan_latency_us"), pct(la, lb), "DW+PW" if la < lb else "conv",
            a["strategies"], b["strategies"]))
    print("\nspill bytes (DW+PW / conv): " + ", ".join(
        "%s %s / %s" % (res, d[("nets/dwpw_{res}.json", res)]["spill_bytes"], d[("nets/conv_{res}.json", res)]["spill_bytes"])
        for res in dict.fromkeys(r["res"] for r in rows)))


def edsr_prelu():
    rows = load("edsr_prelu")
    d = {(r["res"], r["act"]): r for r in rows}
    print("| input | ReLU sched (us) | PReLU sched (us) | PReLU - ReLU, sched (us) | plan: ReLU / PReLU (us) | PReLU - ReLU, plan (us) | SHAVE layers (us) |")
    print("|---|---|---|---|---|---|---|")
    for res in dict.fromkeys(r["res"] for r in rows):
        a, b = d[(res, "relu")], d[(res, "prelu")]
        la, lb, pa, pb = (num(a, "latency_us"), num(b, "latency_us"), num(a, "plan_latency_us"), num(b, "plan_latency_us"))
        print("| %s | %.3f | %.3f | %.3f (+%.1f%%) | %.3f / %.3f | %.3f (+%.1f%%) | %.3f |" % (
            res, la, lb, lb - la, pct(lb, la), pa, pb, pb - pa, pct(pb, pa), num(b, "layers_shave_us")))


def upsample():
    rows = load("upsample")
    d = {(r["hw"], r["mode"]): r for r in rows}
    print("| input | nearest (us) | bilinear (us) | align_corners (us) | nearest: engine-none layer (us) / spilled bytes |")
    print("|---|---|---|---|---|")
    for hw in dict.fromkeys(r["hw"] for r in rows):
        n, b, c = d[(hw, "nearest")], d[(hw, "bilinear")], d[(hw, "bilinear_align_corners")]
        ln = num(n, "latency_us")
        print("| %sx%s | %.3f | %.3f (+%.1f) | %.3f (+%.1f; SHAVE %.1f) | %.3f / %s |" % (
            hw, hw, ln, num(b, "latency_us"), num(b, "latency_us") - ln, num(c, "latency_us"),
            num(c, "latency_us") - ln, num(c, "layers_shave_us"), num(n, "layers_none_us"), n["spill_bytes"]))
    dd, w = plan_sched_max(rows)
    print("\nmax |plan - sched| / sched: %.2f%% (%s)" % (dd, w["net"]))


def hkswitch():
    rows = load("hkswitch")
    solvers = list(dict.fromkeys(r["solver"] for r in rows))
    print("| CMX | 90% of CMX (B) | HK fits | " + " | ".join("%s: layer b, sched / plan (us)" % s for s in solvers) + " |")
    print("|---|---|---|" + "---|" * len(solvers))
    for cmx in dict.fromkeys(r["cmx"] for r in rows):
        by = {r["solver"]: r for r in rows if r["cmx"] == cmx}
        cb = int(by[solvers[0]]["cmx_bytes"])
        cells = []
        for s in solvers:
            r = by[s]
            cells.append("%s, %.3f / %.3f" % (r["strategies"].split()[1], num(r, "latency_us"), num(r, "plan_latency_us")))
        print("| %s | %d | %s | %s |" % (cmx, int(0.9 * cb), "yes" if 512000 <= 0.9 * cb else "no", " | ".join(cells)))
    dd, w = plan_sched_max(rows)
    print("\nmax |plan - sched| / sched: %.2f%% (%s %s)" % (dd, w["cmx"], w["solver"]))


def ilp_status(r):
    g = num(r, "mip_gap")
    if g == 0:
        return "proved optimal"
    if g >= 1:
        return "no bound: the 10 s limit struck before the root LP (incumbent kept)"
    return "stopped, gap %.1f%%" % (g * 100)


def solvers():
    rows = [r for r in load("solvers") if r["status"] == "ok"]
    cmxs = list(dict.fromkeys(r["cmx"] for r in rows))
    best, bestp = defaultdict(lambda: float("inf")), defaultdict(lambda: float("inf"))
    for r in rows:
        k = (r["net"], r["cmx"])
        best[k] = min(best[k], num(r, "latency_us"))
        bestp[k] = min(bestp[k], num(r, "plan_latency_us"))
    gap = lambda r: pct(num(r, "latency_us"), best[(r["net"], r["cmx"])])
    print("| solver | mean sched gap % | max sched gap % | " + " | ".join(cmxs) +
          " | best in (sched) | mean plan gap % | max abs(plan - sched) % | median ms | max ms |")
    print("|---|---|---|" + "---|" * len(cmxs) + "---|---|---|---|---|")
    for s in dict.fromkeys(r["solver"] for r in rows):
        S = [r for r in rows if r["solver"] == s]
        g = [gap(r) for r in S]
        gp = [pct(num(r, "plan_latency_us"), bestp[(r["net"], r["cmx"])]) for r in S]
        by = [statistics.mean(gap(r) for r in S if r["cmx"] == c) for c in cmxs]
        ms = [num(r, "solve_ms") for r in S]
        print("| %s | %.2f | %.2f | %s | %d/%d | %.2f | %.2f | %.0f | %.0f |" % (
            s, statistics.mean(g), max(g), " | ".join("%.2f" % x for x in by), sum(x <= 0.1 for x in g), len(S),
            statistics.mean(gp), plan_sched_max(S)[0], statistics.median(ms), max(ms)))
    print("\n| net | CMX | best (sched, us) | best by | ilp sched / plan (us) | ilp vs best % | ilp proof |")
    print("|---|---|---|---|---|---|---|")
    for n in dict.fromkeys(r["net"] for r in rows):
        for c in cmxs:
            P = [r for r in rows if r["net"] == n and r["cmx"] == c]
            k = (n, c)
            win = [r["solver"] for r in P if num(r, "latency_us") <= best[k] * 1.001]
            ilp = [r for r in P if r["solver"] == "ilp"]
            if ilp:
                i = ilp[0]
                print("| %s | %s | %.3f | %s | %.3f / %.3f | %+.2f | %s |" % (
                    n, c, best[k], ", ".join(win), num(i, "latency_us"), num(i, "plan_latency_us"), gap(i), ilp_status(i)))
    d, w = plan_sched_max(rows)
    print("\nmax abs(plan - sched) / sched over all %d points: %.2f%% (%s %s %s: plan %s, sched %s)" % (
        len(rows), d, w["net"], w["cmx"], w["solver"], w["plan_latency_us"], w["latency_us"]))
    print("points over 1%:", ", ".join("%s %s %s %.2f%%" % (r["net"], r["cmx"], r["solver"],
          abs(num(r, "plan_latency_us") - num(r, "latency_us")) / num(r, "latency_us") * 100) for r in rows
          if abs(num(r, "plan_latency_us") - num(r, "latency_us")) / num(r, "latency_us") > 0.01))
    slower = []
    for n in dict.fromkeys(r["net"] for r in rows):
        for s in dict.fromkeys(r["solver"] for r in rows):
            seq = [(c, num(r, "latency_us")) for c in cmxs for r in rows if r["net"] == n and r["solver"] == s and r["cmx"] == c]
            slower += ["%s %s %s -> %s: %.3f -> %.3f us" % (n, s, a[0], b[0], a[1], b[1]) for a, b in zip(seq, seq[1:]) if b[1] > a[1] * 1.0005]
    print("more CMX, slower (sched):", "; ".join(slower) or "none")


def role_strategies(net, arch, strategies):
    sched = os.environ.get("SCHED", "build/sched")
    out = subprocess.run([sched, "--net", net, "--arch", arch, "--solver", "greedy", "--format", "json", "--no-timing"],
                         capture_output=True, text=True, check=True).stdout
    names = [l["name"] for l in json.loads(out)["layers"]]
    st = dict(zip(names, strategies.split()))
    pick = lambda *ns: "/".join(dict.fromkeys(st[n] for n in ns if n in st)) or "-"
    return [pick("l0.attn.q", "l0.attn.k", "l0.attn.v"), pick("l0.attn.qk"), pick("l0.attn.softmax"), pick("l0.attn.pv"),
            pick("l0.attn.out"), pick("l0.mlp.fc1", "l0.mlp.gate", "l0.mlp.up"), pick("l0.mlp.gelu", "l0.mlp.silu"),
            pick("l0.mlp.fc2", "l0.mlp.down"), pick("l0.ln1", "l0.rms1")]


def transformers():
    rows = load("transformers")
    print("| arch | net | sched (us) | plan (us) | lower bound (us) | compute / DMA (us) | DPU / SHAVE layers (us) | fps |")
    print("|---|---|---|---|---|---|---|---|")
    for a in dict.fromkeys(r["arch"] for r in rows):
        for r in rows:
            if r["arch"] == a:
                print("| %s | %s | %.2f | %.2f | %.2f | %.1f / %.1f | %.1f / %.1f | %s |" % (
                    a, r["net"], num(r, "latency_us"), num(r, "plan_latency_us"), num(r, "lower_bound_us"),
                    num(r, "compute_us"), num(r, "dma_us"), num(r, "layers_dpu_us"), num(r, "layers_shave_us"), r["fps"]))
    weights = 1195993088  # llm:phase=decode's matmul weights, u8 (test_experiments.c llm_weight_bytes)
    bw = {"vpu27": 27.0, "vpu40": 136.0}  # arch/arch.c ddr_bandwidth_gbps
    print("\n| arch | DDR GB/s | bound (tokens/s) | decode (tokens/s) | of the bound | decode compute / DMA | prefill compute / DMA | decode sched / lower bound |")
    print("|---|---|---|---|---|---|---|---|")
    for a in bw:
        dec = [r for r in rows if r["arch"] == a and r["net"] == "llm:phase=decode"][0]
        pre = [r for r in rows if r["arch"] == a and r["net"] == "llm"][0]
        bound = bw[a] * 1e9 / weights
        print("| %s | %.0f | %.2f | %s | %.1f%% | %.3f | %.2f | %.3f |" % (
            a, bw[a], bound, dec["fps"], num(dec, "fps") / bound * 100, num(dec, "compute_us") / num(dec, "dma_us"),
            num(pre, "compute_us") / num(pre, "dma_us"), num(dec, "latency_us") / num(dec, "lower_bound_us")))
    seq = load("transformers", "transformers_seq")
    archs = list(dict.fromkeys(r["arch"] for r in seq))
    print("\n| tokens | " + " | ".join("%s SHAVE share (SHAVE / DPU+SHAVE layers)" % a for a in archs) + " |")
    print("|---|" + "---|" * len(archs))
    for s in dict.fromkeys(r["seq"] for r in seq):
        cells = []
        for a in archs:
            r = [x for x in seq if x["seq"] == s and x["arch"] == a][0]
            sh, dp = num(r, "layers_shave_us"), num(r, "layers_dpu_us")
            cells.append("%.1f%% (%.1f / %.1f us)" % (sh / (sh + dp) * 100, sh, sh + dp))
        print("| %s | %s |" % (s, " | ".join(cells)))
    ilp = load("transformers", "transformers_ilp")
    print("\n| net | arch | dp sched / plan (us) | ilp sched / plan (us) | ilp vs dp (sched) | ilp proof |")
    print("|---|---|---|---|---|---|")
    for r in ilp:
        if r["solver"] != "ilp":
            continue
        dp = [x for x in ilp if x["solver"] == "dp" and x["net"] == r["net"] and x["arch"] == r["arch"]][0]
        print("| %s | %s | %.3f / %.3f | %.3f / %.3f | %+.2f%% | %s |" % (
            r["net"], r["arch"], num(dp, "latency_us"), num(dp, "plan_latency_us"), num(r, "latency_us"),
            num(r, "plan_latency_us"), pct(num(r, "latency_us"), num(dp, "latency_us")),
            ilp_status(r).replace("10 s", "time")))
    print("\n| net | arch | q, k, v | q k^T | softmax | p v | out proj | MLP up | MLP act | MLP down | norm |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in ilp:
        if r["solver"] == "ilp":
            print("| %s | %s | %s |" % (r["net"], r["arch"], " | ".join(role_strategies(r["net"], r["arch"], r["strategies"]))))
    for name, rs in (("transformers", rows), ("transformers_seq", seq), ("transformers_ilp", ilp)):
        d, w = plan_sched_max(rs)
        print("max |plan - sched| / sched, %s: %.2f%% (%s %s %s)" % (name, d, w["net"], w["arch"], w["solver"]))


STUDIES = {f.__name__: f for f in (channel_padding, dw_kernel, dwpw_vs_conv, edsr_prelu, upsample, hkswitch, solvers, transformers)}

if __name__ == "__main__":
    for s in sys.argv[1:] or STUDIES:
        print("== %s" % s)
        STUDIES[s]()
        print()

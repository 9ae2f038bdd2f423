#!/usr/bin/env python3
"""Print the shape sweep from `cargo bench --bench shapes`: per workload, its ratio to the
plain T = 1 draw and to the floor (a max pass over the same logits) for every shape and size,
then the typical (median) and worst case against the workload's target.

    cargo bench --bench shapes
    python3 benches/shapes_report.py          # the last run
    python3 benches/shapes_report.py NAME     # a run saved with -- --save-baseline NAME
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import ROOT, fmt, middle  # noqa: E402

SIZES = [32000, 50257, 128256, 262144]
SHAPES = [
    "lm", "peaked", "zipf_nucleus30", "zipf_nucleus300", "zipf_nucleus3000", "gauss_sd8",
    "flat", "quantized16", "plateau1000", "uniform", "bf16_lm", "masked_half_lm",
]
# (bench, label, target, what the target is a multiple of)
WORKLOADS = [
    ("t1.0", "T 1.0, draw", None, None),
    ("topp0.95", "top-p 0.95, draw", 1.5, "t1.0"),
    ("t0.8_topk40_topp0.95", "T 0.8, top-k 40, top-p 0.95, draw", 1.5, "t1.0"),
    ("minp0.05", "min-p 0.05, draw", 4, "floor_max_pass"),
    ("topk40", "top-k 40, draw", 3, "floor_max_pass"),
    ("greedy", "greedy", 1.5, "floor_max_pass"),
]


def median_ns(shape, size, bench, run):
    path = os.path.join(ROOT, f"shapes_{shape}_n{size}", bench, run, "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def main():
    run = sys.argv[1] if len(sys.argv) > 1 else "new"
    missed = []
    summary = []
    for bench, label, target, base in WORKLOADS:
        print(f"\n{label}: time, ratio to the T 1.0 draw, ratio to the floor\n")
        print("| shape | " + " | ".join(f"{s:,}" for s in SIZES) + " |")
        print("|---|" + "---|" * len(SIZES))
        against = []  # (ratio to the target's base, shape, size)
        for shape in SHAPES:
            cells = []
            for s in SIZES:
                try:
                    t = median_ns(shape, s, bench, run)
                    t1 = median_ns(shape, s, "t1.0", run)
                    floor = median_ns(shape, s, "floor_max_pass", run)
                except FileNotFoundError:
                    cells.append("—")
                    continue
                cells.append(f"{fmt(t)} ({t / t1:.2f}x, {t / floor:.1f}x)")
                if base:
                    against.append((t / (t1 if base == "t1.0" else floor), shape, s))
            print(f"| {shape} | " + " | ".join(cells) + " |")
        if against:
            of = "the T 1.0 draw" if base == "t1.0" else "the floor"
            typical = middle([r for r, _, _ in against])
            worst, shape, s = max(against)
            ok = worst <= target
            summary.append(
                f"| {label} | <= {target}x {of} | {typical:.2f}x | {worst:.2f}x ({shape}, {s:,})"
                f"{'' if ok else ' ✗'} |"
            )
            if not ok:
                missed.append(f"{label}: {worst:.2f}x {of} on {shape} at {s:,} (target {target}x)")
    print("\n| work | target | typical (median over shapes and sizes) | worst |")
    print("|---|---|---|---|")
    print("\n".join(summary))
    if missed:
        print("\nMissed targets:", file=sys.stderr)
        for m in missed:
            print("  " + m, file=sys.stderr)


if __name__ == "__main__":
    main()

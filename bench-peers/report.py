#!/usr/bin/env python3
"""Print the peer table from the last `cargo bench` in bench-peers: medians, and the speed-up of
`logits` over the fastest peer in each row."""
import json
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "target", "criterion")
CRATES = ["logits", "candle", "llm-samplers", "token-sampling"]
WORK = [("t0.8", "T 0.8, draw"), ("t0.8_topp0.95", "T 0.8, top-p 0.95, draw"),
        ("t0.8_topk40_topp0.95", "T 0.8, top-k 40, top-p 0.95, draw")]


def median(group, bench):
    with open(os.path.join(ROOT, group, bench, "new", "estimates.json")) as f:
        return json.load(f)["median"]["point_estimate"]


def fmt(ns):
    return f"{ns / 1e6:.2f} ms" if ns >= 1e6 else f"{ns / 1e3:.1f} µs"


print("| workload | vocabulary | " + " | ".join(CRATES) + " | copy of the logits | logits vs fastest peer |")
print("|---|---|" + "---|" * (len(CRATES) + 2))
for n in [50257, 262144]:
    for key, label in WORK:
        g = f"n{n}_{key}"
        t = {c: median(g, c) for c in CRATES}
        best_peer = min(t[c] for c in CRATES[1:])
        cells = " | ".join(fmt(t[c]) for c in CRATES)
        print(f"| {label} | {n:,} | {cells} | {fmt(median(g, 'copy'))} | {best_peer / t['logits']:.1f}x |")

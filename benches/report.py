#!/usr/bin/env python3
"""Print the README performance table from `cargo bench --bench sampling` runs.

Each cell is the criterion median and its ratio to the floor (a max pass over the same logits)
of the same vocabulary size in the same run. With no arguments, the last run. With baseline
names (runs saved by `cargo bench --bench sampling -- --save-baseline NAME`), each cell is the
median over those runs of the time and of the within-run ratio, so that one noisy floor does not
decide a verdict:

    for r in r1 r2 r3; do cargo bench --bench sampling -- --save-baseline $r; done
    python3 benches/report.py r1 r2 r3

The batch rows (64 rows, sequential against 2 threads) need `--features rayon`.
"""
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "criterion")
SIZES = [32000, 50257, 128256, 151936, 262144]
ROWS = [
    ("floor_max_pass", "floor: max pass", None),
    ("exp_pass", "reference: one exp per logit, stored", 0),
    ("softmax_into", "softmax into a caller's buffer", 5),
    ("logsumexp", "logsumexp (a max pass, then an exp-and-sum pass)", 0),
    ("log_softmax_into", "log-softmax into a caller's buffer", 0),
    ("greedy", "greedy (T = 0)", 1.5),
    ("t0.8_topk40_topp0.95", "T 0.8, top-k 40, top-p 0.95, draw", 3),
    ("t0.8_topp0.95_lm", "T 0.8, top-p 0.95, draw (LM-like)", 8),
    ("t0.8_topp0.95_flat", "T 0.8, top-p 0.95, draw (flat)", 20),
    ("t0.8_minp0.05", "T 0.8, min-p 0.05, draw", 4),
    ("t1.0", "T 1.0, draw", 5),
    ("top_n_sigma1", "top-n-sigma 1, draw", 2),
    ("epsilon3e-4", "epsilon 3e-4, draw (target: the T 1.0 row)", 0),
    ("eta2e-3", "eta 2e-3, draw (target: 2x the T 1.0 row)", 0),
    ("typical0.9", "typical 0.9, draw", 0),
    ("xtc1_0.1", "XTC (always firing) 0.1, draw", 0),
    ("dynamic_t1_0.5", "dynamic temperature 1 ± 0.5, draw", 0),
    ("mirostat_v2_5", "mirostat v2 τ 5, draw", 0),
    ("mirostat_v1_5", "mirostat v1 τ 5, draw", 0),
    ("top_h0.9", "top-h 0.9, draw", 0),
]
# The chain rows, at 128,256 only: (bench, label); each also as its addition to the top-k chain.
CHAIN_SIZE = 128256
# (bench, label, the row it adds to)
CHAIN_ROWS = [
    ("chain_topk40", "T 0.8, top-k 40, top-p 0.95", None),
    ("chain_topk40_bias200_penalties256", "+ logit bias on 200 tokens, penalties over 256", "chain_topk40"),
    ("chain_topk40_mask_half", "+ token bitmask, half allowed at random", "chain_topk40"),
    ("chain_topk40_mask_most", "+ token bitmask, all but about 1 % allowed", "chain_topk40"),
    ("logprobs20_processed_topk40", "+ the top 20 processed logprobs", "chain_topk40"),
    ("logprobs20_raw_topk40", "+ the top 20 raw logprobs", "chain_topk40"),
    ("t1.0", "T 1.0, draw", None),
    ("logprobs20_processed_t1", "+ the top 20 processed logprobs", "t1.0"),
    ("logprobs20_raw_t1", "+ the top 20 raw logprobs", "t1.0"),
    ("chain_topk40_dry256", "+ DRY over a 256-token window of repeats", "chain_topk40"),
    ("chain_topk40_dry1024", "+ DRY over a 1024-token window of repeats", "chain_topk40"),
    ("speculative4_default", "verify 4 drafts, T 1 (target and draft chains, 5 + 4 rows)", "t1.0"),
    ("speculative4_topk40", "verify 4 drafts, top-k 40 chain", "chain_topk40"),
    ("preset_standard", "top-k 40, top-p 0.95, min-p 0.05, T 0.8: standard order", None),
    ("preset_llama_cpp", "the same stages, llama.cpp preset (temperature last)", None),
    ("preset_hugging_face", "the same stages, Hugging Face preset (top-k ties kept)", None),
    ("preset_vllm", "the same stages, vLLM preset (min-p first)", None),
]


def median_ns(size, bench, run="new", group=False):
    """The median of `bench` in group `n{size}` (or in group `size` itself, with `group`)."""
    path = os.path.join(ROOT, size if group else f"n{size}", bench, run, "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def fmt(ns):
    return f"{ns / 1000:.1f} µs" if ns >= 1000 else f"{ns:.0f} ns"


def middle(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def main():
    runs = sys.argv[1:] or ["new"]
    print("| work | target | " + " | ".join(f"{s:,}" for s in SIZES) + " |")
    print("|---|---|" + "---|" * len(SIZES))
    missed = []
    for bench, label, target in ROWS:
        cells = []
        for s in SIZES:
            try:
                times = [median_ns(s, bench, r) for r in runs]
                floors = [median_ns(s, "floor_max_pass", r) for r in runs]
            except FileNotFoundError:
                cells.append("—")
                continue
            t = middle(times)
            ratio = middle([a / b for a, b in zip(times, floors)])
            if target is None:
                cells.append(fmt(t))
            elif target == 0:
                cells.append(f"{fmt(t)} ({ratio:.1f}x)")
            else:
                r = ratio
                mark = "" if r <= target else " ✗"
                if r > target:
                    missed.append(f"{label} at {s:,}: {r:.1f}x (target {target}x)")
                cells.append(f"{fmt(t)} ({r:.1f}x){mark}")
        tgt = "" if not target else f"<= {target}x"
        print(f"| {label} | {tgt} | " + " | ".join(cells) + " |")
    print(f"\nAt {CHAIN_SIZE:,} tokens:\n")
    print("| work | time | ratio to the floor | added to the row above it | times the row above it |")
    print("|---|---|---|---|---|")
    try:
        floors = [median_ns(CHAIN_SIZE, "floor_max_pass", r) for r in runs]
        for bench, label, base in CHAIN_ROWS:
            times = [median_ns(CHAIN_SIZE, bench, r) for r in runs]
            ratio = middle([t / f for t, f in zip(times, floors)])
            added = times_base = ""
            if base:
                bases = [median_ns(CHAIN_SIZE, base, r) for r in runs]
                added = f"+{ratio - middle([b / f for b, f in zip(bases, floors)]):.2f}x"
                times_base = f"{middle([t / b for t, b in zip(times, bases)]):.2f}x"
            print(f"| {label} | {fmt(middle(times))} | {ratio:.2f}x | {added} | {times_base} |")
    except FileNotFoundError:
        print("(no chain rows in this run)")
    # Batches (`--features rayon`): 64 rows at 128,256 tokens, one core against two.
    try:
        seq = middle([median_ns("batch", "batch64_sequential", r, group=True) for r in runs])
        par = middle([median_ns("batch", "batch64_rayon2", r, group=True) for r in runs])
        speedup = seq / par
        mark = "" if speedup >= 1.8 else " ✗"
        print(f"\nBatch of 64 rows of {CHAIN_SIZE:,} tokens, default chain (T 1.0, draw):\n")
        print("| work | time | per row | speed-up (target >= 1.8x) |")
        print("|---|---|---|---|")
        print(f"| sequential, one workspace | {fmt(seq)} | {fmt(seq / 64)} | |")
        print(f"| par_sample_batch, 2 threads | {fmt(par)} | {fmt(par / 64)} | {speedup:.2f}x{mark} |")
        if speedup < 1.8:
            missed.append(f"batch speed-up on 2 threads: {speedup:.2f}x (target 1.8x)")
    except FileNotFoundError:
        print("\n(no batch rows in this run: they need --features rayon)")
    if len(runs) > 1:
        print(f"\nMedians over {len(runs)} runs: {' '.join(runs)}", file=sys.stderr)
    if missed:
        print("\nMissed targets:", file=sys.stderr)
        for m in missed:
            print("  " + m, file=sys.stderr)


if __name__ == "__main__":
    main()

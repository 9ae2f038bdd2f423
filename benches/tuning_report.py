#!/usr/bin/env python3
"""Compare the `sampling` benchmark of two builds: every row's median in each, and their ratio.

The README's build-flags comparison: the default build against one whose target CPU tunes LLVM
for 256-bit vectors (as `-C target-cpu=native` does on Sapphire Rapids and other Intel server
parts), each from its own target directory:

    cargo bench --bench sampling -- --save-baseline t1
    CARGO_TARGET_DIR=target/spr RUSTFLAGS="-C target-cpu=sapphirerapids -C target-feature=-avx512fp16" \\
        cargo bench --bench sampling -- --save-baseline t1
    python3 benches/tuning_report.py target/criterion:t1 target/spr/criterion:t1

(`-avx512fp16` lets the tuned build run on an AVX-512 CPU without FP16, such as AMD Zen 4 and 5;
the tuning, not the instruction set, is what changes the vector width.) A ratio above 1 means
the second build is faster.
"""
import json
import os
import sys


def medians(spec):
    """`{(group, row): median ns}` of the runs saved under `dir:baseline`."""
    root, run = spec.rsplit(":", 1)
    out = {}
    for group in sorted(os.listdir(root)):
        gdir = os.path.join(root, group)
        if not os.path.isdir(gdir) or not group.startswith("n"):
            continue
        for row in sorted(os.listdir(gdir)):
            path = os.path.join(gdir, row, run, "estimates.json")
            if os.path.exists(path):
                with open(path) as f:
                    out[(group, row)] = json.load(f)["median"]["point_estimate"]
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a, b = medians(sys.argv[1]), medians(sys.argv[2])
    rows = [k for k in a if k in b]
    if not rows:
        sys.exit("no row is in both runs")
    print("| size | row | first | second | first / second |")
    print("|---|---|---|---|---|")
    ratios = []
    for group, row in sorted(rows, key=lambda k: (int(k[0][1:]), k[1])):
        r = a[(group, row)] / b[(group, row)]
        ratios.append((r, group, row))
        print(f"| {group[1:]} | {row} | {a[(group, row)] / 1000:.2f} µs | "
              f"{b[(group, row)] / 1000:.2f} µs | {r:.2f} |")
    ratios.sort()
    mid = ratios[len(ratios) // 2][0]
    print(f"\n{len(ratios)} rows; first / second: median {mid:.2f}, "
          f"lowest {ratios[0][0]:.2f} ({ratios[0][2]} at {ratios[0][1][1:]}), "
          f"highest {ratios[-1][0]:.2f} ({ratios[-1][2]} at {ratios[-1][1][1:]})")
    for r, group, row in ratios[:8]:
        print(f"  {r:.2f}  {row} at {group[1:]}")


if __name__ == "__main__":
    main()

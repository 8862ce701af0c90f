"""Markdown tables of P3 Table 1 (layer-wise) and Table 3 (end-to-end) from finished runs.

    python -m infodl.experiments.ib_layerwise_table runs/ib_table [--share 1]

reads `results.json` of the run folders below the root (names as in
docs/ib_training.md: ce, ce_wd, ib_first, ib_full_s0 + ib_full_s12, e2e_ce, e2e_ib) and
prints one row per method: test accuracy mean ± std over every seed found (ddof 1), the
per-seed values, the wall time of the runs, and P3's number beside it. Missing folders
are reported as "not run".
"""

import argparse
import json
import os

import numpy as np

# (label, run folders, P3 at 1 % of the training set, P3 at 100 %)
LAYERWISE_ROWS = (
    ("Cross-entropy (baseline)", ("ce",), 86.48, 97.73),
    ("Cross-entropy + weight decay", ("ce_wd",), None, None),
    ("IB functional, only first term (β = 0)", ("ib_first",), 85.12, 97.77),
    ("IB functional (β = 10⁻³)", ("ib_full_s0", "ib_full_s12"), 86.57, 98.09),
)
END_TO_END_ROWS = (
    ("CE(Y, Ŷ)", ("e2e_ce",), 86.48, 97.73),
    ("CE(Y, Ŷ) − I(Y; Ŷ) + 10⁻³·I(X; Ŷ + ε)", ("e2e_ib",), 88.11, 98.4),
)


def collect(root, folders):
    """(per-seed accuracies in %, seeds, wall seconds) of the runs in `folders`."""
    accuracies, seeds, seconds = [], [], 0.0
    for folder in folders:
        path = os.path.join(root, folder, "results.json")
        if not os.path.isfile(path):
            continue
        with open(path) as handle:
            results = json.load(handle)
        for run in results["runs"]:
            accuracies.append(100 * run["test_accuracy"])
            seeds.append(run["seed"])
            seconds += run.get("seconds_this_session", 0.0)
    return accuracies, seeds, seconds


def table(root, rows, share):
    """The Markdown lines of one table."""
    paper_column = 2 if share < 100 else 3
    lines = [f"| Training method | Test acc. (%), mean ± std | seeds: acc. (%) | wall time "
             f"| P3 ({share:g} %) |", "|---|---|---|---|---|"]
    for row in rows:
        label, folders, paper = row[0], row[1], row[paper_column]
        accuracies, seeds, seconds = collect(root, folders)
        paper_text = "—" if paper is None else f"{paper:.2f}"
        if not accuracies:
            lines.append(f"| {label} | not run | | | {paper_text} |")
            continue
        std = np.std(accuracies, ddof=1) if len(accuracies) > 1 else 0.0
        per_seed = ", ".join(f"{s}: {a:.2f}" for s, a in zip(seeds, accuracies, strict=True))
        lines.append(f"| {label} | **{np.mean(accuracies):.2f} ± {std:.2f}** | {per_seed} | "
                     f"{seconds / 60:.1f} min | {paper_text} |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="folder holding the run folders")
    parser.add_argument("--share", type=float, default=1.0,
                        help="percent of the training set of the runs (paper column)")
    args = parser.parse_args()
    print("Layer-wise (P3 Table 1)\n")
    print("\n".join(table(args.root, LAYERWISE_ROWS, args.share)))
    print("\nEnd-to-end (P3 Table 3)\n")
    print("\n".join(table(args.root, END_TO_END_ROWS, args.share)))


if __name__ == "__main__":
    main()

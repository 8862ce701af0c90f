"""Mean ± std over seeds of InvNet / RegInvNet runs, as a Markdown table beside P2's numbers.

    python -m infodl.experiments.invnet.table runs/invnet_doc/*_seed?

Each argument is a run folder of `--experiment=invnet` holding `results.json`,
`config.json` and `analysis/analysis.json`; runs are grouped by regularizer and α.
The std is the sample standard deviation (n − 1) over the seeds.

Reference: P2 §4.2, Fig. 3 (micro/macro AUC 0.81 InvNet, 0.99 RegInvNet); P3 §5.
"""

import json
import pathlib
import sys

from infodl.analysis.seed_statistics import mean_std_text

# P2 states these for InvNet on MNIST (Fig. 3); it gives no InvNet test accuracy or
# sparsity of w (its "about 60 % of w exactly zero" is RegResNet-32 on CIFAR-10).
PAPER = {"InvNet": {"micro_auc": 0.81, "macro_auc": 0.81},
         "RegInvNet": {"micro_auc": 0.99, "macro_auc": 0.99}}
# (key, column title, scale, decimals)
COLUMNS = (("test_accuracy", "test accuracy [%]", 100.0, 2),
           ("weight_zero_fraction", "w exactly 0 [%]", 100.0, 1),
           ("micro_auc", "micro AUC", 1.0, 3), ("macro_auc", "macro AUC", 1.0, 3),
           ("separation_ratio", "separation ratio (feature space)", 1.0, 3),
           ("tsne_separation_ratio", "separation ratio (t-SNE)", 1.0, 2),
           ("train_seconds", "training time [s]", 1.0, 0))


def load_run(folder):
    """(model name, {number: value}) of one run folder."""
    folder = pathlib.Path(folder)
    if not (folder / "results.json").is_file() or not (folder / "config.json").is_file():
        raise ValueError(f"Expected a finished invnet run folder (config.json and "
                         f"results.json). Received: {folder}")
    config = json.loads((folder / "config.json").read_text())
    numbers = json.loads((folder / "results.json").read_text())
    analysis = folder / "analysis" / "analysis.json"
    if analysis.exists():
        numbers = {**json.loads(analysis.read_text()), **numbers}
    regularized = config["regularizer"] != "none" and (config["alpha1"] or config["alpha2"])
    name = "InvNet"
    if regularized:
        prefix = "RegInvNet" if config["regularizer"] == "info" else "InvNet + naive reg."
        name = f"{prefix} (α1={config['alpha1']:g}, α2={config['alpha2']:g})"
    return name, {**numbers, "seed": config["seed"], "epochs": config["epochs"]}


def markdown_table(folders):
    """The table: one row per model (mean ± std over its seeds) and P2's rows."""
    groups = {}
    for folder in folders:
        name, numbers = load_run(folder)
        groups.setdefault(name, []).append(numbers)
    header = ["model", "seeds", "epochs"] + [column[1] for column in COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, runs in groups.items():
        seeds = ", ".join(str(run["seed"]) for run in sorted(runs, key=lambda r: r["seed"]))
        epochs = ", ".join(sorted({str(run["epochs"]) for run in runs}))
        cells = [mean_std_text([run.get(key) for run in runs], f".{decimals}f", scale)
                 for key, _, scale, decimals in COLUMNS]
        lines.append(f"| {name} | {seeds} | {epochs} | " + " | ".join(cells) + " |")
    for name, numbers in PAPER.items():
        cells = [f"{numbers[key]:.2f}" if key in numbers else "not stated"
                 for key, *_ in COLUMNS[:-1]] + ["—"]
        lines.append(f"| P2 {name} (Fig. 3) | — | — | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 1
    try:
        print(markdown_table(argv[1:]), end="")
    except ValueError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

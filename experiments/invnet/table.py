"""Mean ± std over seeds of InvNet / RegInvNet runs, as a Markdown table beside P2's numbers.

    python -m infodl.experiments.invnet.table --log_dir=runs/invnet_doc

`--log_dir` names run folders of `--experiment=invnet` (holding `results.json`,
`config.json` and `analysis/analysis.json`) or folders holding them (comma-separated);
runs are grouped by regularizer and α. Mean ± std over the seeds as
`infodl.analysis.seed_statistics` gives them (sample std; one seed: no std).

Reference: P2 §4.2, Fig. 3 (micro/macro AUC 0.81 InvNet, 0.99 RegInvNet); P3 §5.
"""

import dataclasses
import json
import pathlib
import sys

from infodl.analysis.seed_statistics import mean_std_text
from infodl.experiments.cli.config import ExperimentConfig, setting
from infodl.experiments.cli.early_checks import check_folders_exist
from infodl.experiments.cli.table_command import run_command

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


def _load_run(folder):
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
        name, numbers = _load_run(folder)
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


def run_folders(folders):
    """The run folders named or held (at any depth) by `folders`, in order, each once: a
    folder with `results.json` is a run; below it only `analysis/` is skipped."""
    found = []
    for folder in map(pathlib.Path, folders):
        if (folder / "results.json").is_file():
            found.append(folder)
            continue
        runs = sorted(path.parent for path in folder.rglob("results.json")
                      if "analysis" not in path.relative_to(folder).parts[:-1])
        if not runs:
            raise ValueError(f"Expected a finished invnet run folder (config.json and "
                             f"results.json), or folders of them. Received: {folder}")
        found += [run for run in runs if not any(p in runs for p in run.parents)]
    return list(dict.fromkeys(found))


@dataclasses.dataclass
class InvNetTableSettings(ExperimentConfig):
    """The flags of `python -m infodl.experiments.invnet.table`."""
    log_dir: tuple | None = setting(
        None, "Run folders of --experiment=invnet, or folders holding them "
        "(comma-separated).", required="the invnet run folders to tabulate")

    def early_checks(self):
        check_folders_exist(self.log_dir)


def main(argv=None):
    """The command line; returns the exit code."""
    return run_command(InvNetTableSettings,
                       lambda settings: print(markdown_table(run_folders(settings.log_dir)),
                                              end=""), argv)


if __name__ == "__main__":
    sys.exit(main())

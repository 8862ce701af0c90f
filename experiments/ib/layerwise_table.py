"""Markdown tables of P3 Table 1 (layer-wise) and Table 3 (end-to-end) from finished runs.

    python -m infodl.experiments.ib.layerwise_table --log_dir=runs/ib_table [--share=1] [--each]

reads `results.json` of the run folders below `--log_dir` (names as in
docs/ib_training.md: ce, ce_wd, logistic_regression, ib_first, ib_full_s0 + ib_full_s12,
e2e_ce, e2e_ib) and prints one row per method: test accuracy mean ± std over every seed
found (ddof 1), the per-seed values, the wall time of the runs, P3's number beside it,
and, for runs whose seeds have a `history.json`, per layer the final held-out
I(X; L+ε) and I(Y; L) in bits and the final gradient ratio β‖∇I_x‖/‖∇I_y‖
(`gradient_norms`, see docs/ib_training.md), each mean ± std over seeds. Missing folders
are reported as "not run". `--each` adds a table with one row per run folder found
below it (e.g. the knob table's β, batch and learning-rate runs), labelled by its
folder and settings.
"""

import dataclasses
import json
import os
import sys

from infodl.analysis.seed_statistics import mean_std_text
from infodl.experiments.cli.config import ExperimentConfig, setting
from infodl.experiments.cli.early_checks import check_folders_exist
from infodl.experiments.cli.table_command import run_command

# (label, run folders, P3 at 1 % of the training set, P3 at 100 %)
LAYERWISE_ROWS = (
    ("Cross-entropy (baseline)", ("ce",), 86.48, 97.73),
    ("Cross-entropy + weight decay", ("ce_wd",), None, None),
    ("Logistic regression on raw pixels", ("logistic_regression",), None, None),
    ("IB functional, only first term (β = 0)", ("ib_first",), 85.12, 97.77),
    ("IB functional (β = 10⁻³)", ("ib_full_s0", "ib_full_s12"), 86.57, 98.09),
)
END_TO_END_ROWS = (
    ("CE(Y, Ŷ)", ("e2e_ce",), 86.48, 97.73),
    ("CE(Y, Ŷ) − I(Y; Ŷ) + 10⁻³·I(X; Ŷ + ε)", ("e2e_ib",), 88.11, 98.4),
)


# Settings shown in the labels of `--each` rows, when a run's config.json has them.
LABEL_SETTINGS = ("method", "alpha", "beta", "gamma", "learning_rate", "batch_size",
                  "critic_hidden_units", "iterations_per_layer", "train_steps", "train_layers")
# Settings a method does not read stay out of its label (a CE run's config still holds the
# flag defaults of beta and the critics; logistic regression reads none of the training ones).
UNREAD_SETTINGS = {"cross_entropy": ("beta", "gamma", "critic_hidden_units"),
                   "logistic_regression": LABEL_SETTINGS[1:]}
INFORMATION_HEADER = "final I(X; L+ε) / I(Y; L) bits, β‖∇I_x‖/‖∇I_y‖ per layer"


def _history(root, folder, run):
    """The seed's history.json (in its seed folder below `root`, else where it was written)."""
    for path in (os.path.join(root, folder, f"seed_{run['seed']}", "history.json"),
                 run.get("history_path")):
        if path and os.path.isfile(path):
            with open(path) as handle:
                return json.load(handle)
    return None


def _layer_statistics(root, folders):
    """{layer: {"I_X": [bits per seed], "I_Y": [...], "ratio": [...]}} in training order.

    From each seed's history: the last information-plane point of the layer
    (`trajectory` [iteration, I(X; L+eps), I(Y; L)] in bits) and the last `gradient_norms`
    row [iteration, alpha|grad CE|, |grad I_y|, beta|grad I_x|] as beta|grad I_x| /
    |grad I_y| (skipped where |grad I_y| = 0). Seeds or layers without them add nothing.
    """
    layers = {}
    for folder in folders:
        path = os.path.join(root, folder, "results.json")
        if not os.path.isfile(path):
            continue
        with open(path) as handle:
            runs = json.load(handle)["runs"]
        for run in runs:
            history = _history(root, folder, run)
            for name, record in ((history or {}).get("layers") or {}).items():
                values = layers.setdefault(name, {"I_X": [], "I_Y": [], "ratio": []})
                if record.get("trajectory"):
                    values["I_X"].append(record["trajectory"][-1][1])
                    values["I_Y"].append(record["trajectory"][-1][2])
                norms = record.get("gradient_norms") or []
                if norms and norms[-1][2] > 0:
                    values["ratio"].append(norms[-1][3] / norms[-1][2])
    return layers


def _information_text(layers):
    """The cell of `_layer_statistics`: one "layer: I_X / I_Y, ratio" entry per layer."""
    entries = []
    for name, values in layers.items():
        if not (values["I_X"] or values["ratio"]):
            continue
        bits = (f"{mean_std_text(values['I_X'])} / {mean_std_text(values['I_Y'])}"
                if values["I_X"] else "—")
        ratio = mean_std_text(values["ratio"], ".1e")
        entries.append(f"{name}: {bits}, {ratio}")
    return "<br>".join(entries) or "—"


def _collect(root, folders):
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
             f"| P3 ({share:g} %) | {INFORMATION_HEADER} |", "|---|---|---|---|---|---|"]
    for row in rows:
        label, folders, paper = row[0], row[1], row[paper_column]
        accuracies, seeds, seconds = _collect(root, folders)
        paper_text = "—" if paper is None else f"{paper:.2f}"
        if not accuracies:
            lines.append(f"| {label} | not run | | | {paper_text} | |")
            continue
        per_seed = ", ".join(f"{s}: {a:.2f}" for s, a in zip(seeds, accuracies, strict=True))
        lines.append(f"| {label} | **{mean_std_text(accuracies)}** | {per_seed} | "
                     f"{seconds / 60:.1f} min | {paper_text} | "
                     f"{_information_text(_layer_statistics(root, folders))} |")
    return lines


def run_folders(root):
    """Every run folder below `root` (a results.json with "runs"), as sorted relative paths."""
    found = []
    for folder, directories, files in os.walk(root):
        directories[:] = sorted(d for d in directories if not d.startswith("seed_"))
        if "results.json" in files:
            with open(os.path.join(folder, "results.json")) as handle:
                if "runs" in json.load(handle):
                    found.append(os.path.relpath(folder, root))
    return sorted(found)


def _folder_label(root, folder):
    """E.g. "beta_1e-2 (method=ib, beta=0.01, batch_size=128)" from its config.json."""
    path = os.path.join(root, folder, "config.json")
    if not os.path.isfile(path):
        return folder
    with open(path) as handle:
        config = json.load(handle)
    unread = UNREAD_SETTINGS.get(config.get("method"), ())
    if config.get("beta") == 0 and config.get("gamma") == 0:  # end-to-end CE: no critics
        unread = (*unread, "critic_hidden_units")
    settings = [f"{key}={_setting_text(config[key])}" for key in LABEL_SETTINGS
                if config.get(key) is not None and key not in unread]
    return f"{folder} ({', '.join(settings)})" if settings else folder


def _setting_text(value):
    return ",".join(map(str, value)) if isinstance(value, list) else f"{value:g}" \
        if isinstance(value, float) else str(value)


def _each_folder_rows(root):
    """One `table` row per run folder below `root`, P3 column empty."""
    return tuple((_folder_label(root, folder), (folder,), None, None)
                 for folder in run_folders(root))


@dataclasses.dataclass
class IBTableSettings(ExperimentConfig):
    """The flags of `python -m infodl.experiments.ib.layerwise_table`."""
    log_dir: str | None = setting(None, "Folder holding the run folders (ce, ib_first, ...).",
                                  required="the folder holding the IB run folders")
    share: float = setting(1.0, "Percent of the training set the runs used (picks P3's "
                           "column: 1 or 100).", minimum=0, exclusive_minimum=True,
                           maximum=100)
    each: bool = setting(False, "Also one row per run folder found below --log_dir.")

    def early_checks(self):
        check_folders_exist(self.log_dir)


def _print_tables(settings):
    """Prints the layer-wise and end-to-end tables (and with `each`, one row per run)."""
    root, share = settings.log_dir, settings.share
    print("Layer-wise (P3 Table 1)\n")
    print("\n".join(table(root, LAYERWISE_ROWS, share)))
    print("\nEnd-to-end (P3 Table 3)\n")
    print("\n".join(table(root, END_TO_END_ROWS, share)))
    if settings.each:
        print("\nEvery run folder\n")
        print("\n".join(table(root, _each_folder_rows(root), share)))


def main(argv=None):
    """The command line; returns the exit code."""
    return run_command(IBTableSettings, _print_tables, argv)


if __name__ == "__main__":
    sys.exit(main())

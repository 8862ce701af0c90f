"""Settings of a sweep (`--sweep`, `--sweep_workers`) and of its report (free of TensorFlow).

A sweep file (YAML or JSON) names an experiment, the flags all its runs share, the
settings to compare (a list, or a grid whose Cartesian product is taken) and the seeds:

    experiment: resnet
    flags: {dataset: cifar10, eval_protocol: original}
    seeds: [0, 1, 2, 3, 4]
    settings:
      - {name: original, model: resnet32}
      - {name: alpha2_0.05, model: resnet32, alpha1: 1.0e-5, alpha2: 0.05,
         expected: "92.76 ± 0.33"}

Each run goes to `<log_dir>/<setting name>/seed_<seed>` (names made from the varying
flags when a setting has none); `expected` is the paper's number, shown by the report.
"""

import dataclasses

from infodl.experiments.config import ExperimentConfig, setting


@dataclasses.dataclass
class SweepSettings(ExperimentConfig):
    """The command-line settings of `python run.py --sweep=<file>` (global flags)."""
    sweep: str | None = setting(
        None, "A YAML/JSON sweep file: runs every setting x seed of it, each in "
        "<log_dir>/<setting>/seed_<s> (finished runs are skipped, interrupted ones "
        "resumed); then `--experiment=report --log_dir=<the same folder>` makes the table.")
    sweep_workers: int = setting(1, "Runs of a sweep at a time (separate processes).",
                                 minimum=1)


@dataclasses.dataclass
class ReportConfig(ExperimentConfig):
    """`python run.py --experiment=report --log_dir=<sweep folder>`."""
    log_dir: str | None = setting(None, "The sweep folder (required).", resumable=True,
                                     required="the sweep folder to report on")
    report_file: str | None = setting(
        None, "Where the Markdown table goes (None = <log_dir>/report.md).")
    hparams: bool = setting(True, "Write TensorBoard HParams summaries to <log_dir>/hparams.")

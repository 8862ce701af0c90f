"""Settings of a sweep (`--sweep`, `--sweep_launcher`, ...) and of its report (no TensorFlow).

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
An optional `resources: {cpu: 4, gpu: 1}` says what one run needs on a Ray cluster
(`--sweep_launcher=ray`, `infodl.experiments.sweeps.ray_launcher`).
"""

import dataclasses

from infodl.choices import SWEEP_LAUNCHERS
from infodl.experiments.cli.config import ExperimentConfig, setting

DEFAULT_RAY_RETRIES = 2  # a failed run is started at most this often again on Ray


@dataclasses.dataclass
class SweepSettings(ExperimentConfig):
    """The command-line settings of `python run.py --sweep=<file>` (global flags)."""
    sweep: str | None = setting(
        None, "A YAML/JSON sweep file: runs every setting x seed of it, each in "
        "<log_dir>/<setting>/seed_<s> (finished runs are skipped, interrupted ones "
        "resumed); then `--experiment=report --log_dir=<the same folder>` makes the table.")
    sweep_workers: int = setting(1, "Runs of a sweep at a time (separate processes).",
                                 minimum=1)
    sweep_launcher: str = setting(
        "local", "Who runs the sweep's runs: local (processes of this machine, "
        "--sweep_workers at a time) or ray (one Ray task per run on the cluster of "
        "--ray_address; --log_dir on a file system all nodes share).",
        choices=SWEEP_LAUNCHERS)
    ray_address: str | None = setting(
        None, "[--sweep_launcher=ray] The Ray cluster's head, host:port (None = "
        "$RAY_ADDRESS, else a Ray started on this machine for the sweep).")
    sweep_retries: int | None = setting(
        None, "[--sweep_launcher=ray] How often a failed run (its worker died, or it "
        f"exited with an error) is started again; it resumes from its checkpoint "
        f"(None = {DEFAULT_RAY_RETRIES}).", minimum=0)

    def check(self):
        if self.sweep_launcher == "ray" and self.sweep is None:
            raise ValueError("Expected --sweep with --sweep_launcher=ray. Received: no --sweep")
        if self.sweep_launcher != "ray":
            for name in ("ray_address", "sweep_retries"):
                if getattr(self, name) is not None:
                    raise ValueError(f"Expected --sweep_launcher=ray with --{name}. Received: "
                                     f"--sweep_launcher={self.sweep_launcher}")


@dataclasses.dataclass
class ReportConfig(ExperimentConfig):
    """`python run.py --experiment=report --log_dir=<sweep folder>`."""
    log_dir: str | None = setting(None, "The sweep folder (required).", resumable=True,
                                     required="the sweep folder to report on")
    report_file: str | None = setting(
        None, "Where the Markdown table goes (None = <log_dir>/report.md).")
    hparams: bool = setting(True, "Write TensorBoard HParams summaries to <log_dir>/hparams.")

    def early_checks(self):
        """None: the report reads its `log_dir` (the sweep folder), it creates no run there."""

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
(`--sweep_launcher=ray`, `infodl.experiments.ray_launcher`).
"""

import dataclasses
import pathlib

from infodl.choices import SWEEP_LAUNCHERS
from infodl.experiments.config import ExperimentConfig, setting

DEFAULT_RAY_RETRIES = 2  # a failed run is started at most this often again on Ray


@dataclasses.dataclass
class SweepSettings(ExperimentConfig):
    """The command-line settings of `python run.py --sweep=<file>` (global flags)."""
    sweep: str | None = setting(
        None, "A YAML/JSON sweep file, or the name of one shipped with infodl "
        "(p2_table2.yaml; --sweep=list lists them): runs every setting x seed of it, each in "
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


# The sweep files shipped with the package (`infodl --sweep=p2_table2.yaml` from any
# folder; `--sweep=list` lists them). Only where a sweep file is found: what it may hold
# is checked where it is read.
PACKAGED_SWEEPS = pathlib.Path(__file__).resolve().parent / "sweeps"
LIST_SWEEPS = "list"


def packaged_sweeps():
    """{file name: path} of the sweep files shipped in `PACKAGED_SWEEPS`, sorted."""
    return {path.name: path for path in sorted(PACKAGED_SWEEPS.glob("*.yaml"))}


def resolve_sweep_file(name):
    """The sweep file `--sweep=name` means: the path if it exists, else for a bare name
    (no folder) the packaged file of that name (`.yaml` may be left out).

    Raises:
        FileNotFoundError: neither, in one line naming the packaged sweeps.
    """
    path = pathlib.Path(name)
    if path.is_file():
        return path
    if path.parent == pathlib.Path("."):
        packaged = packaged_sweeps()
        for candidate in (path.name, f"{path.name}.yaml"):
            if candidate in packaged:
                return packaged[candidate]
    raise FileNotFoundError(
        f"Expected a sweep file or the name of a packaged one "
        f"({', '.join(packaged_sweeps()) or 'none'}; --sweep={LIST_SWEEPS} lists them). "
        f"Received: --sweep={name}, which does not exist")


def packaged_sweep_lines():
    """What `--sweep=list` prints: each packaged sweep with its description and path."""
    import yaml

    lines = []
    for name, path in packaged_sweeps().items():
        description = (yaml.safe_load(path.read_text()) or {}).get("description") or ""
        lines.append(f"{name}: {description} ({path})")
    return lines

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

import collections
import dataclasses
import pathlib

from infodl.choices import SWEEP_LAUNCHERS
from infodl.experiments.cli.config import ExperimentConfig, setting

DEFAULT_RAY_RETRIES = 2  # a failed run is started at most this often again on Ray
SWEEP_KEYS = ("experiment", "description", "flags", "settings", "grid", "seeds", "resources")
RESOURCES = {"cpu": 1.0, "gpu": 0.0}  # what one run needs unless the sweep file says
# Settings the sweep gives each run itself; in flags, a setting or the grid they were lost.
PER_RUN = {"seed": "the seeds as the list `seeds`",
           "log_dir": "each run's folder to be <log_dir>/<setting>/seed_<s>"}
# Names the sweep folder uses itself (run logs, the report's HParams), not setting names.
RESERVED_FOLDERS = ("logs", "hparams")


def safe_folder_name(name):
    """True when `name` is one plain folder name: not empty, `.`, `..`, a reserved folder
    of the sweep, and without a path separator or NUL."""
    return (isinstance(name, str) and name not in ("", ".", "..", *RESERVED_FOLDERS)
            and not any(c in name for c in "/\\\0"))


def check_sweep_file(sweep, path):
    """Checks the shape of a loaded sweep file before anything is planned or written.

    Keys among `SWEEP_KEYS`; `experiment` a name; `flags` and `grid` mappings, every grid
    value a non-empty list; `settings` a list of mappings whose `name`s are plain folder
    names (`safe_folder_name`); `seeds` a non-empty list of distinct integers >= 0.
    The values themselves are checked per run against the experiment's config.

    Args:
        sweep: the file's contents (a dict).
        path: the file, named in every message.

    Raises:
        ValueError: one line naming the file and the first problem found.
    """
    def refuse(expected, received):
        raise ValueError(f"Expected {expected}. Received: {received} in the sweep file {path}")

    unknown = sorted(set(sweep) - set(SWEEP_KEYS))
    if unknown:
        refuse(f"only the keys {', '.join(SWEEP_KEYS)}", f"also {unknown}")
    if "experiment" in sweep and not isinstance(sweep["experiment"], str):
        refuse("experiment to be a name", f"experiment={sweep['experiment']!r}")
    for key in ("flags", "grid"):
        if not isinstance(sweep.get(key) or {}, dict):
            refuse(f"{key} to be a mapping", f"{key}={sweep[key]!r}")
    for key, values in (sweep.get("grid") or {}).items():
        if not isinstance(values, list) or not values:
            refuse("grid values to be non-empty lists", f"grid.{key}={values!r}")
    settings = sweep.get("settings") or []
    if not isinstance(settings, list) or not all(isinstance(s, dict) for s in settings):
        refuse("settings to be a list of mappings", f"settings={settings!r}")
    for named in (s for s in settings if "name" in s):
        if not safe_folder_name(str(named["name"]) if named["name"] is not None else ""):
            refuse("setting names that are one plain folder name (no /, not . or .., not "
                   f"{' or '.join(RESERVED_FOLDERS)})", f"name={named['name']!r}")
    for where, keys in [("flags", sweep.get("flags") or {}), ("grid", sweep.get("grid") or {}),
                        *((f"settings[{i}]", s) for i, s in enumerate(settings))]:
        for key in sorted(set(keys) & set(PER_RUN)):
            refuse(f"{PER_RUN[key]}, not {where}.{key}", f"{where}.{key}={keys[key]!r}")
    seeds = sweep.get("seeds", [0])
    if not isinstance(seeds, list) or not seeds:
        refuse("seeds to be a non-empty list", f"seeds={seeds!r}")
    if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds):
        refuse("seeds to be integers >= 0", f"seeds={seeds!r}")
    twice = [s for s, n in collections.Counter(seeds).items() if n > 1]
    if twice:
        refuse("distinct seeds", f"seeds={seeds!r} ({', '.join(map(str, twice))} twice)")


def run_resources(sweep):
    """What one run of the sweep needs, from the file's `resources: {cpu: 4, gpu: 1}`.

    Only a cluster launcher (`--sweep_launcher=ray`) reserves them; the local launcher
    runs `--sweep_workers` runs at a time whatever they ask.

    Returns:
        {"cpu": float, "gpu": float}: cpu 1 and gpu 0 unless the file says otherwise.

    Raises:
        ValueError: an unknown key, or a count that is not a number >= 0 (cpu > 0).
    """
    given = sweep.get("resources") or {}
    if not isinstance(given, dict) or set(given) - set(RESOURCES):
        raise ValueError(f"Expected resources to be a mapping with the keys {list(RESOURCES)}. "
                         f"Received: resources={given!r}")
    resources = dict(RESOURCES)
    for key, value in given.items():
        number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else -1
        if number < 0 or (key == "cpu" and number == 0):
            bound = "> 0" if key == "cpu" else ">= 0"
            raise ValueError(f"Expected resources.{key} {bound} (a number). "
                             f"Received: resources.{key}={value!r}")
        resources[key] = float(number)
    return resources


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

    creates_log_dir = False  # the report reads the sweep folder; it makes no run there


# The sweep files shipped with the package (`infodl --sweep=p2_table2.yaml` from any
# folder; `--sweep=list` lists them). Only where a sweep file is found: what it may hold
# is checked where it is read.
PACKAGED_SWEEPS = pathlib.Path(__file__).resolve().parent
LIST_SWEEPS = "list"


def _packaged_sweeps():
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
        packaged = _packaged_sweeps()
        for candidate in (path.name, f"{path.name}.yaml"):
            if candidate in packaged:
                return packaged[candidate]
    raise FileNotFoundError(
        f"Expected a sweep file or the name of a packaged one "
        f"({', '.join(_packaged_sweeps()) or 'none'}; --sweep={LIST_SWEEPS} lists them). "
        f"Received: --sweep={name}, which does not exist")


def packaged_sweep_lines():
    """What `--sweep=list` prints: each packaged sweep with its description and path."""
    import yaml

    lines = []
    for name, path in _packaged_sweeps().items():
        description = (yaml.safe_load(path.read_text()) or {}).get("description") or ""
        lines.append(f"{name}: {description} ({path})")
    return lines

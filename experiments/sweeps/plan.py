"""Sweeps: every setting × seed of a sweep file, each run a process of its own.

`run_sweep(sweep_file, log_dir, workers)` validates every run's config before starting
any (a typo fails at once, in one line), writes the resolved plan to
`<log_dir>/sweep.json`, then runs the runs that are not finished, `workers` at a time
(`infodl.experiments.sweeps.local_launcher`), each as `python -m infodl --experiment=...
--<flag>=<value> ... --log_dir=<its folder>` (the command line of `run.py` and `infodl`),
output in `<log_dir>/logs/<setting>_seed<s>.log`. A finished run (its `results.json`
says it is complete) is skipped; an interrupted one resumes, because a rerun of a run's
command resumes it. SIGINT/SIGTERM stop the runs cleanly (each gets one stop request and
saves a checkpoint; the driver says what each saved) and a rerun of the sweep continues.
No TensorFlow is imported here.

A run folder has one owner at a time (`infodl.run_folder.lock`): the sweep holds its
own folder while it runs, and a run whose folder another process holds (the same
sweep started twice, a hand-started run) is not started, or is refused at its start;
it is reported as busy, with the holder, and neither retried nor counted as done.

With `launcher="ray"` (`--sweep_launcher=ray`) the same plan's runs are Ray tasks on a
cluster instead (`infodl.experiments.sweeps.ray_launcher`), each running the same command;
the sweep file's `resources: {cpu: 4, gpu: 1}` says what one run needs there.

Example:
    python run.py --sweep=experiments/sweeps/p2_table2.yaml --log_dir=runs/p2_table2
    python run.py --experiment=report --log_dir=runs/p2_table2
"""

import dataclasses
import itertools
import json
import os
import pathlib
import sys

from tqdm.auto import tqdm

from infodl.experiments.cli.config import field_base_type
from infodl.experiments.cli.early_checks import check_sweep_runs
from infodl.experiments.sweeps.config import (
    check_sweep_file,
    run_resources,
    safe_folder_name,
)
from infodl.run_folder.atomic import write_json_atomic
from infodl.run_folder.lock import IN_USE_PATTERN
from infodl.run_folder.run_directory import prepare_log_dir

PLAN_FILE = "sweep.json"
RESERVED = ("name", "expected")
INTERRUPTED = "sweep interrupted; rerun the same command to continue it"


def _load_sweep_file(path):
    """The sweep file as a dict (YAML or JSON), or one clear error."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Expected a sweep file. Received: {path}, which does not exist")
    text = path.read_text()
    try:
        if path.suffix.lower() == ".json":
            sweep = json.loads(text)
        else:
            import yaml

            sweep = yaml.safe_load(text)
    except Exception as error:
        raise ValueError(f"Corrupt sweep file {path}: {type(error).__name__}: {error}") from error
    if not isinstance(sweep, dict):
        raise ValueError(f"Expected a mapping in the sweep file {path}. "
                         f"Received: {type(sweep).__name__}")
    check_sweep_file(sweep, path)
    return sweep


def _coerce(field, value, where):
    """A sweep-file value as the config field's type (YAML reads 1e-5 as a string)."""
    kind = field_base_type(field)
    try:
        if value is None or kind is str:
            return value
        if kind is bool:
            if isinstance(value, str):
                return {"true": True, "false": False}[value.lower()]
            return value
        if kind is tuple:
            items = value.split(",") if isinstance(value, str) else list(value)
            item_type = field.metadata.get("item_type") or str
            return tuple(item_type(float(v)) if item_type is int else item_type(v)
                         for v in items)
        return kind(float(value)) if kind is int else kind(value)
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"Expected {field.name} to be a {kind.__name__} in {where}. "
                         f"Received: {field.name}={value!r}") from None


def _setting_name(values, varying):
    def text(value):
        if isinstance(value, float):
            return f"{value:g}"
        if isinstance(value, (tuple, list)):
            return ",".join(text(v) for v in value)
        return str(value)
    parts = [f"{key}-{text(values[key])}" for key in varying if key in values]
    name = "_".join(parts) or "default"
    # A value with a folder separator (a grid over paths) stays inside one folder name.
    name = name.replace("/", "%").replace("\\", "%")
    return name if safe_folder_name(name) else f"setting-{name}"


def plan_runs(sweep, experiments, log_dir, overrides=None):
    """Every run of the sweep: [{"setting", "seed", "folder", "values", "expected"}].

    `overrides` (flags given on the command line beside `--sweep`, e.g. `data_dir`) are
    set in every run, over the file's values.

    Raises:
        ValueError: an unknown experiment or flag, a bad value (each run's config is
            validated here), two settings with the same name, or bad `resources`.
    """
    run_resources(sweep)  # checked with the plan, before any run starts
    name = sweep.get("experiment", "resnet")
    if name not in experiments:
        raise ValueError(f"Expected experiment in {tuple(experiments)} in the sweep file. "
                         f"Received: experiment={name!r}")
    config_class = experiments[name].config
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    shared = dict(sweep.get("flags") or {})
    settings = [dict(s) for s in (sweep.get("settings") or [])]
    grid = sweep.get("grid") or {}
    if grid:
        keys = list(grid)
        settings += [dict(zip(keys, combination, strict=True))
                     for combination in itertools.product(*(grid[k] for k in keys))]
    settings = settings or [{}]
    varying = sorted({k for s in settings for k in s if k not in RESERVED})
    seeds = sweep.get("seeds", [0])  # a non-empty list of distinct seeds (check_sweep_file)
    runs, names = [], set()
    for setting in settings:
        unknown = sorted(set(setting) - set(fields) - set(RESERVED))
        own = {k: _coerce(fields[k], v, "the sweep file") for k, v in setting.items()
               if k in fields}
        label = str(setting.get("name") or _setting_name(own, varying))
        if unknown:
            raise ValueError(f"Expected flags of the {name} experiment in setting "
                             f"{label!r}. Received: unknown flag(s) {unknown}")
        if label in names:
            raise ValueError(f"Expected distinct setting names. Received: {label!r} twice")
        names.add(label)
        for seed in seeds:
            folder = os.path.join(log_dir, label, f"seed_{seed}")
            values = {**shared, **{k: v for k, v in setting.items() if k not in RESERVED},
                      **(overrides or {}), "seed": seed, "log_dir": folder}
            if "verbose" in fields:
                values.setdefault("verbose", 2)  # one line per epoch in the run's log
            unknown = sorted(set(values) - set(fields))
            if unknown:
                raise ValueError(f"Expected flags of the {name} experiment in setting "
                                 f"{label!r}. Received: unknown flag(s) {unknown}")
            where = f"setting {label!r}"
            coerced = {k: _coerce(fields[k], v, where) for k, v in values.items()}
            try:
                config_class(**coerced).validate()
            except ValueError as error:
                raise ValueError(f"In setting {label!r}, seed {seed}: {error}") from None
            runs.append({"setting": label, "seed": seed, "folder": folder,
                         "values": coerced, "expected": setting.get("expected")})
    return name, runs


def flag_arguments(experiment, values):
    """The command-line arguments of one run."""
    arguments = [f"--experiment={experiment}"]
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (tuple, list)):
            value = ",".join(str(v) for v in value)
        arguments.append(f"--{key}={value}")
    return arguments


def run_command():
    """How a sweep starts one run: the installed command line, `python -m infodl`.

    The same interpreter as the sweep's, so a virtualenv's runs use that virtualenv; no
    file path of a checkout is needed, so an installed copy runs its sweeps too.
    """
    return [sys.executable, "-m", "infodl"]


def run_environment():
    """The runs' environment: the sweep's, with a checkout's root on PYTHONPATH.

    Installed, `infodl` is importable from anywhere. From a checkout that is not
    installed, `python -m infodl` finds the package only beside the repository root, so
    the root is added to PYTHONPATH (wherever the sweep was started from).
    """
    import infodl

    env = dict(os.environ)
    root = infodl.checkout_root()
    if root is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            [root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def run_finished(folder):
    """True when the run's results.json exists and does not say it is incomplete."""
    path = pathlib.Path(folder) / "results.json"
    if not path.is_file():
        return False
    try:
        return json.loads(path.read_text()).get("complete", True) is not False
    except json.JSONDecodeError:
        return False


def refusal(log_path):
    """The holder named by a run's log when the run was refused its folder, else None.

    Only the log's last `Error:` line counts (the log is appended to by every attempt).
    """
    try:
        with open(log_path, errors="replace") as handle:
            errors = [line for line in handle.read().splitlines() if line.startswith("Error:")]
    except OSError:
        return None
    match = IN_USE_PATTERN.search(errors[-1]) if errors else None
    return match.group(1) if match else None


def _prepare_sweep(sweep_file, log_dir, experiments, overrides=None):
    """Plans the sweep, takes (and guards) its folder and writes the plan.

    Returns:
        (experiment, runs, resources): as `plan_runs`, and what one run needs
        (`run_resources`).

    Raises:
        RunFolderInUseError: another process (e.g. the same sweep) holds `log_dir`.
    """
    sweep = _load_sweep_file(sweep_file)
    experiment, runs = plan_runs(sweep, experiments, log_dir, overrides)
    check_sweep_runs(experiments, experiment, runs)  # inputs of every run, before any starts
    plan = {"experiment": experiment, "description": sweep.get("description"),
            "sweep_file": str(sweep_file),
            "runs": [{k: r[k] for k in ("setting", "seed", "folder", "expected")} |
                     {"values": {k: list(v) if isinstance(v, tuple) else v
                                 for k, v in r["values"].items()}} for r in runs]}
    prepare_log_dir(log_dir, {"experiment": experiment, "runs": plan["runs"]},
                    resumable_keys=())
    write_json_atomic(os.path.join(log_dir, PLAN_FILE), plan)
    return experiment, runs, run_resources(sweep)


def run_log(log_dir, run):
    """Where a run's output goes: `<log_dir>/logs/<setting>_seed<s>.log` (appended to)."""
    return os.path.join(log_dir, "logs", f"{run['setting']}_seed{run['seed']}.log")


def sort_outcome(record, returncode, outcomes):
    """Files a run that ended under "trained", "failed" or "busy" (refused its folder)."""
    holder = None if returncode == 0 else refusal(record["log"])
    if holder is not None:
        outcomes["busy"].append(dict(record, returncode=returncode, holder=holder))
    else:
        outcomes["trained" if returncode == 0 else "failed"].append(
            dict(record, returncode=returncode))


def run_sweep(sweep_file, log_dir, workers, experiments, overrides=None, verbose=1,
              launcher="local", **launcher_options):
    """Runs the sweep of `sweep_file` into `log_dir`; returns what ran, was skipped, failed.

    Args:
        launcher: "local" (`local_launcher`: processes of this machine, `workers` at a
            time) or "ray" (`ray_launcher`: one Ray task per run on a cluster;
            `launcher_options` are its `address` and `retries`).

    Returns:
        dict: "trained", "skipped", "failed" and "busy" (runs whose folder another
        process holds, each with "holder": who) lists of runs, and counts.
    """
    if launcher == "ray":
        from infodl.experiments.sweeps import ray_launcher  # ray itself is imported only on connect

        address = ray_launcher.cluster_address(launcher_options.get("address"))
        if address is not None:  # before the sweep folder is made: one line, in seconds
            ray_launcher.check_reachable(address)
    experiment, runs, resources = _prepare_sweep(sweep_file, log_dir, experiments, overrides)
    pending = [r for r in runs if not run_finished(r["folder"])]
    skipped = [r for r in runs if r not in pending]
    os.makedirs(os.path.join(log_dir, "logs"), exist_ok=True)
    outcomes = {"trained": [], "failed": [], "busy": []}
    bar = tqdm(total=len(runs), initial=len(skipped), unit="run", disable=not verbose)
    try:
        if launcher == "ray":
            ray_launcher.run_on_ray(experiment, pending, log_dir, resources, outcomes, bar,
                                    **launcher_options)
        else:
            from infodl.experiments.sweeps.local_launcher import run_locally

            run_locally(experiment, pending, log_dir, workers, outcomes, bar)
    finally:
        bar.close()
    return {"log_dir": log_dir, "experiment": experiment, "runs": len(runs),
            "skipped": skipped, **outcomes}


def summary(results):
    """The lines `run.py` prints at the end of a sweep."""
    lines = [f"sweep in {results['log_dir']}: {results['runs']} runs, "
             f"{len(results['trained'])} run now, {len(results['skipped'])} already finished, "
             f"{len(results['failed'])} failed"
             + (f", {len(results['busy'])} busy" if results.get("busy") else "")]
    for run in results["failed"]:
        lines.append(f"failed: {run['setting']} seed {run['seed']} (exit {run['returncode']}; "
                     f"see {run['log']})")
    for run in results.get("busy", ()):
        lines.append(f"busy: {run['setting']} seed {run['seed']}: its folder {run['folder']} "
                     f"is in use by {run['holder']}; not run (rerun the sweep when it ends)")
    lines.append(f"table: python run.py --experiment=report --log_dir={results['log_dir']}")
    return lines

"""The command line: absl flags -> one config object -> an experiment's run().

`run.py` in a checkout, the console script `infodl` and `python -m infodl` all call
`main()` here, so they take exactly the same flags:

    infodl --model=resnet32 --alpha2=0.03                             # P2 on CIFAR-10
    infodl --model=resnet32 --alpha2=0.03 --dataset=synthetic --train_steps=50
    infodl --experiment=info_plane --activation=tanh                  # P1 / Shwartz-Ziv & Tishby
    infodl --sweep=p2_table2.yaml --log_dir=runs/p2_table2            # a grid of runs

Every flag is a field of an experiment's config dataclass (`infodl.experiments.registry`
lists the experiments); `--experiment=X --help` lists X's flags with X's defaults
(without `--experiment`: those of the first experiment and the sweep's), `--helpfull`
every flag. This module is the only one that reads
absl's FLAGS; the library takes plain arguments. Errors a user can cause end in one
line on stderr and exit code 1; what can be checked without TensorFlow (the log folder,
the data files, the sizes) is checked before it loads. SIGINT / SIGTERM stop every
phase within seconds (a checkpoint is saved where training happened; the same command
resumes) with exit code 130 / 143; a second one stops at once.
"""

import contextlib
import dataclasses
import errno
import re
import sys

from infodl import quiet_startup

quiet_startup.apply()

from absl import app, flags  # noqa: E402

from infodl import stop_signals  # noqa: E402
from infodl.experiments.cli import flags as experiment_flags  # noqa: E402  (no TensorFlow)
from infodl.experiments.cli import run_location  # noqa: E402
from infodl.experiments.registry import EXPERIMENTS, GLOBAL_SETTINGS  # noqa: E402
from infodl.run_folder.run_directory import undone_if_failed_at_start  # noqa: E402

FLAGS = flags.FLAGS
OWNERS = experiment_flags.define_flags(EXPERIMENTS, FLAGS, GLOBAL_SETTINGS)


def show_flags_in_help(argv):
    """Makes the flags of the experiment named in `argv` key flags of the program that
    runs, with that experiment's help and defaults, so `--help` lists them (absl shows the
    key flags of `sys.argv[0]`: run.py, the console script `infodl` or a `__main__`
    module); without `--experiment`, the first experiment's and the global settings'."""
    name = experiment_flags.experiment_in(argv, tuple(EXPERIMENTS))
    shown = ["experiment"] + experiment_flags.describe_experiment(
        EXPERIMENTS[name or next(iter(EXPERIMENTS))], FLAGS)
    if name is None:
        shown += [field.name for settings in GLOBAL_SETTINGS
                  for field in dataclasses.fields(settings)]
    else:  # absl's usage text is the entry point's docstring: say which experiment instead
        sys.modules["__main__"].__doc__ = f"--experiment={name}: {EXPERIMENTS[name].help}."
    for flag_name in shown:
        FLAGS.register_key_flag_for_module(sys.argv[0], FLAGS[flag_name])


def run_from_flags(argv):
    if len(argv) > 1:
        raise ValueError(f"Unexpected arguments: {' '.join(argv[1:])}")
    sweep = experiment_flags.settings_from_flags(GLOBAL_SETTINGS[0], FLAGS)
    if sweep.sweep is not None:
        return run_sweep(sweep)
    with stop_signals.StopSignals():
        experiment = EXPERIMENTS[FLAGS.experiment]
        config = experiment_flags.config_from_flags(experiment, OWNERS, FLAGS)  # no TensorFlow
        config.early_checks()  # no TensorFlow: the log folder, the data files, the sizes
        quiet_startup.load_tensorflow(
            initialize=getattr(config, "distribution_strategy", None) != "multi_worker")
        module = experiment.load()
        stop_signals.check("start-up")
        log_dir = getattr(config, "log_dir", None)
        undo = (undone_if_failed_at_start(log_dir)
                if isinstance(log_dir, str) and config.creates_log_dir
                else contextlib.nullcontext())
        with undo:  # a run that fails before its first step leaves no folder behind
            results = module.run(config)
        for line in _experiment_end(module, config, results):
            print(line)


def _experiment_end(module, config, results):
    """What an experiment prints when it ends: its summary, then its run folder and the
    TensorBoard command for it (`infodl.experiments.cli.run_location`)."""
    return list(module.summary(results)) + run_location.closing_lines(
        run_location.run_folder(config, results))


def run_sweep(settings):
    """`--sweep=<file>`: the runs of the file, each a process of its own (no TensorFlow here)."""
    import pathlib

    from infodl.experiments.sweeps import config as sweep_config
    from infodl.experiments.sweeps import plan as sweep
    from infodl.experiments.sweeps.config import DEFAULT_RAY_RETRIES

    if settings.sweep == sweep_config.LIST_SWEEPS:
        for line in sweep_config.packaged_sweep_lines():
            print(line)
        return
    sweep_file = sweep_config.resolve_sweep_file(settings.sweep)
    if FLAGS["experiment"].present:
        raise ValueError("Expected the experiment in the sweep file. Received: --experiment "
                         "on the command line with --sweep")
    overrides = experiment_flags.given_flags(OWNERS, FLAGS)  # e.g. --data_dir, for every run
    overrides.pop("log_dir", None)
    if "seed" in overrides:  # each run's seed comes from the file's `seeds`
        raise ValueError("Expected the seeds in the sweep file (seeds: [0, 1, ...]). "
                         f"Received: --seed={overrides['seed']} with --sweep")
    log_dir = (FLAGS.log_dir if FLAGS["log_dir"].present
               else f"runs/sweeps/{pathlib.Path(settings.sweep).stem}")
    launcher = {}
    if settings.sweep_launcher == "ray":
        from infodl.experiments.sweeps.ray_launcher import require_ray

        require_ray()  # before the sweep folder is made
        launcher = dict(launcher="ray", address=settings.ray_address,
                        retries=settings.sweep_retries if settings.sweep_retries is not None
                        else DEFAULT_RAY_RETRIES)
    results = sweep.run_sweep(sweep_file, log_dir, settings.sweep_workers, EXPERIMENTS,
                              overrides=overrides, **launcher)
    for line in sweep.summary(results) + run_location.closing_lines(log_dir):
        print(line)
    if results["failed"] or results["busy"]:
        sys.exit(1)


def user_errors():
    """The exception types that mean "bad input", reported in one line."""
    from infodl.data import DatasetUnavailableError
    from infodl.training.errors import TrainingDivergedError

    return (ValueError, FileNotFoundError, FileExistsError, DatasetUnavailableError,
            TrainingDivergedError, stop_signals.Interrupted)


def _as_flags(message):
    """Library messages name arguments ("pass overwrite=True", "pass dataset=mnist"); the
    CLI names flags ("pass --overwrite", "pass --dataset=mnist")."""
    def flag(match):
        name, true = match.groups()
        if name not in OWNERS:
            return match.group(0)
        return f"pass --{name}" if true else f"pass --{name}="
    return re.sub(r"pass (\w+)=(True\b)?", flag, message)


def _disk_full(error, log_dir):
    """The one line for a full disk (ENOSPC / EDQUOT from Python, or TensorFlow's "No
    space left on device"), naming the folder written to; None for other errors. The
    checkpoints are atomic, so the newest complete one is intact and the run resumes."""
    full = (isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)) or (
        type(error).__module__.startswith("tensorflow")
        and "No space left on device" in str(error))
    if not full:
        return None
    where = error.filename if isinstance(error, OSError) and error.filename else log_dir
    return (f"no space left on the device of {where or 'the run folder'} while the run wrote "
            "to it; free some space (or choose another --log_dir), then rerun the same "
            "command: it resumes from its newest complete checkpoint")


def main(experiment=None):
    """The console script `infodl` (and `python -m infodl`, `python run.py`).

    Args:
        experiment: the command line of one experiment (`python -m infodl.analysis` is
            `main("analyze")`): `--experiment` is given, and refused on the command line.
    """
    argv = list(sys.argv)
    if experiment is not None:
        if any(arg.startswith("--experiment") for arg in argv[1:]):
            print(f"Error: --experiment does not apply here (this command runs "
                  f"--experiment={experiment})", file=sys.stderr)
            sys.exit(1)
        argv.insert(1, f"--experiment={experiment}")
    show_flags_in_help(argv)
    try:
        app.run(run_from_flags, argv=argv)
    except SystemExit:
        raise
    except Exception as error:
        full = _disk_full(error, FLAGS.log_dir if FLAGS.is_parsed() else None)
        if full is not None:
            print(f"Error: {full}", file=sys.stderr)
            sys.exit(1)
        if isinstance(error, user_errors()):
            print(f"Error: {_as_flags(str(error))}", file=sys.stderr)
            sys.exit(128 + error.signal_number if hasattr(error, "signal_number") else 1)
        raise


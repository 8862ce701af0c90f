"""MINE-DV's fit time beside its previous default and the benchmark's own MINE, ABBA.

    python -m benchmarks.external_speed samples.npz --bmi_python /path/to/venv/bin/python
    python -m benchmarks.external_speed samples.npz --pairs 3 --tasks "Student-t 5x5 nu=3"

On samples of the Beyond-Normal tasks (the `.npz` of `benchmarks.external_samples`), each
fit runs in a process of its own and times only the fit (imports and sample loading
excluded). The arms:

- mine-dv: `MINE(bound="dv").fit_estimate(x, y)` at today's defaults;
- mine-dv-coordinates: the same with `log_radius=False` (the default when issue 33 was
  filed, before the log radius);
- bmi-mine (with --bmi_python): `bmi.estimators.MINEEstimator(verbose=False)
  .estimate(x, y)` at its defaults, run by the Python of a separate environment that has
  the benchmark's package (`benchmark-mi`, never a dependency of this project).

On a shared machine the load changes over minutes, so the arms alternate: for each task
and pair, in the listed order, then in reverse (A B C, C B A, ...). Printed per fit its
value and seconds; per task and arm the median of mine-dv's time over the other arm's,
pair by pair; and the geometric mean of those medians over the tasks.

Reference: issue 33 of this project (point 4: "the default fit stays at or under the
time of the benchmark's MINE on the same samples"); Czyz et al. 2023 (NeurIPS), the
benchmark; Belghazi et al. 2018 (MINE).
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.beyond_normal_tasks import TASKS  # noqa: E402

OURS = ("mine-dv", "mine-dv-coordinates")
BMI_ARM = "bmi-mine"
# The three tasks timed when issue 33 was filed and since: a Gaussian, a heavy-tailed and
# a warped one, all 5 x 5.
DEFAULT_TASKS = ("Multinormal 5x5 (dense)", "Student-t 5x5 nu=3",
                 "Half-cube @ Multinormal 5x5 (2-pair)")
# Run by --bmi_python: argv = samples, task index; prints one JSON line.
BMI_FIT = """
import json, sys, time
import numpy as np
from bmi.estimators import MINEEstimator
data = np.load(sys.argv[1])
x, y = data["x" + sys.argv[2]], data["y" + sys.argv[2]]
start = time.perf_counter()
value = MINEEstimator(verbose=False).estimate(x, y)
print(json.dumps({"seconds": time.perf_counter() - start, "value": float(value)}))
"""


def fit_one(arm, samples, task, seed):
    """One fit of our arm in this process: {"seconds", "value"} of the fit alone."""
    from benchmarks import beyond_normal
    from benchmarks.external_samples import load_samples
    x, y = load_samples(samples)[task]
    start = time.perf_counter()
    value = beyond_normal.fit(arm, x, y, seed)[0]
    return {"seconds": time.perf_counter() - start, "value": value}


def timed_fit(arm, samples, task, seed, bmi_python):
    """One fit in a fresh process: {"seconds", "value"}; a failed process stops the run."""
    if arm == BMI_ARM:
        command = [bmi_python, "-c", BMI_FIT, samples, str(list(TASKS).index(task))]
    else:
        command = [sys.executable, "-m", "benchmarks.external_speed", samples, "--fit_one",
                   arm, "--tasks", task, "--seed", str(seed)]
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=environment)
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        raise SystemExit(f"error: the {arm} fit of {task} failed: "
                         f"{(done.stderr.strip().splitlines() or ['no output'])[-1]}")
    return json.loads(lines[-1])


def ratios(fits):
    """{(task, arm): [mine-dv seconds / arm seconds per pair]} for every arm but mine-dv."""
    table = {}
    for (task, pair, arm), fit in fits.items():
        if arm != "mine-dv":
            table.setdefault((task, arm), []).append(
                fits[task, pair, "mine-dv"]["seconds"] / fit["seconds"])
    return table


def summary(fits, tasks, arms):
    """The per-task median ratios and their geometric mean over the tasks, as lines."""
    lines, table = [], ratios(fits)
    for arm in arms[1:]:
        medians = [statistics.median(table[task, arm]) for task in tasks]
        for task, median in zip(tasks, medians, strict=True):
            pairs = ", ".join(f"{r:.2f}" for r in table[task, arm])
            lines.append(f"mine-dv / {arm}, {task}: median {median:.2f} (pairs: {pairs})")
        lines.append(f"mine-dv / {arm}: geometric mean over the {len(tasks)} tasks "
                     f"{float(np.exp(np.mean(np.log(medians)))):.2f}")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples", help=".npz file of the 40 tasks' samples")
    parser.add_argument("--tasks", default=",".join(DEFAULT_TASKS),
                        help="comma list of task names")
    parser.add_argument("--pairs", type=int, default=2, help="fits per arm and task")
    parser.add_argument("--bmi_python", default=None,
                        help="Python of an environment with benchmark-mi (adds bmi-mine)")
    parser.add_argument("--seed", type=int, default=0, help="seed of our estimators")
    parser.add_argument("--fit_one", choices=OURS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    tasks = [name.strip() for name in args.tasks.split(",")]
    unknown = [name for name in tasks if name not in TASKS]
    if unknown:
        parser.error(f"unknown tasks {unknown}; the names are those of "
                     "benchmarks.beyond_normal_tasks.TASKS")
    samples = str(pathlib.Path(args.samples).resolve())
    if args.fit_one:
        print(json.dumps(fit_one(args.fit_one, samples, tasks[0], args.seed)))
        return
    if args.pairs < 1:
        parser.error(f"Expected pairs >= 1. Received: pairs={args.pairs}")
    from benchmarks.external_samples import load_samples
    load_samples(samples)  # a wrong file stops here, in one line
    arms = [*OURS, *([BMI_ARM] if args.bmi_python else [])]
    fits = {}
    for task in tasks:
        for pair in range(args.pairs):
            for arm in arms if pair % 2 == 0 else arms[::-1]:
                fits[task, pair, arm] = fit = timed_fit(arm, samples, task, args.seed,
                                                        args.bmi_python)
                print(f"{task:<40} pair {pair}  {arm:<20} {fit['value']:7.3f} nats "
                      f"{fit['seconds']:7.1f} s", flush=True)
    print("\n".join(summary(fits, tasks, arms)))


if __name__ == "__main__":
    main()

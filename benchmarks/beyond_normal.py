"""The Beyond-Normal suite: MI estimators at their defaults on the benchmark's 40 tasks.

    python -m benchmarks.beyond_normal                       # default subset, 3 seeds
    python -m benchmarks.beyond_normal --all --seeds 0,1,2   # the 40 tasks
    python -m benchmarks.beyond_normal --estimators ksg,cca --tasks "Normal 1x1"
    python -m benchmarks.beyond_normal --table_only          # rewrite the docs table

Every estimator sees the same samples of a (task, seed): N = 5 000 pairs drawn by
`benchmarks/beyond_normal_tasks.py`, each coordinate rescaled to unit variance. The
estimators, each called as a user would at its defaults (`verbose=0` aside):

- mine-dv, mine-nwj, mine-infonce: `MINE(bound=b).fit_estimate(x, y)` after
  `keras.utils.set_random_seed(seed)`; mine-dv-coordinates (and -nwj-, -infonce-):
  the same with `log_radius=False`, the default before 2026-12-07;
- ksg: `KSGEstimator().fit_estimate(x, y)` (k = 3, Kraskov et al.);
- cca: the Gaussian baseline -1/2 sum_i log(1 - rho_i^2), rho_i the sample's
  canonical correlations (exact for Gaussian tasks, blind to the rest);
- copula: `GaussianCopulaEstimator().fit_estimate(x, y)`, the bias-corrected Gaussian
  MI of each feature's normal scores (Ince et al. 2017; exact for Gaussian tasks under
  any monotone map of each feature).

Each fit appends one JSON line to --results (default
`benchmarks/results/beyond_normal.jsonl`) as soon as it ends, so a run stopped at any
point resumes where it stopped: a (task, estimator, seed, N) already in the file is
skipped. The order is seed-major (every task once before the second seed), the fast
estimators first. At the end (and with --table_only) the tables of all records are
written into --docs between marker lines (`benchmarks/beyond_normal_table.py`); a MINE
record's `trusted` there is the library's current rule re-applied to the recorded fit
(`with_current_trust`), so the table follows the rule, not the code that ran the fit.

Reference: Czyz et al. 2023, "Beyond normal: on the evaluation of mutual information
estimators" (NeurIPS), the tasks and protocol; Kraskov et al. 2004 (KSG); Belghazi et
al. 2018 (MINE).
"""

import argparse
import json
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks import beyond_normal_table as table  # noqa: E402
from benchmarks.beyond_normal_tasks import DEFAULT_TASKS, NUM_SAMPLES, TASKS  # noqa: E402

ESTIMATORS = ("ksg", "cca", "copula", "mine-dv", "mine-nwj", "mine-infonce")
# Not in the default run: MINE without its log-radius feature (`log_radius=False`, the
# default before 2026-12-07; the records of that default carry these names), and that
# MINE on each side augmented by its log radius in the suite's code (`with_log_radius`).
PREVIOUS = ("mine-dv-coordinates", "mine-nwj-coordinates", "mine-infonce-coordinates")
CHOICES = (*ESTIMATORS, *PREVIOUS, "mine-dv-radial")
RESULTS = ROOT / "benchmarks" / "results" / "beyond_normal.jsonl"
DOCS = ROOT / "docs" / "estimators.md"


def cca_mi(x, y):
    """-1/2 log(det S_xx det S_yy / det S): the MI of a Gaussian with the sample's
    covariance (= -1/2 sum log(1 - rho_i^2) over the canonical correlations)."""
    covariance = np.cov(np.hstack([x, y]).astype("float64"), rowvar=False)
    covariance = np.atleast_2d(covariance)
    dim_x = x.shape[1]
    logdet = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
    return 0.5 * (logdet(covariance[:dim_x, :dim_x]) + logdet(covariance[dim_x:, dim_x:])
                  - logdet(covariance))


def with_log_radius(values):
    """[v, log(1 + |v|^2)]: v with one more feature, a function of v (so I is unchanged:
    v is the first columns); it hands the critic the radius a t or spiral density uses."""
    values = np.asarray(values, "float64")
    return np.hstack([values, np.log1p((values**2).sum(1, keepdims=True))]).astype("float32")


def fit(estimator, x, y, seed):
    """One fit at the defaults: (value, std, trusted, reason, extra record fields)."""
    if estimator == "cca":
        return float(cca_mi(x, y)), None, True, "", {}
    if estimator == "ksg":
        from infodl.estimators import KSGEstimator
        value = KSGEstimator(seed=seed).fit_estimate(x, y)
        return float(value), None, value.trusted, value.reason, {}
    if estimator == "copula":
        from infodl.estimators import GaussianCopulaEstimator
        value = GaussianCopulaEstimator().fit_estimate(x, y)
        return float(value), None, value.trusted, value.reason, {}
    import warnings

    import keras

    from infodl.estimators import MINE
    keras.utils.set_random_seed(seed)
    if estimator == "mine-dv-radial":
        x, y = with_log_radius(x), with_log_radius(y)
    mine = MINE(bound=estimator.split("-")[1], log_radius=estimator in ESTIMATORS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the reason is recorded instead
        value = mine.fit_estimate(x, y, verbose=0)
    record = mine.last_fit
    return (float(value), table.finite(value.std), value.trusted, value.reason,
            {"steps": list(record.steps), "best_steps": list(record.best_steps),
             "stopped_early": list(record.stopped_early),
             "half_values": [[round(v, 5) for v in pair] for pair in record.half_values],
             "curves": [[[int(step), round(float(v), 5)] for step, v in curve]
                        for curve in record.curves],
             "picked": [list(c) for c in record.chosen_critics],
             "input_features": record.input_features, "companion": record.companion,
             "radius_bound": table.finite(record.radius_bound),
             "copula_value": table.finite(record.copula_value),
             "patience": record.patience, "min_delta": record.min_delta})


def with_current_trust(record, samples=None, copula_values=None):
    """The record with `trusted` and `reason` of the library's current rule
    (`infodl.estimators.fit_result.doubts`) applied to its recorded fit: a MINE record
    written before the rule had its inputs gets them from its task (features), from
    the same samples (the radius bound and the Gaussian-copula value, recomputed; the
    copula value of a plain MINE record is taken from `copula_values`, a dict (task,
    seed, N) -> the copula estimator's recorded value of the same samples, when it has
    the key) and from the fit's defaults (the stopping rule's patience and min_delta:
    every suite fit runs at the defaults). Other estimators' records as they are.
    """
    if not record["estimator"].startswith("mine") or "picked" not in record:
        return record
    from infodl.estimators.fit_result import copula_value, doubts, radius_bound
    from infodl.estimators.mine_fit import DEFAULT_MIN_DELTA, DEFAULT_PATIENCE
    task = TASKS[record["task"]]
    radial = record["estimator"] == "mine-dv-radial"
    radius, copula = record.get("radius_bound"), record.get("copula_value")
    key = (record["task"], record["seed"], record["num_samples"])
    if copula is None and not radial and key in (copula_values or {}):
        copula = copula_values[key]
    if radius is None or copula is None:
        x, y = samples if samples is not None else task.sample(record["num_samples"],
                                                               record["seed"])
        if radial:
            x, y = with_log_radius(x), with_log_radius(y)
        radius = radius_bound(x, y) if radius is None else radius
        copula = copula_value(x, y) if copula is None else copula
    features = record.get("input_features")
    if features is None:
        features = task.dim_x + task.dim_y + 2 * (record["estimator"] == "mine-dv-radial")
    reason = doubts(record["value"], np.nan if record.get("std") is None else record["std"],
                    record.get("half_values", ()), record.get("stopped_early", ()),
                    record["picked"], features, record.get("companion", True), radius,
                    record.get("curves", ()), record.get("patience", DEFAULT_PATIENCE),
                    record.get("min_delta", DEFAULT_MIN_DELTA), copula)
    return {**record, "trusted": not reason, "reason": reason, "radius_bound": radius,
            "copula_value": copula, "input_features": features}


def run(tasks, estimators, seeds, num_samples, results):
    """Fits every missing (task, estimator, seed) and appends each record to `results`."""
    done = {(r["task"], r["estimator"], r["seed"], r["num_samples"])
            for r in table.load_records(results)}
    pathlib.Path(results).parent.mkdir(parents=True, exist_ok=True)
    if _torn(results):
        with open(results, "a") as stream:  # a run killed mid-line: start a fresh line
            stream.write("\n")
    for seed in seeds:
        for name in tasks:
            task, samples = TASKS[name], None
            for estimator in estimators:
                if (name, estimator, seed, num_samples) in done:
                    continue
                if samples is None:
                    samples = task.sample(num_samples, seed)
                start = time.perf_counter()
                value, std, trusted, reason, extra = fit(estimator, *samples, seed)
                seconds = time.perf_counter() - start
                record = {"task": name, "family": task.family, "estimator": estimator,
                          "seed": seed, "num_samples": num_samples, "truth": task.truth,
                          "value": value, "std": std, "trusted": bool(trusted),
                          "reason": reason, "seconds": round(seconds, 3), **extra}
                with open(results, "a") as stream:
                    stream.write(json.dumps(record) + "\n")
                flag = "" if trusted else "  (flagged)"
                print(f"{name:<50} {table.LABELS[estimator]:<13} seed {seed}  "
                      f"{value:8.3f}  truth {task.truth:6.3f}  {seconds:7.1f} s{flag}",
                      flush=True)


def _torn(path):
    text = pathlib.Path(path).read_text() if pathlib.Path(path).exists() else ""
    return bool(text) and not text.endswith("\n")


def _list(text, allowed, name):
    values = [v.strip() for v in text.split(",") if v.strip()]
    unknown = [v for v in values if v not in allowed]
    if unknown or not values:
        raise SystemExit(f"error: expected --{name} from {', '.join(allowed)}. "
                         f"Received: {text!r}")
    return values


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimators", default=",".join(ESTIMATORS),
                        help="comma list of " + ", ".join(CHOICES) + " (default: "
                             + ", ".join(ESTIMATORS) + ")")
    parser.add_argument("--tasks", default=",".join(DEFAULT_TASKS),
                        help="comma list of task names (default: the subset of one task "
                             "per family)")
    parser.add_argument("--all", action="store_true", help="all 40 tasks")
    parser.add_argument("--seeds", default="0,1,2", help="comma list of integer seeds")
    parser.add_argument("--num_samples", type=int, default=NUM_SAMPLES)
    parser.add_argument("--results", default=str(RESULTS), help="JSON lines, appended")
    parser.add_argument("--docs", default=str(DOCS), help="page that gets the tables")
    parser.add_argument("--no_docs", action="store_true", help="do not write the tables")
    parser.add_argument("--block", default=None,
                        help="name of the docs block the tables go into (default: \"all\" "
                             "with --all, else the unnamed block)")
    parser.add_argument("--table_only", action="store_true",
                        help="no fit: rewrite the tables from --results")
    args = parser.parse_args(argv)
    estimators = _list(args.estimators, CHOICES, "estimators")
    tasks = list(TASKS) if args.all else _list(args.tasks, list(TASKS), "tasks")
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        raise SystemExit(f"error: expected --seeds as integers. Received: {args.seeds!r}") from None
    if args.num_samples < 10:
        raise SystemExit(f"error: expected --num_samples >= 10. Received: {args.num_samples}")
    if not args.table_only:
        run(tasks, estimators, seeds, args.num_samples, args.results)
    if not args.no_docs:
        # The tables show the records of this command's tasks, seeds, estimators and N,
        # in a block of their own ("all" for --all): other runs' records stay out.
        every = table.load_records(args.results)
        copula_values = {(r["task"], r["seed"], r["num_samples"]):
                         r["value"] if r["trusted"] else np.nan
                         for r in every if r["estimator"] == "copula"}
        records = [with_current_trust(r, copula_values=copula_values) for r in every
                   if r["task"] in tasks and r["seed"] in seeds
                   and r["estimator"] in estimators and r["num_samples"] == args.num_samples]
        name = args.block if args.block is not None else ("all" if args.all else "")
        table.write_into(args.docs, table.render(records, list(TASKS), list(CHOICES),
                                                 _command(args), name), name)
        print(f"tables of {len(records)} fits written into {os.path.relpath(args.docs)}")


def _command(args):
    """The command line that selects these records (the defaults left out)."""
    parts = ["python -m benchmarks.beyond_normal"]
    if args.all:
        parts.append("--all")
    elif args.tasks != ",".join(DEFAULT_TASKS):
        parts.append(f'--tasks "{args.tasks}"')
    for flag, default in (("estimators", ",".join(ESTIMATORS)), ("seeds", "0,1,2"),
                          ("num_samples", NUM_SAMPLES)):
        if str(getattr(args, flag)) != str(default):
            parts.append(f"--{flag} {getattr(args, flag)}")
    return " ".join(parts)


if __name__ == "__main__":
    main()

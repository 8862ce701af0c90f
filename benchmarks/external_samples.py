"""The suite's estimators on samples drawn elsewhere, e.g. by the benchmark's own code.

    python -m benchmarks.external_samples samples.npz                 # MINE-DV, 12 tasks
    python -m benchmarks.external_samples samples.npz --estimators mine-dv,ksg --all

The `.npz` file holds the Beyond-Normal benchmark's 40 tasks in its order (the order of
`benchmarks.beyond_normal_tasks.TASKS`): arrays `x0`, `y0`, ..., `x39`, `y39` (N pairs
each, every coordinate rescaled to mean 0 and variance 1), `truths` (the 40 true MIs in
nats) and `names`. The truths are checked against the suite's to 1e-4 nats, so a file
in another order stops with one line. Written in a separate environment with the
benchmark's package (`benchmark-mi`, never a dependency of this project), e.g.:

    import bmi, numpy as np
    arrays, truths = {}, []
    for i, task in enumerate(bmi.benchmark.BENCHMARK_TASKS.values()):
        x, y = (np.asarray(v, np.float64) for v in task.sample(10_000, 2026))
        arrays[f"x{i}"] = ((x - x.mean(0)) / x.std(0)).astype("float32")
        arrays[f"y{i}"] = ((y - y.mean(0)) / y.std(0)).astype("float32")
        truths.append(float(task.mutual_information))
    np.savez("samples.npz", truths=np.array(truths), **arrays)

Each estimator is fitted at its defaults, as `python -m benchmarks.beyond_normal` does
(`beyond_normal.fit`, MINE after `keras.utils.set_random_seed(--seed)`); one JSON line
per fit is appended to --results as soon as it ends (a run stopped resumes: a (file,
task, estimator, seed) already there is skipped), and the summary printed at the end
counts the fits within max(10 %, 0.1 nats) of the truth, the negative ones, the trust
flags in and out of the band and the median time.

Reference: Czyz et al. 2023, "Beyond normal" (NeurIPS), the tasks and their sampler.
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

from benchmarks import beyond_normal, beyond_normal_table  # noqa: E402
from benchmarks.beyond_normal_tasks import DEFAULT_TASKS, TASKS  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "external_samples.jsonl"


def load_samples(path):
    """{task name: (x, y)} of the file, its truths checked against the suite's."""
    try:
        data = np.load(path)
        truths = data["truths"]
    except (OSError, ValueError, KeyError) as error:
        raise SystemExit(f"error: cannot read samples from {path}: {error}") from None
    names = list(TASKS)
    if len(truths) != len(names) or not np.allclose(
            truths, [TASKS[name].truth for name in names], atol=1e-4):
        raise SystemExit(f"error: {path} does not hold the suite's 40 tasks in its order "
                         "(its truths differ from the suite's)")
    return {name: (data[f"x{i}"], data[f"y{i}"]) for i, name in enumerate(names)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples", help=".npz file of the 40 tasks' samples")
    parser.add_argument("--estimators", default="mine-dv",
                        help="comma list of " + ", ".join(beyond_normal.CHOICES))
    parser.add_argument("--tasks", default=",".join(DEFAULT_TASKS),
                        help="comma list of task names (default: the suite's 12)")
    parser.add_argument("--all", action="store_true", help="all 40 tasks")
    parser.add_argument("--seed", type=int, default=0, help="seed of the estimators")
    parser.add_argument("--results", default=str(RESULTS), help="JSON lines, appended")
    args = parser.parse_args(argv)
    estimators = beyond_normal._list(args.estimators, beyond_normal.CHOICES, "estimators")
    tasks = list(TASKS) if args.all else beyond_normal._list(args.tasks, list(TASKS), "tasks")
    samples = load_samples(args.samples)
    source = pathlib.Path(args.samples).name
    key = lambda r: (r["samples"], r["task"], r["estimator"], r["seed"])  # noqa: E731
    done = {key(r): r for r in beyond_normal_table.load_records(args.results)
            if "samples" in r}
    pathlib.Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    records = []
    for name in tasks:
        x, y = samples[name]
        for estimator in estimators:
            record = done.get((source, name, estimator, args.seed))
            if record is None:
                start = time.perf_counter()
                value, std, trusted, reason, _ = beyond_normal.fit(estimator, x, y, args.seed)
                record = {"samples": source, "task": name, "estimator": estimator,
                          "seed": args.seed, "num_samples": len(x),
                          "truth": TASKS[name].truth, "value": value, "std": std,
                          "trusted": bool(trusted), "reason": reason,
                          "seconds": round(time.perf_counter() - start, 3)}
                with open(args.results, "a") as stream:
                    stream.write(json.dumps(record) + "\n")
            records.append(record)
            band = beyond_normal_table.within_band(record["truth"], record["value"])
            print(f"{name:<50} {estimator:<13} {record['value']:8.3f}  truth "
                  f"{record['truth']:6.3f}  {'in band' if band else 'MISS':<8}"
                  f"{'' if record['trusted'] else 'flagged':<8} {record['seconds']:7.1f} s",
                  flush=True)
    for estimator in estimators:
        mine = [r for r in records if r["estimator"] == estimator]
        band = [beyond_normal_table.within_band(r["truth"], r["value"]) for r in mine]
        flagged = [not r["trusted"] for r in mine]
        print(f"{estimator}: {sum(band)}/{len(mine)} within the band, "
              f"{sum(r['value'] < 0 for r in mine)} negative, flagged "
              f"{sum(b and f for b, f in zip(band, flagged, strict=True))}/{sum(band)} in "
              f"band and {sum(f and not b for b, f in zip(band, flagged, strict=True))}/"
              f"{len(mine) - sum(band)} out, median "
              f"{np.median([r['seconds'] for r in mine]):.1f} s per fit")


if __name__ == "__main__":
    main()

"""KSG's time against N and d, and the default MINE fit against KSG on the same samples.

    python -m benchmarks.ksg_speed                 # both parts
    python -m benchmarks.ksg_speed --parts ratios  # only the ratios from the suite's records

Part "scaling": `KSGEstimator().fit_estimate(x, y)` on correlated Gaussian pairs
(d coordinates per side, I = 1 nat), N in --sizes for each d in --dims, each timed
--repeats times (median), printed beside the ratio to the smallest N of the same d and
to d = 1 at the same N, with the process's peak resident memory after the largest fit.

Part "ratios": the suite's records (`benchmarks/results/beyond_normal.jsonl`, written by
`python -m benchmarks.beyond_normal`) hold, for every (task, seed), each estimator's
wall time on the same samples in the same process, one after another; this part prints
per task the median ratio of each MINE bound's time to KSG's and to CCA's.

Reference: Kraskov et al. 2004 (KSG); issue 33, point 6.
"""

import argparse
import math
import pathlib
import resource
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks import beyond_normal_table as table  # noqa: E402
from infodl.estimators import KSGEstimator  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "beyond_normal.jsonl"


def gaussian_pairs(num, dim, mi_nats, rng):
    rho = math.sqrt(1.0 - math.exp(-2.0 * mi_nats / dim))
    x = rng.standard_normal((num, dim))
    return x, rho * x + math.sqrt(1.0 - rho**2) * rng.standard_normal((num, dim))


def scaling(sizes, dims, repeats):
    print("KSG (k = 3) on Gaussian pairs, I = 1 nat: median wall time of "
          f"{repeats} fit(s)")
    print(f"{'d':>3} {'N':>7} {'seconds':>9} {'/ smallest N':>13} {'/ d = 1':>8} "
          f"{'estimate':>9}")
    times = {}
    for dim in dims:
        for num in sizes.get(dim, sizes["default"]):
            x, y = gaussian_pairs(num, dim, 1.0, np.random.default_rng(num + dim))
            seconds = []
            for _ in range(repeats):
                start = time.perf_counter()
                value = KSGEstimator().fit_estimate(x, y)
                seconds.append(time.perf_counter() - start)
            times[dim, num] = float(np.median(seconds))
            smallest = times[dim, min(n for d, n in times if d == dim)]
            base = times.get((dims[0], num))
            print(f"{dim:>3} {num:>7} {times[dim, num]:>9.3f} {times[dim, num] / smallest:>13.1f} "
                  + (f"{times[dim, num] / base:>8.1f}" if base else f"{'':>8}")
                  + f" {value:>9.3f}", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the process: {peak:.0f} MB")


def ratios(path):
    records = table.load_records(path)
    by_sample = {}
    for record in records:
        key = (record["task"], record["seed"], record["num_samples"])
        by_sample.setdefault(key, {})[record["estimator"]] = record["seconds"]
    bounds = ("mine-dv", "mine-nwj", "mine-infonce")
    print(f"time ratios on the same samples (median over seeds), from {len(records)} "
          "records of the suite")
    print(f"{'task':<50} {'KSG s':>7} " + " ".join(f"{table.LABELS[b] + '/KSG':>17}"
                                                  for b in bounds))
    all_ratios = {b: [] for b in bounds}
    for task in dict.fromkeys(key[0] for key in by_sample):
        rows = [times for (name, _, _), times in by_sample.items() if name == task]
        cells = []
        for bound in bounds:
            pairs = [t[bound] / t["ksg"] for t in rows if bound in t and t.get("ksg")]
            all_ratios[bound] += pairs
            cells.append(f"{np.median(pairs):>17.3g}" if pairs else f"{'—':>17}")
        ksg = [t["ksg"] for t in rows if "ksg" in t]
        print(f"{task:<50} {np.median(ksg) if ksg else math.nan:>7.2f} " + " ".join(cells))
    for bound, values in all_ratios.items():
        if values:
            print(f"{table.LABELS[bound]} / KSG over all (task, seed): median "
                  f"{np.median(values):.3g}, range {min(values):.2g}-{max(values):.3g} "
                  f"({len(values)} pairs)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="scaling,ratios")
    parser.add_argument("--dims", default="1,5,25")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args(argv)
    parts = args.parts.split(",")
    if "scaling" in parts:
        # d = 25: a k-d tree in 50 dimensions visits nearly every point, so N stops at 10^4
        sizes = {"default": (1000, 10_000, 100_000), 25: (1000, 3000, 10_000)}
        scaling(sizes, [int(d) for d in args.dims.split(",")], args.repeats)
    if "ratios" in parts:
        ratios(args.results)


if __name__ == "__main__":
    main()

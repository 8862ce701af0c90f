"""Section "speed" of `benchmarks/estimator_accuracy.py`: the time of a default
`MINE(bound="dv").fit_estimate(s, t)` beside the previous default's (issue 19.2).

The previous default is the one issue 19 measured, before any of its changes:
`MINE(bound="dv", **mine_fit.PREVIOUS_MINE_DEFAULTS).fit_estimate(s, t,
**mine_fit.PREVIOUS_DEFAULTS)` (affine whitening, one critic step per compiled call,
evaluations every 100 steps, patience 10, min_steps 2000, one Keras `fit` call per
500-step epoch on NumPy arrays). Both run on correlated
Gaussian pairs, N = --speed_samples, I = --speed_mi nats, d in --speed_dims; each pair
of fits runs back to back on the same pairs and seed, in alternating order (ABBA:
previous first, then default first, ...), so a slow spell of the shared machine falls
on both arms. Prints each fit (estimate, time, steps run, evaluations), the median
ratio of the paired wall times, the same of the process's CPU times (all threads:
on an idle machine a fit of batch 512 spreads over both cores better than one of 256,
under load the cores are shared and the wall time follows the CPU time), the ratio of
the summed time per step, and the worst error of each arm.

Usage (through the table's command line):
    python -m benchmarks.estimator_accuracy --sections speed --speed_dims 5,25 \
        --speed_pairs 2

Reference: issue 19 of this project; Belghazi et al. 2018 (MINE), section 3.2.
"""

import time

import keras
import numpy as np

from benchmarks.estimator_rows import chosen_critics, correlated_gaussians, print_row
from infodl.estimators import MINE


def add_arguments(parser):
    """The section's options: --speed_dims, --speed_samples, --speed_mi, --speed_pairs."""
    parser.add_argument("--speed_dims", default="5,25", help="d of the speed section")
    parser.add_argument("--speed_samples", type=int, default=10000,
                        help="pairs per case of the speed section")
    parser.add_argument("--speed_mi", type=float, default=2.0, help="I of the speed section")
    parser.add_argument("--speed_pairs", type=int, default=2,
                        help="(previous, default) pairs of fits per d in the speed section")


def arms():
    """{"previous": (MINE kwargs, fit kwargs), "default": ({}, {})}."""
    from infodl.estimators.mine_fit import PREVIOUS_DEFAULTS, PREVIOUS_MINE_DEFAULTS
    return {"previous": (PREVIOUS_MINE_DEFAULTS, PREVIOUS_DEFAULTS), "default": ({}, {})}


def speed_section(args):
    """Previous vs new default fit, alternated ABBA; prints rows and the time ratio."""
    settings = arms()
    dims = [int(d) for d in str(args.speed_dims).split(",")]
    ratios, cpu_ratios, seconds, steps, errors, order = [], [], {}, {}, [], 0
    for dim in dims:
        s, t = correlated_gaussians(args.speed_samples, dim, args.speed_mi,
                                    np.random.default_rng((args.seed, 19, dim)))
        case = f"d={dim}, I={args.speed_mi:g}"
        for repeat in range(args.speed_pairs):
            times, cpu_times = {}, {}
            for name in (("previous", "default") if order % 2 == 0
                         else ("default", "previous")):
                mine_settings, fit_settings = settings[name]
                keras.utils.set_random_seed(args.seed + repeat)  # the same split and init
                start, cpu_start = time.perf_counter(), time.process_time()
                mine = MINE(bound="dv", **args.mine_overrides, **mine_settings)
                value = mine.fit_estimate(s, t, verbose=0, **fit_settings)
                times[name] = time.perf_counter() - start
                cpu_times[name] = time.process_time() - cpu_start
                fit = mine.last_fit
                print_row("speed", case, f"DV {name}", value, args.speed_mi, times[name],
                          f"{chosen_critics(fit)} steps={fit.steps[0]} "
                          f"evals={len(fit.curves[0])}")
                seconds.setdefault(name, []).append(times[name])
                steps.setdefault(name, []).append(fit.steps[0])
                errors.append((name, dim, value - args.speed_mi))
            ratios.append(times["default"] / times["previous"])
            cpu_ratios.append(cpu_times["default"] / cpu_times["previous"])
            order += 1
    per_step = {name: sum(seconds[name]) / sum(steps[name]) for name in seconds}
    print(f"time per default fit / previous default's (N = {args.speed_samples}, paired "
          f"ABBA): median ratio {np.median(ratios):.3f} over {len(ratios)} pairs "
          f"({', '.join(f'{r:.3f}' for r in ratios)}); median {np.median(seconds['default']):.1f}"
          f" s vs {np.median(seconds['previous']):.1f} s; per step "
          f"{1e3 * per_step['default']:.1f} vs {1e3 * per_step['previous']:.1f} ms "
          f"(ratio {per_step['default'] / per_step['previous']:.3f})")
    print(f"CPU time (all threads) per default fit / previous default's: median ratio "
          f"{np.median(cpu_ratios):.3f} ({', '.join(f'{r:.3f}' for r in cpu_ratios)})")
    for name in seconds:
        worst = max(abs(e) for n, _, e in errors if n == name)
        print(f"  {name:<9} worst |err| {worst:.3f} nats ({100 * worst / args.speed_mi:.1f} %)")
    return float(np.median(ratios))

"""MINE at its defaults beyond Gaussians (issue 19): `MINE(bound="dv").fit_estimate(x, y)`
with nothing else set, on pairs with a closed-form I from `benchmarks/mi_tasks.py`
(other draws than the benchmark's), within max(10 %, 0.1 nats) of the truth."""

import keras
import numpy as np
import pytest

from benchmarks import mi_tasks
from infodl.estimators.mine import MINE

CASES = {
    "t 2x2 nu=1": (lambda rng: mi_tasks.student_t_pairs(10000, 2, 2, 1, rng),
                   mi_tasks.student_t_mi(1, 2, 2)),
    "normal_cdf 5x5 sparse": (
        lambda rng: mi_tasks.mapped_pairs(10000, 5, 5, [0.8, 0.8, 0, 0, 0], rng, "normal_cdf"),
        -np.log(1 - 0.64)),
    "cube 1x1": (lambda rng: mi_tasks.mapped_pairs(10000, 1, 1, mi_tasks.rhos_for(1.0, 1), rng,
                                                   "cube"), 1.0),
    "uniform additive eps=0.1": (lambda rng: mi_tasks.additive_uniform_pairs(10000, 0.1, rng),
                                 mi_tasks.additive_uniform_mi(0.1)),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_default_mine_within_band_beyond_gaussians(name):
    make_pairs, truth = CASES[name]
    x, y = make_pairs(np.random.default_rng(1000 + len(name)))
    keras.utils.set_random_seed(7)
    value = MINE(bound="dv").fit_estimate(x, y, verbose=0)
    print(f"MINE-DV defaults, {name}: {value:.4f} nats (truth {truth:.4f})")
    assert abs(value - truth) <= max(0.1 * truth, 0.1)

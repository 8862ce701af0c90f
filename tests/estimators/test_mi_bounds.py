"""`mi_bounds.log_mean_exp_off_diagonal`: the marginal term of the matrix form of a critic
pair (estimators/critic_pair.py) against a NumPy sum over the n(n - 1) pairs i != j."""

import math

import numpy as np
import pytest

from infodl.estimators.mi_bounds import log_mean_exp_off_diagonal


@pytest.mark.parametrize("n", [2, 3, 7])
def test_mean_over_the_off_diagonal_entries_only(n):
    matrix = np.random.default_rng(n).normal(size=(n, n)).astype("float32")
    matrix[np.diag_indices(n)] = 50.0  # the joint pairs never enter
    expected = math.log(sum(math.exp(float(matrix[i, j])) for i in range(n)
                            for j in range(n) if i != j) / (n * (n - 1)))
    assert float(log_mean_exp_off_diagonal(matrix)) == pytest.approx(expected, rel=1e-5,
                                                                     abs=1e-6)

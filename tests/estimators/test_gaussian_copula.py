"""The Gaussian-copula estimator against closed forms and NumPy re-computations."""

import math

import numpy as np
import pytest

from infodl.estimators import Estimate, GaussianCopulaEstimator
from infodl.estimators.gaussian_copula import logdet_bias


def _paired_gaussian(num, dim, nats, seed):
    """x ~ N(0, I_dim), y_i = rho x_i + sqrt(1 - rho^2) z_i: I = -dim/2 log(1 - rho^2)."""
    rho = math.sqrt(1.0 - math.exp(-2.0 * nats / dim))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((num, dim))
    return x, rho * x + math.sqrt(1.0 - rho**2) * rng.standard_normal((num, dim))


@pytest.mark.parametrize("dim, nats", [(1, 0.5), (1, 2.0), (5, 0.5), (5, 2.0)])
def test_gaussian_pairs_within_0_03_nats_of_the_closed_form(dim, nats):
    x, y = _paired_gaussian(10_000, dim, nats, seed=dim)
    value = GaussianCopulaEstimator().fit_estimate(x, y)
    assert isinstance(value, Estimate) and value.trusted
    assert abs(value - nats) < 0.03, float(value)


def test_increasing_maps_of_each_feature_leave_the_value_unchanged():
    x, y = _paired_gaussian(3000, 3, 1.0, seed=1)
    warped_x = np.column_stack([np.exp(x[:, 0]), x[:, 1] ** 3, np.arctan(x[:, 2])])
    warped_y = np.column_stack([np.tanh(y[:, 0] / 3), 2.0 * y[:, 1] + 5, y[:, 2] ** 5])
    estimator = GaussianCopulaEstimator()
    assert estimator.fit_estimate(warped_x, warped_y) == pytest.approx(
        estimator.fit_estimate(x, y), abs=1e-12)


def test_equals_the_numpy_formula_on_the_normal_scores():
    from scipy import stats
    x, y = _paired_gaussian(800, 2, 0.7, seed=2)
    joint = np.hstack([x, y])
    scores = stats.norm.ppf(stats.rankdata(joint, axis=0) / 801)
    c = np.cov(scores, rowvar=False)
    plain = 0.5 * (np.log(np.linalg.det(c[:2, :2])) + np.log(np.linalg.det(c[2:, 2:]))
                   - np.log(np.linalg.det(c)))
    assert GaussianCopulaEstimator(correct_bias=False).fit_estimate(x, y) == pytest.approx(
        plain, abs=1e-10)
    correction = 0.5 * (logdet_bias(2, 800) * 2 - logdet_bias(4, 800))
    assert GaussianCopulaEstimator().fit_estimate(x, y) == pytest.approx(
        plain - correction, abs=1e-10)


def test_logdet_bias_matches_monte_carlo():
    rng = np.random.default_rng(3)
    dim, num = 4, 20
    logdets = [np.linalg.slogdet(np.cov(rng.standard_normal((num, dim)), rowvar=False))[1]
               for _ in range(4000)]
    standard_error = np.std(logdets) / math.sqrt(len(logdets))
    assert abs(np.mean(logdets) - logdet_bias(dim, num)) < 4 * standard_error
    assert logdet_bias(dim, num) < -0.5  # a real bias at this size, not a rounding


def test_bias_correction_removes_the_high_dimensional_excess():
    # 40 + 40 features from 2 000 pairs: the plain value is ~0.4 nats too high.
    x, y = _paired_gaussian(2000, 40, 1.0, seed=4)
    plain = GaussianCopulaEstimator(correct_bias=False).fit_estimate(x, y)
    corrected = GaussianCopulaEstimator().fit_estimate(x, y)
    assert plain - 1.0 > 0.3, float(plain)
    assert abs(corrected - 1.0) < 0.06, float(corrected)


def test_independent_sides_give_about_zero_and_a_negative_value_is_not_trusted():
    rng = np.random.default_rng(5)
    values = [GaussianCopulaEstimator().fit_estimate(rng.standard_normal((5000, 10)),
                                                     rng.standard_normal((5000, 10)))
              for _ in range(4)]
    assert max(abs(v) for v in values) < 0.01, values
    assert any(v < 0 for v in values)  # the corrected value is centred on 0
    for value in values:
        assert value.trusted == (value >= 0)
        assert value.trusted or "negative" in value.reason


def test_not_a_bound_with_nonlinearly_related_features_on_one_side():
    # Each side as (v, log(1 + v^2)): I is that of (x, y), the copula value exceeds it.
    x, y = _paired_gaussian(5000, 1, 0.413, seed=10)
    with_radius = [np.hstack([v, np.log1p(v**2)]) for v in (x, y)]
    assert GaussianCopulaEstimator().fit_estimate(*with_radius) > 0.413 + 0.05


def test_is_below_the_truth_for_a_non_gaussian_one_dimensional_dependence():
    # Additive uniform noise: X ~ U(0, 1), Y = X + U(-0.75, 0.75): the density of Y is a
    # trapezoid, I = h(Y) - h(noise) = 1 / (4 * 0.75) = 1/3 nats (the suite's eps = 0.75).
    rng = np.random.default_rng(6)
    x = rng.uniform(size=(20_000, 1))
    noise = rng.uniform(-0.75, 0.75, size=(20_000, 1))
    value = GaussianCopulaEstimator().fit_estimate(x, x + noise)
    assert 0.1 < value < 1 / 3 - 0.1, float(value)  # 0.18 on the suite's samples


def test_mostly_tied_features_are_not_trusted():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1000, 2))
    value = GaussianCopulaEstimator().fit_estimate(x, np.maximum(x[:, :1], 0.0))  # ReLU
    assert not value.trusted and "tied" in value.reason
    assert GaussianCopulaEstimator().fit_estimate(x, x[:, :1] + rng.normal(size=(1000, 1))
                                                  ).trusted


def test_a_feature_repeated_on_both_sides_is_infinite_and_not_trusted():
    x = np.random.default_rng(8).standard_normal((500, 2))
    value = GaussianCopulaEstimator().fit_estimate(x, x[:, :1])
    assert value == math.inf and "singular" in value.reason


@pytest.mark.parametrize("call, message", [
    (lambda e: e.fit_estimate(np.zeros((4, 2)), np.zeros((4, 2))), "more samples than"),
    (lambda e: e.fit_estimate(np.zeros((10, 1)), np.zeros((9, 1))), "same number"),
])
def test_bad_input_fails_with_one_clear_line(call, message):
    with pytest.raises(ValueError, match=message):
        call(GaussianCopulaEstimator())


def test_checks_its_argument_and_returns_its_config():
    with pytest.raises(ValueError, match="correct_bias"):
        GaussianCopulaEstimator(correct_bias="yes")
    config = GaussianCopulaEstimator(correct_bias=False).get_config()
    assert GaussianCopulaEstimator(**config).get_config() == {"correct_bias": False}


def test_ranks_equal_scipy_rankdata_with_and_without_ties():
    from scipy import stats

    from infodl.estimators.gaussian_copula import _ranks
    values = np.random.default_rng(9).standard_normal((500, 3))
    for data, tied in ((values, 0.0), (np.round(values, 1), None)):
        ranks, fraction = _ranks(data)
        np.testing.assert_array_equal(ranks, stats.rankdata(data, axis=0))
        expected = 1.0 - np.array([len(np.unique(c)) for c in data.T]) / len(data)
        np.testing.assert_allclose(fraction, expected, atol=1e-12)
        assert tied is None or np.all(fraction == tied)

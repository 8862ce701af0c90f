"""The Beyond-Normal tasks: 40 of them, their truths against Monte Carlo, their maps."""

import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import ndtr

from benchmarks import beyond_normal_tasks as suite
from benchmarks import mi_tasks

TASKS = suite.TASKS


def test_forty_tasks_and_a_default_subset_covering_every_family():
    assert len(TASKS) == 40
    families = {task.family for task in TASKS.values()}
    assert families == {"normal", "normal_cdf", "additive", "bimodal", "wiggly", "half_cube",
                        "student", "asinh", "swiss_roll", "dense", "two_pair", "spiral"}
    assert set(suite.DEFAULT_TASKS) <= set(TASKS)
    assert {TASKS[name].family for name in suite.DEFAULT_TASKS} == families
    assert len(suite.DEFAULT_TASKS) == 12
    counts = {}
    for task in TASKS.values():
        counts[task.family] = counts.get(task.family, 0) + 1
    assert counts == {"normal": 1, "normal_cdf": 4, "additive": 2, "bimodal": 1, "wiggly": 1,
                      "half_cube": 4, "student": 7, "asinh": 4, "swiss_roll": 1, "dense": 5,
                      "two_pair": 4, "spiral": 6}


def test_published_truths():
    """Values of the benchmark's table (nats): 2-pair 1.022, dense 5x5 0.593, t 5x5
    nu=3 0.299, additive eps 0.75 1/3, bivariate normal rho=0.75 0.413."""
    expected = {"Multinormal 25x25 (2-pair)": 1.0217, "Multinormal 5x5 (dense)": 0.5928,
                "Student-t 5x5 nu=3": 0.2985, "Additive noise 1x1 eps=0.75": 1 / 3,
                "Normal 1x1": -0.5 * math.log(1 - 0.75**2), "Student-t 1x1 nu=1": 0.2242,
                "Spiral @ Normal CDF @ Multinormal 25x25 (2-pair)": -math.log(1 - 0.64)}
    for name, value in expected.items():
        assert TASKS[name].truth == pytest.approx(value, abs=1e-4), name


@pytest.mark.parametrize("name", ["Normal 1x1", "Multinormal 3x3 (dense)",
                                  "Multinormal 5x5 (2-pair)", "Multinormal 25x25 (dense)"])
def test_gaussian_truths_match_monte_carlo_of_the_log_density_ratio(name):
    task = TASKS[name]
    x, y = (np.asarray(v, "float64") for v in task.draw(100_000, np.random.default_rng(0)))
    joint = np.hstack([x, y])
    covariance = _population_covariance(task)
    dx = task.dim_x
    log_ratio = (stats.multivariate_normal(cov=covariance).logpdf(joint)
                 - stats.multivariate_normal(cov=covariance[:dx, :dx]).logpdf(x)
                 - stats.multivariate_normal(cov=covariance[dx:, dx:]).logpdf(y))
    error = log_ratio.std() / math.sqrt(len(log_ratio))
    assert abs(log_ratio.mean() - task.truth) < 4 * error, (log_ratio.mean(), task.truth)


def _population_covariance(task):
    if task.family == "dense":
        return suite.dense_correlation(task.dim_x, task.dim_y)
    if task.family == "two_pair":
        return suite.two_pair_correlation(task.dim_x, task.dim_y)
    return mi_tasks.paired_correlation(1, 1, [suite.BIVARIATE_CORRELATION])


def test_student_identity_truth_matches_monte_carlo():
    task = TASKS["Student-t 5x5 nu=3"]
    x, y = (np.asarray(v, "float64") for v in task.draw(100_000, np.random.default_rng(1)))
    log_ratio = (stats.multivariate_t(shape=np.eye(10), df=3).logpdf(np.hstack([x, y]))
                 - stats.multivariate_t(shape=np.eye(5), df=3).logpdf(x)
                 - stats.multivariate_t(shape=np.eye(5), df=3).logpdf(y))
    error = log_ratio.std() / math.sqrt(len(log_ratio))
    assert abs(log_ratio.mean() - task.truth) < 4 * error


def test_marginal_maps_are_strictly_increasing_and_the_quantile_inverts_the_cdf():
    grid = np.linspace(-12, 12, 200_001)
    for function in (suite.half_cube, suite.wiggly_x, suite.wiggly_y, np.arcsinh):
        assert np.all(np.diff(function(grid)) > 0)
    # float64 resolves the normal CDF up to about 5 (1 - 3e-7); P(|z| > 5) = 6e-7
    assert np.all(np.diff(ndtr(np.linspace(-8, 5, 10_001))) > 0)
    u = np.linspace(1e-6, 1 - 1e-6, 1001)
    for weights, means in (suite.BIMODAL_X, suite.BIMODAL_Y):
        quantile = suite.mixture_quantile(u, weights, means)
        assert np.all(np.diff(quantile) > 0)
        cdf = sum(w * ndtr(quantile - m) for w, m in zip(weights, means, strict=True))
        np.testing.assert_allclose(cdf, u, atol=1e-12)


def test_swiss_roll_is_injective():
    """Its radius |(t cos t, t sin t)| / 21 = t / 21 grows with x: distinct x, distinct points."""
    x = np.linspace(0, 1, 1001)[:, None]
    roll = suite.swiss_roll(x)
    np.testing.assert_allclose(np.linalg.norm(roll, axis=1), 1.5 * np.pi * (1 + 2 * x[:, 0]) / 21)


@pytest.mark.parametrize("transformed, base, undo", [
    ("Spiral @ Multinormal 5x5 (2-pair)", "Multinormal 5x5 (2-pair)",
     (lambda x: mi_tasks.unspiral(x, 1 / 5, (0, 1)),
      lambda y: mi_tasks.unspiral(y, 1 / 5, (1, 2)))),
    ("Half-cube @ Multinormal 3x3 (2-pair)", "Multinormal 3x3 (2-pair)",
     (lambda x: np.sign(x) * np.abs(x) ** (2 / 3),) * 2),
    ("Bimodal 1x1", "Uniform margins 1x1",
     (lambda x: sum(w * ndtr(x - m) for w, m in zip(*suite.BIMODAL_X, strict=True)),
      lambda y: sum(w * ndtr(y - m) for w, m in zip(*suite.BIMODAL_Y, strict=True)))),
])
def test_transformed_tasks_are_invertible_maps_of_their_base(transformed, base, undo):
    x, y = TASKS[transformed].draw(500, np.random.default_rng(7))
    x0, y0 = TASKS[base].draw(500, np.random.default_rng(7))
    np.testing.assert_allclose(undo[0](x), x0, atol=1e-8)
    np.testing.assert_allclose(undo[1](y), y0, atol=1e-8)


def test_samples_are_standardized_repeatable_and_seeded():
    task = TASKS["Asinh @ Student-t 3x3 nu=2"]
    x, y = task.sample(2000, seed=3)
    for values in (x, y):
        assert values.dtype == np.float32 and values.shape == (2000, 3)
        np.testing.assert_allclose(values.mean(axis=0), 0, atol=1e-5)
        np.testing.assert_allclose(values.std(axis=0), 1, atol=1e-4)
    np.testing.assert_array_equal(task.sample(2000, seed=3)[0], x)
    assert not np.array_equal(task.sample(2000, seed=4)[0], x)

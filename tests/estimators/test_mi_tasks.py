"""The closed-form truths of the benchmark's families beyond Gaussians
(`benchmarks/mi_tasks.py`): Student-t against Monte Carlo of E[log p(x,y) / p(x)p(y)],
its Gaussian limit, the invertibility of the marginal maps and the spiral, additive
noise against its own Monte Carlo."""

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from benchmarks import mi_tasks


def monte_carlo_student_t_mi(dof, dim_x, dim_y, correlation, num, seed):
    """mean and standard error of log p(x, y) - log p(x) - log p(y) over joint samples,
    with scipy.stats.multivariate_t densities (the marginals: t with the same dof)."""
    x, y = mi_tasks.student_t_pairs(num, dim_x, dim_y, dof, np.random.default_rng(seed),
                                    correlation)
    x, y = x.astype("float64"), y.astype("float64")
    joint = np.concatenate([x, y], axis=1)
    log_ratio = (stats.multivariate_t(np.zeros(dim_x + dim_y), correlation, df=dof).logpdf(joint)
                 - stats.multivariate_t(np.zeros(dim_x), correlation[:dim_x, :dim_x],
                                        df=dof).logpdf(x)
                 - stats.multivariate_t(np.zeros(dim_y), correlation[dim_x:, dim_x:],
                                        df=dof).logpdf(y))
    return log_ratio.mean(), log_ratio.std() / math.sqrt(num)


@pytest.mark.parametrize("dof, dim_x, dim_y, rhos", [
    (1, 1, 1, []), (1, 2, 2, []), (3, 2, 3, [0.6, -0.3]), (5, 3, 3, [0.6] * 3), (2, 1, 2, [0.8]),
])
def test_student_t_mi_matches_monte_carlo(dof, dim_x, dim_y, rhos):
    correlation = mi_tasks.paired_correlation(dim_x, dim_y, rhos)
    truth = mi_tasks.student_t_mi(dof, dim_x, dim_y, correlation)
    mean, error = monte_carlo_student_t_mi(dof, dim_x, dim_y, correlation, 200_000, seed=dof)
    assert abs(mean - truth) < 4 * error + 1e-3, (mean, error, truth)


def test_student_t_mi_published_values_and_gaussian_limit():
    # Czyz et al. 2023 (identity dispersion): 1x1 nu=1, 2x2 nu=1, 5x5 nu=3.
    assert mi_tasks.student_t_mi(1, 1, 1) == pytest.approx(0.2242, abs=1e-4)
    assert mi_tasks.student_t_mi(1, 2, 2) == pytest.approx(0.4319, abs=1e-4)
    assert mi_tasks.student_t_mi(3, 5, 5) == pytest.approx(0.2985, abs=1e-4)
    correlation = mi_tasks.paired_correlation(2, 2, [0.7, 0.2])
    gaussian = -0.5 * (math.log(1 - 0.49) + math.log(1 - 0.04))
    assert mi_tasks.gaussian_mi(correlation, 2) == pytest.approx(gaussian, rel=1e-12)
    corrections = [mi_tasks.student_t_correction(nu, 2, 2) for nu in (1, 2, 5, 30, 1e3)]
    assert all(a > b > 0 for a, b in itertools.pairwise(corrections))  # shrinks with nu
    assert mi_tasks.student_t_mi(1e6, 2, 2, correlation) == pytest.approx(gaussian, abs=1e-5)


def test_student_t_pairs_have_t_marginals():
    x, y = mi_tasks.student_t_pairs(20000, 1, 2, 3, np.random.default_rng(0))
    for column in (x[:, 0], y[:, 0], y[:, 1]):
        assert stats.kstest(column, stats.t(df=3).cdf).pvalue > 1e-3


@pytest.mark.parametrize("name", sorted(mi_tasks.MARGINAL_MAPS))
def test_marginal_maps_are_strictly_increasing(name):
    grid = np.linspace(-6.0, 6.0, 12001)  # Phi(x) is 1 in float64 from x = 8.3 on
    values = mi_tasks.MARGINAL_MAPS[name](grid)
    assert np.all(np.diff(values) > 0)


def test_wiggly_slope_is_at_least_the_margin_of_its_coefficients():
    grid = np.linspace(-30.0, 30.0, 600001)
    slope = np.diff(mi_tasks.wiggly(grid)) / np.diff(grid)
    margin = 1 - sum(a * w for a, w, _ in mi_tasks.WIGGLY_TERMS)
    assert margin == pytest.approx(0.197) and slope.min() >= margin - 1e-6


def test_spiral_is_invertible_and_keeps_the_radius():
    values = np.random.default_rng(1).standard_normal((5000, 3)) * 2
    warped = mi_tasks.spiral(values)
    np.testing.assert_allclose(np.linalg.norm(warped, axis=1), np.linalg.norm(values, axis=1),
                               rtol=1e-12)
    np.testing.assert_allclose(mi_tasks.unspiral(warped), values, atol=1e-10)
    assert np.abs(warped - values).max() > 1.0  # it does warp
    # volume-preserving: the Jacobian determinant is 1 (central differences at a point)
    point, step = np.array([[0.7, -1.1, 0.4]]), 1e-6
    jacobian = np.stack([(mi_tasks.spiral(point + step * e) - mi_tasks.spiral(point - step * e))[0]
                         / (2 * step) for e in np.eye(3)], axis=1)
    assert np.linalg.det(jacobian) == pytest.approx(1.0, abs=1e-6)


def test_mapped_and_spiral_pairs_are_maps_of_the_gaussian_pairs():
    rhos = mi_tasks.rhos_for(1.0, 2)
    base = mi_tasks.gaussian_pairs(100, 2, 2, rhos, np.random.default_rng(5))
    cube = mi_tasks.mapped_pairs(100, 2, 2, rhos, np.random.default_rng(5), "cube")
    spiral = mi_tasks.spiral_pairs(100, 2, 2, rhos, np.random.default_rng(5))
    np.testing.assert_allclose(cube[0], base[0] ** 3, rtol=1e-5)
    np.testing.assert_allclose(mi_tasks.unspiral(spiral[0]), base[0], atol=1e-5)
    np.testing.assert_allclose(spiral[1], base[1], rtol=1e-6)
    assert mi_tasks.gaussian_mi(mi_tasks.paired_correlation(2, 2, rhos), 2) == pytest.approx(1.0)


def test_additive_noise_truths():
    snr = 19.0
    rho = math.sqrt(snr / (1 + snr))  # corr(x, x + n)
    assert mi_tasks.additive_gaussian_mi(3, snr) == pytest.approx(-1.5 * math.log(1 - rho ** 2))
    x, y = mi_tasks.additive_gaussian_pairs(50000, 1, snr, np.random.default_rng(2))
    assert np.corrcoef(x[:, 0], y[:, 0])[0, 1] == pytest.approx(rho, abs=2e-3)
    # uniform: log p(y | x) - log p(y) = -log(2 eps) - log(trapezoid density of y)
    for eps in (0.1, 0.75):  # a plateau of density 1 (eps <= 1/2) or 1 / (2 eps) (above)
        x, y = mi_tasks.additive_uniform_pairs(400_000, eps, np.random.default_rng(3))
        y = y[:, 0].astype("float64")
        density = np.clip(np.minimum((y + eps) / (2 * eps), (1 + eps - y) / (2 * eps)), 0,
                          min(1.0, 1 / (2 * eps)))
        log_ratio = -math.log(2 * eps) - np.log(density)
        error = log_ratio.std() / math.sqrt(len(y))
        assert abs(log_ratio.mean() - mi_tasks.additive_uniform_mi(eps)) < 4 * error + 2e-3
    assert mi_tasks.additive_uniform_mi(0.1) == pytest.approx(1.7094, abs=1e-4)
    assert mi_tasks.additive_uniform_mi(0.75) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="Expected eps > 0"):
        mi_tasks.additive_uniform_mi(0.0)


def test_benchmark_tasks_draw_their_pairs_from_the_generator():
    tasks = mi_tasks.benchmark_tasks()
    assert set(tasks) == {"studentt", "marginal", "spiral", "additive"}
    for cases in tasks.values():
        for name, make, truth in cases:
            first = make(50, np.random.default_rng(0))
            again = make(50, np.random.default_rng(0))
            assert truth > 0.2 and first[0].dtype == np.float32, name
            np.testing.assert_array_equal(first[0], again[0])


def test_true_critic_dv_is_the_dv_bound_at_the_log_density_ratio():
    """`true_critic_dv` (the gaussian section's "DV, true critic" row): its critic is
    scipy's log p(s, t) - log p(s) - log p(t), the bound is the DV formula with every
    off-diagonal pair as a marginal pair (chunked), and on 4000 pairs it is within 3
    standard errors of I."""
    from scipy.special import logsumexp

    from benchmarks.estimator_rows import correlated_gaussians, true_critic_dv
    dim, mi = 3, 1.0
    s, t = correlated_gaussians(600, dim, mi, np.random.default_rng(4))
    rho = math.sqrt(1 - math.exp(-2 * mi / dim))
    cov = np.block([[np.eye(dim), rho * np.eye(dim)], [rho * np.eye(dim), np.eye(dim)]])
    standard = stats.multivariate_normal(np.zeros(dim), np.eye(dim))

    def scores(first, second):
        first, second = first.astype("float64"), second.astype("float64")
        return (stats.multivariate_normal(np.zeros(2 * dim), cov).logpdf(
            np.concatenate([first, second], 1)) - standard.logpdf(first)
            - standard.logpdf(second))

    i, j = np.nonzero(~np.eye(len(s), dtype=bool))  # every marginal pair
    expected = scores(s, t).mean() - (logsumexp(scores(s[i], t[j])) - math.log(len(i)))
    assert true_critic_dv(s, t, mi, chunk=300) == pytest.approx(expected, abs=1e-9)
    large = correlated_gaussians(4000, dim, mi, np.random.default_rng(5))
    assert true_critic_dv(*large, mi) == pytest.approx(mi, abs=0.06)  # 3 std

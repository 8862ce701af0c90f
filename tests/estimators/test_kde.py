"""Tests of KDEEstimator: bounds bracket numerically integrated mixture entropies."""

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.spatial.distance import cdist
from scipy.special import logsumexp
from scipy.stats import norm

from infodl.estimators.kde import KDEEstimator


def gaussian_entropy_nats(dimension, variance):
    return 0.5 * dimension * np.log(2 * np.pi * np.e * variance)


def mixture_entropy_1d(means, variance):
    """-integral p log p of the equal-weight mixture of N(mean_i, variance), by quad."""
    scale = np.sqrt(variance)

    def integrand(t):
        density = np.mean(norm.pdf(t, loc=means, scale=scale))
        return -density * np.log(density) if density > 0 else 0.0

    low, high = np.min(means) - 12 * scale, np.max(means) + 12 * scale
    value, _ = integrate.quad(integrand, low, high, points=sorted(means), limit=500)
    return value


def mixture_entropy_2d(means, variance):
    """Same in 2-D, Simpson's rule on a grid of step sigma/20 (error far below 1e-6)."""
    scale = np.sqrt(variance)
    axes = [np.arange(means[:, k].min() - 10 * scale, means[:, k].max() + 10 * scale,
                      scale / 20) for k in range(2)]
    grid_x, grid_y = np.meshgrid(*axes, indexing="ij")
    density = np.zeros_like(grid_x)
    for mean_x, mean_y in means:
        density += np.exp(-((grid_x - mean_x) ** 2 + (grid_y - mean_y) ** 2) / (2 * variance))
    density /= len(means) * 2 * np.pi * variance
    integrand = -density * np.log(np.maximum(density, 1e-300))
    return integrate.simpson(integrate.simpson(integrand, x=axes[1], axis=1), x=axes[0])


def dense_entropy_nats(points, variance, divisor):
    """Unchunked NumPy re-computation of the pairwise-distance entropy estimate."""
    log_sums = logsumexp(-cdist(points, points, "sqeuclidean") / (divisor * variance), axis=1)
    mean_log_density = np.mean(log_sums - np.log(len(points)))
    return gaussian_entropy_nats(points.shape[1], variance) - mean_log_density


@pytest.mark.parametrize(
    "means", [[-10.0, 0.0, 10.0], [-0.5, 0.0, 0.3, 1.0, 1.1], [-2.0, -1.0, 0.5, 3.0]],
    ids=["separated", "overlapping", "mixed"])
@pytest.mark.parametrize("variance", [1.0, 0.1])
def test_bounds_bracket_true_mixture_entropy_1d(means, variance):
    activations = np.array(means).reshape(-1, 1)
    true_entropy = mixture_entropy_1d(np.array(means), variance)
    lower = KDEEstimator(variance, bound="lower", units="nats").entropy(activations)
    upper = KDEEstimator(variance, bound="upper", units="nats").entropy(activations)
    assert lower <= true_entropy + 1e-7
    assert true_entropy <= upper + 1e-7
    assert upper - lower < np.log(len(means)) + 1e-12  # the gap is at most log N


def test_bounds_are_tight_for_well_separated_components():
    means = np.array([-30.0, 0.0, 30.0])
    true_entropy = mixture_entropy_1d(means, 1.0)
    assert true_entropy == pytest.approx(gaussian_entropy_nats(1, 1.0) + np.log(3), abs=1e-6)
    for bound in ("lower", "upper"):
        estimate = KDEEstimator(1.0, bound=bound, units="nats").entropy(means[:, None])
        assert estimate == pytest.approx(true_entropy, abs=1e-6)


@pytest.mark.parametrize("means", [[[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]],
                                   [[0.0, 0.0], [0.7, 0.2], [-0.3, 0.8], [0.4, -0.6]]],
                         ids=["separated", "overlapping"])
def test_bounds_bracket_true_mixture_entropy_2d(means):
    means = np.array(means)
    true_entropy = mixture_entropy_2d(means, 0.5)
    lower = KDEEstimator(0.5, bound="lower", units="nats").entropy(means)
    upper = KDEEstimator(0.5, bound="upper", units="nats").entropy(means)
    assert lower <= true_entropy + 1e-6 and true_entropy <= upper + 1e-6


@pytest.mark.parametrize("bound", ["upper", "lower"])
@pytest.mark.parametrize("units,factor", [("nats", 1.0), ("bits", 1 / np.log(2))])
def test_single_component_gives_gaussian_entropy(bound, units, factor):
    activations = np.tile([[0.3, -1.2, 4.0]], (25, 1))
    estimator = KDEEstimator(noise_variance=0.2, bound=bound, units=units)
    assert estimator.entropy(activations) == pytest.approx(
        gaussian_entropy_nats(3, 0.2) * factor, abs=1e-10)
    assert estimator.information(activations, np.arange(25) % 3) == pytest.approx((0, 0), abs=1e-10)


@pytest.mark.parametrize("bound,divisor", [("upper", 2.0), ("lower", 8.0)])
def test_chunked_equals_unchunked_and_dense_numpy(bound, divisor):
    rng = np.random.default_rng(0)
    for num_points, chunk_sizes in [(13, (1, 2, 5)), (301, (7, 64, 300, 301))]:
        activations = rng.normal(size=(num_points, 5)) + 20.0
        unchunked = KDEEstimator(0.3, bound=bound, chunk_size=4096, units="nats")
        expected = unchunked.entropy(activations)
        for size in chunk_sizes:
            estimator = KDEEstimator(0.3, bound=bound, chunk_size=size, units="nats")
            assert estimator.entropy(activations) == pytest.approx(expected, abs=1e-10)
        assert expected == pytest.approx(dense_entropy_nats(activations, 0.3, divisor), abs=1e-10)


def test_information_is_entropy_minus_conditional_entropies():
    rng = np.random.default_rng(1)
    activations = rng.normal(size=(400, 2, 3))  # flattened to d = 6
    labels = rng.integers(0, 3, 400)
    for units in ("bits", "nats"):
        estimator = KDEEstimator(0.5, units=units, chunk_size=128)
        to_units = 1 / np.log(2) if units == "bits" else 1.0
        h_t = estimator.entropy(activations)
        i_xt, i_ty = estimator.information(activations, labels)
        assert i_xt == pytest.approx(h_t - gaussian_entropy_nats(6, 0.5) * to_units, abs=1e-10)
        conditional = sum(np.mean(labels == y) * estimator.entropy(activations[labels == y])
                          for y in range(3))
        assert i_ty == pytest.approx(h_t - conditional, abs=1e-10)
    bits = KDEEstimator(0.5, units="bits").information(activations, labels)
    nats = KDEEstimator(0.5, units="nats").information(activations, labels)
    np.testing.assert_allclose(np.array(nats), np.array(bits) * np.log(2), rtol=1e-12)


def test_far_apart_points_reach_log_n_and_label_entropy():
    activations = 100.0 * np.arange(16.0).reshape(16, 1)  # pairwise distances >> sigma
    labels = np.array([0] * 4 + [1] * 12)
    h_y = -(0.25 * np.log2(0.25) + 0.75 * np.log2(0.75))
    for bound in ("upper", "lower"):
        plane = KDEEstimator(bound=bound).information_per_layer([activations, activations], labels)
        np.testing.assert_allclose(plane, [[4.0, h_y]] * 2, atol=1e-10)


def test_information_plane_is_bounded_and_ordered():
    rng = np.random.default_rng(2)
    activations = np.tanh(rng.normal(size=(600, 4)))
    labels = (activations[:, 0] > 0).astype(int)
    upper = KDEEstimator(0.1, bound="upper").information(activations, labels)
    lower = KDEEstimator(0.1, bound="lower").information(activations, labels)
    assert 0 < lower[0] < upper[0] <= np.log2(600)
    assert 0 < upper[1] <= 1.0 and 0 < lower[1] <= 1.0


def test_single_example_gives_zero_bits():
    assert KDEEstimator().information(np.array([[0.5, 1.0]]), [1]) == (0.0, 0.0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_activations_raise(bad):
    activations = np.ones((5, 2))
    activations[0, 0] = bad
    with pytest.raises(ValueError, match="finite"):
        KDEEstimator().information(activations, np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match="finite"):
        KDEEstimator().entropy(activations)


def test_mismatched_labels_raise():
    with pytest.raises(ValueError, match="Expected labels of length 5"):
        KDEEstimator().information(np.ones((5, 2)), np.zeros(4, dtype=int))


@pytest.mark.parametrize("kwargs,message", [
    ({"noise_variance": 0.0}, "Expected noise_variance > 0. Received: noise_variance=0.0"),
    ({"noise_variance": -1}, "Expected noise_variance > 0. Received: noise_variance=-1"),
    ({"noise_variance": float("nan")}, "noise_variance"),
    ({"bound": "middle"}, r"Expected bound in \(.upper., .lower.\)"),
    ({"chunk_size": 0}, "Expected chunk_size >= 1"),
    ({"units": "dits"}, r"Expected units in \(.bits., .nats.\)"),
])
def test_bad_constructor_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        KDEEstimator(**kwargs)


def test_get_config_round_trips():
    estimator = KDEEstimator(noise_variance=0.05, bound="lower", chunk_size=100, units="nats")
    assert KDEEstimator(**estimator.get_config()).get_config() == estimator.get_config()


def test_default_chunking_matches_dense_numpy_on_several_tiles():
    rng = np.random.default_rng(5)
    activations = np.tanh(rng.normal(size=(2100, 8)))  # tiles of 2048 and 52 rows
    for bound, divisor in (("upper", 2.0), ("lower", 8.0)):
        estimate = KDEEstimator(0.1, bound=bound, units="nats").entropy(activations)
        assert estimate == pytest.approx(dense_entropy_nats(activations, 0.1, divisor), abs=1e-10)


def test_single_example_and_constant_layer_give_positive_zero():
    for activations in (np.array([[0.5, 1.0]]), np.full((30, 2), 0.4)):
        values = KDEEstimator(units="nats").information(activations,
                                                        np.arange(len(activations)) % 2)
        assert values == (0.0, 0.0)
        assert all(math.copysign(1.0, value) == 1.0 for value in values)


def test_numpy_scalar_arguments_are_accepted():
    assert KDEEstimator(noise_variance=np.float32(1.0)).noise_variance == 1.0
    assert KDEEstimator(noise_variance=np.int64(2), chunk_size=np.int64(8)).chunk_size == 8

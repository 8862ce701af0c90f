"""The null of compression: estimator noise on a flat trajectory, against known answers."""

import numpy as np
import pytest

from infodl.analysis.compression import layer_end_points, layer_estimators
from infodl.analysis.compression_null import (
    bootstrap_information,
    compression_against_null,
    input_information_bits,
    null_compression_draws,
)
from infodl.analysis.information_plane_trajectory import InformationPlaneTrajectory
from infodl.estimators.binning import BinningEstimator
from infodl.estimators.kde import KDEEstimator

EPOCHS = 21  # 20 log-spaced epochs + epoch 0, as in docs/compression.md


def _compression(i_xt):
    """compression of a single-layer I(X;T) trajectory via `layer_end_points`."""
    values = np.stack([np.asarray(i_xt, dtype=np.float64)[:, None],
                       np.zeros((len(i_xt), 1))], axis=-1)
    trajectory = InformationPlaneTrajectory(list(range(len(i_xt))), values, ["hidden"])
    return layer_end_points(trajectory)["hidden"]["compression_bits"]


def test_input_information_equals_the_estimators_own_i_xt():
    rng = np.random.default_rng(0)
    history = np.tanh(rng.normal(size=(3, 50, 3)) * 2.0)
    labels = rng.integers(0, 2, size=50)
    for name in ("binning", "binning_adaptive", "binning_training_range", "kde"):
        estimator = layer_estimators(name, [history])[0]
        assert input_information_bits(estimator, history[1]) == pytest.approx(
            estimator.information(history[1], labels)[0], abs=1e-12)
    constant = layer_estimators("binning_training_range", [np.ones((2, 5, 1))])[0]
    assert input_information_bits(constant, np.ones((5, 1))) == 0.0


def test_bootstrap_equals_a_numpy_recomputation_with_the_same_seed():
    rng = np.random.default_rng(1)
    layers = [np.tanh(rng.normal(size=(40, 2)) * 3.0), np.tanh(rng.normal(size=(40, 1)))]
    estimators = [BinningEstimator(30, (-1.0, 1.0)), KDEEstimator(noise_variance=0.1)]
    values = bootstrap_information(estimators, layers, 4, seed=7)
    draws = np.random.default_rng(7)
    for row in range(4):
        indices = draws.integers(0, 40, size=40)  # the same inputs for both layers
        bins = np.digitize(layers[0][indices], np.linspace(-1.0, 1.0, 30))
        _, counts = np.unique(bins, axis=0, return_counts=True)
        p = counts / 40
        assert values[row, 0] == pytest.approx(-np.sum(p * np.log2(p)), abs=1e-12)
        # KDE upper bound: log N - mean_i log sum_j exp(-||t_i - t_j||^2 / (2 sigma^2))
        points = layers[1][indices]
        kernel = np.exp(-np.square(points - points.T) / 0.2)
        expected = (np.log(40) - np.mean(np.log(kernel.sum(axis=1)))) / np.log(2)
        assert values[row, 1] == pytest.approx(expected, rel=1e-9)
    assert not np.allclose(values[0], values[1])  # the resamples differ


def test_null_quantiles_equal_a_numpy_recomputation_with_the_same_seed():
    rng = np.random.default_rng(2)
    bootstrap = [rng.normal(3.0, 0.1, size=50), rng.normal(5.0, 0.3, size=80)]
    result = compression_against_null([0.2, 0.9], bootstrap, num_epochs=6, num_draws=500,
                                      seed=11)
    draws = np.random.default_rng(11)
    per_seed = []
    for values in bootstrap:
        noise = (values - values.mean())[draws.integers(0, values.size, size=(500, 6))]
        per_seed.append(noise.max(axis=1) - noise[:, -1])
    per_seed = np.array(per_seed)
    assert result["null_quantile"] == pytest.approx(
        np.quantile(per_seed.mean(axis=0), 0.95), rel=1e-12)
    np.testing.assert_allclose(result["null_quantile_per_seed"],
                               np.quantile(per_seed, 0.95, axis=1), rtol=1e-12)
    assert result["bootstrap_std_per_seed"] == pytest.approx(
        [np.std(v, ddof=1) for v in bootstrap])
    # the second seed's noise is 3x larger, so is its null
    assert 2.0 < result["null_quantile_per_seed"][1] / result["null_quantile_per_seed"][0] < 4.5
    assert result["above_null"] == (0.55 > result["null_quantile"])
    assert result["num_resamples_per_seed"] == [50, 80] and result["num_draws"] == 500


def test_null_draws_are_max_minus_last_and_never_negative():
    values = np.array([0.0, 1.0])  # centred noise -0.5 or +0.5
    draws = null_compression_draws(values, num_epochs=3, num_draws=2000,
                                   rng=np.random.default_rng(0))
    assert set(np.unique(draws)) == {0.0, 1.0}
    # 1 exactly when the last draw is -0.5 and some earlier one +0.5: 1/2 * 3/4
    assert np.mean(draws) == pytest.approx(3 / 8, abs=0.03)
    assert np.all(null_compression_draws(values, 1, 10, np.random.default_rng(0)) == 0.0)


def _flat_runs(rng, seeds, sigma, level=4.0):
    """S seeds of a flat I(X;T) with N(0, sigma) estimator noise, and bootstrap samples of
    the same noise at the final epoch."""
    observed = [_compression(level + rng.normal(0.0, sigma, EPOCHS)) for _ in range(seeds)]
    bootstrap = [level + rng.normal(0.0, sigma, 100) for _ in range(seeds)]
    return observed, bootstrap


def test_flat_trajectory_plus_noise_is_not_marked():
    rng = np.random.default_rng(3)
    observed, bootstrap = _flat_runs(rng, 5, sigma=0.05)
    assert np.mean(observed) > 0.05  # noise alone makes the compression positive
    result = compression_against_null(observed, bootstrap, EPOCHS, num_draws=4000, seed=0)
    assert not result["above_null"]
    # over 200 replications the flat trajectory is marked about 5 % of the time
    marks, seed_marks = [], []
    for replicate in range(200):
        observed, bootstrap = _flat_runs(rng, 5, sigma=0.05)
        result = compression_against_null(observed, bootstrap, EPOCHS, num_draws=1000,
                                          seed=replicate)
        marks.append(result["above_null"])
        seed_marks.append(result["seeds_above_null"] / 5)
    assert np.mean(marks) < 0.11 and np.mean(seed_marks) < 0.09
    # a trajectory that only rises (to the flat level) is marked even less often
    rising = [_compression(np.minimum(np.linspace(1.0, 6.0, EPOCHS), 4.0)
                           + rng.normal(0.0, 0.05, EPOCHS)) for _ in range(5)]
    assert not compression_against_null(rising, _flat_runs(rng, 5, 0.05)[1], EPOCHS,
                                        num_draws=4000, seed=0)["above_null"]


def test_a_large_fall_is_marked_and_a_zero_compression_never():
    rng = np.random.default_rng(4)
    shape = np.concatenate([np.linspace(2.0, 5.0, 8), np.linspace(5.0, 4.0, EPOCHS - 8)])
    observed = [_compression(shape + rng.normal(0.0, 0.05, EPOCHS)) for _ in range(5)]
    bootstrap = [4.0 + rng.normal(0.0, 0.05, 100) for _ in range(5)]
    result = compression_against_null(observed, bootstrap, EPOCHS, num_draws=4000, seed=0)
    assert np.mean(observed) == pytest.approx(1.0, abs=0.15)
    assert result["above_null"] and result["seeds_above_null"] == 5
    assert 0.05 < result["null_quantile"] < 0.2  # a few sigma, far below the 1-bit fall
    # one seed falls, four do not: the mean can stand above the null, the count says 1/5
    mixed = compression_against_null([1.0, 0.0, 0.0, 0.0, 0.0], bootstrap, EPOCHS,
                                     num_draws=4000, seed=0)
    assert mixed["seeds_above_null"] == 1 and mixed["above_null_per_seed"][0]
    # no noise (a layer with one bin on every resample) and no fall: not marked
    zero = compression_against_null([0.0, 0.0], [np.zeros(10), np.zeros(10)], EPOCHS)
    assert zero["null_quantile"] == 0.0 and not zero["above_null"]
    assert zero["seeds_above_null"] == 0


def test_bad_input_is_one_clear_error():
    with pytest.raises(ValueError, match="one bootstrap sample per seed"):
        compression_against_null([1.0, 2.0], [np.zeros(5)], EPOCHS)
    with pytest.raises(ValueError, match="0 < quantile < 1"):
        compression_against_null([1.0], [np.zeros(5)], EPOCHS, quantile=95)
    with pytest.raises(ValueError, match="at least two bootstrap values"):
        null_compression_draws(np.zeros(1), EPOCHS, 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match="num_resamples >= 2"):
        bootstrap_information([BinningEstimator()], [np.zeros((4, 1))], 1, seed=0)
    with pytest.raises(ValueError, match="one estimator per layer"):
        bootstrap_information([], [np.zeros((4, 1))], 3, seed=0)


def test_bar_figure_marks_the_null_quantile():
    from infodl.analysis.compression_figures import plot_compression_bars

    record = {"compression_bits_mean": 1.0, "compression_bits_std": 0.2,
              "null": {"null_quantile": 0.3}}
    plain = {"compression_bits_mean": 0.5, "compression_bits_std": None}
    stats = {"kde": {"tanh": {"hidden_1": record, "output": plain}}}
    figure = plot_compression_bars(stats, {"kde": "kde"}, {"tanh": "tanh"},
                                   ["hidden_1", "output"])
    ticks = figure.axes[0].collections[-1].get_offsets()
    assert ticks[0, 1] == pytest.approx(0.3) and np.ma.is_masked(ticks[1, 1])  # no null
    assert [p.get_height() for p in figure.axes[0].patches] == pytest.approx([1.0, 0.5])


def test_weighted_resamples_equal_the_estimators_on_the_resampled_rows():
    rng = np.random.default_rng(5)
    history = np.tanh(rng.normal(size=(2, 60, 3)) * 2.0)
    names = ("binning", "binning_adaptive", "binning_training_range", "kde")
    estimators = [layer_estimators(name, [history])[0] for name in names]
    estimators.append(KDEEstimator(noise_variance=0.05, bound="lower"))
    layers = [history[-1]] * len(estimators)
    values = bootstrap_information(estimators, layers, 5, seed=3)
    draws = np.random.default_rng(3)
    for row in range(5):
        indices = draws.integers(0, 60, size=60)
        for k, estimator in enumerate(estimators):
            assert values[row, k] == pytest.approx(
                estimator.information(history[-1][indices], np.zeros(60, int))[0],
                rel=1e-9, abs=1e-12), (row, k)

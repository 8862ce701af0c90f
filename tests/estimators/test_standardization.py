"""Standardization of MINE's inputs: the Gaussianizing map against NumPy, its
invertibility, MINE on warped Gaussian pairs (same I, non-Gaussian marginals), and the
default "auto" map's choice per feature (issue 19)."""

import keras
import numpy as np
import pytest
from keras import ops
from scipy import stats

from infodl.estimators import standardization
from infodl.estimators.input_standardizer import InputStandardizer
from infodl.estimators.mine import MINE
from infodl.estimators.standardization import (
    gaussianize_features,
    gaussianized,
    normal_knots,
    quantile_knots,
    standardizing_transform,
)
from tests.estimators.gaussian_pairs import correlated_gaussians


def numpy_gaussianized(values, knots, span=16):
    """np.interp inside the knots; outside, level_end +- log(1 + slope |x - knot_end|)
    with the slope over the 16 knots at that end (their distance at least 1e-3 of the
    knot range)."""
    levels = normal_knots(len(knots))
    out = np.empty_like(values, dtype="float64")
    for j in range(values.shape[1]):
        x, k = values[:, j], knots[:, j]
        floor = 1e-3 * (k[-1] - k[0])
        out[:, j] = np.interp(x, k, levels)
        low, high = x < k[0], x > k[-1]
        low_slope = (levels[span] - levels[0]) / max(k[span] - k[0], floor)
        high_slope = (levels[-1] - levels[-1 - span]) / max(k[-1] - k[-1 - span], floor)
        out[low, j] = levels[0] - np.log1p((k[0] - x[low]) * low_slope)
        out[high, j] = levels[-1] + np.log1p((x[high] - k[-1]) * high_slope)
    return out


def skewed_features(num, seed):
    rng = np.random.default_rng(seed)
    return np.stack([rng.normal(size=num) ** 3, np.exp(rng.normal(size=num)),
                     rng.exponential(size=num) * 1e3 + 5e3,
                     rng.integers(0, 3, size=num).astype(float)], axis=1).astype("float32")


def test_map_equals_numpy_interpolation_and_sends_knots_to_normal_quantiles():
    values = skewed_features(4000, seed=0)
    knots = quantile_knots(values).astype("float32")
    assert knots.shape == (256, 4) and np.all(np.diff(knots, axis=0) > 0)  # ties spread
    np.testing.assert_allclose(knots[:, :3], np.quantile(values[:, :3], (np.arange(256) + 0.5)
                                                         / 256, axis=0), rtol=1e-5)
    probe = np.concatenate([values, values * 1.5 - 2.0, knots], axis=0)  # also outside
    got = ops.convert_to_numpy(gaussianized(ops.convert_to_tensor(probe), knots))
    np.testing.assert_allclose(got, numpy_gaussianized(probe.astype("float64"),
                                                       knots.astype("float64")),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[-256:], np.tile(normal_knots()[:, None], (1, 4)),
                               atol=2e-5)


@pytest.mark.parametrize("count", [5, 17, 256])  # fewer knots than a block, a short last block
def test_segment_search_is_numpys_searchsorted(count):
    """The two-level count of knots at or below each value gives the index of
    `np.searchsorted(..., side="right") - 1` (0 below the first knot and for NaN), also
    for values equal to a knot and far beyond the ends."""
    rng = np.random.default_rng(count)
    values = rng.standard_t(2, (3000, 3)).astype("float32")
    knots = quantile_knots(values, count)
    probe = np.concatenate([values[:500], 40 * values[500:600], knots,
                            np.nextafter(knots, np.float32(np.inf)),
                            np.full((2, 3), np.nan, "float32"),
                            np.float32([[1e30] * 3, [-1e30] * 3])])
    index = ops.convert_to_numpy(standardization._last_knot_at_or_below(
        ops.convert_to_tensor(probe), standardization._knot_lookup(
            ops.convert_to_tensor(knots)), count))
    expected = np.stack([np.searchsorted(knots[:, j], probe[:, j], side="right") - 1
                         for j in range(3)], axis=1)
    expected = np.where(np.isnan(probe), 0, np.maximum(expected, 0))
    np.testing.assert_array_equal(index, expected)


def test_map_is_strictly_increasing_and_gives_normal_marginals():
    values = skewed_features(20000, seed=1)
    knots = quantile_knots(values[:10000]).astype("float32")
    mapped = ops.convert_to_numpy(gaussianized(ops.convert_to_tensor(values), knots))
    for j in range(3):
        order = np.argsort(values[:, j], kind="stable")
        increments = np.diff(mapped[order, j])
        # non-decreasing; strictly increasing up to float32 resolution of the output
        assert np.all(increments >= 0)
        assert np.all(increments[np.diff(values[order, j]) > 1e-4] > 0)
        held_out = mapped[10000:, j]  # statistics of the map on unseen samples
        assert abs(held_out.mean()) < 0.03 and abs(held_out.std() - 1.0) < 0.05
        assert abs(stats.skew(held_out)) < 0.1 and abs(stats.kurtosis(held_out)) < 0.3
        rank_normal = stats.norm.ppf(stats.rankdata(values[:, j]) / (len(values) + 1))
        assert np.corrcoef(rank_normal, mapped[:, j])[0, 1] > 0.999


def test_untrained_map_is_the_identity():
    mine = MINE(hidden_units=(4,), standardize="gaussianize", log_radius=False)
    s, t = correlated_gaussians(8, 2, 0.5, seed=0)
    mine((s, t))
    x = np.linspace(-2.8, 2.8, 15, dtype="float32")[:, None].repeat(2, axis=1)  # inside
    knots = mine.first_standardizer.knots
    np.testing.assert_allclose(ops.convert_to_numpy(gaussianized(x, knots)), x,
                               atol=1e-5)


@pytest.mark.parametrize("bound", ["dv", "nwj"])
def test_gaussianized_mine_recovers_the_information_of_warped_pairs(bound):
    """(s^3, e^t) of correlated Gaussians (d = 2, I = 1 nat): strictly increasing maps of
    each coordinate, so I is unchanged. Gaussianized inputs: within 0.1 nats of the
    truth at a small budget (seeds 0-2 gave errors within 0.04 nats)."""
    s, t = correlated_gaussians(10000, 2, 1.0, seed=3)
    warped_s, warped_t = s ** 3, np.exp(t).astype("float32")
    keras.utils.set_random_seed(0)
    mine = MINE(hidden_units=(32, 32), bound=bound, seed=0, standardize="gaussianize")
    value = mine.fit_estimate(warped_s, warped_t, steps=600, learning_rate=3e-3,
                              validation_fraction=0.4, patience=5, verbose=0)
    assert abs(value - 1.0) < 0.1


def test_gaussianizing_survives_save_and_load(tmp_path):
    s, t = correlated_gaussians(2000, 2, 0.5, seed=4)
    mine = MINE(hidden_units=(8,), seed=0, standardize="gaussianize")
    mine.fit_estimate(s ** 3, t, steps=40, batch_size=128, eval_every=20, verbose=0)
    path = str(tmp_path / "mine.keras")
    mine.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.standardize == "gaussianize"
    np.testing.assert_array_equal(np.asarray(loaded.first_standardizer.knots),
                                  np.asarray(mine.first_standardizer.knots))
    assert loaded.estimate(s ** 3, t, seed=0) == pytest.approx(mine.estimate(s ** 3, t, seed=0),
                                                              abs=1e-5)


def mixed_features(num, seed):
    """[Gaussian, Student-t nu=2, uniform, 3 N(0, 1) + 1, integers 0-2, e^N(0, 1)]."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.standard_normal(num), rng.standard_t(2, num), rng.uniform(size=num),
                     3 * rng.standard_normal(num) + 1, rng.integers(0, 3, num).astype(float),
                     np.exp(rng.standard_normal(num))], axis=1).astype("float32")


def test_auto_gaussianizes_exactly_the_non_normal_continuous_features():
    values = mixed_features(2000, seed=0)
    np.testing.assert_array_equal(gaussianize_features(values),
                                  [False, True, True, False, False, True])
    standardizer = InputStandardizer("auto")
    standardizer.adapt(values)
    chosen = np.asarray(standardizer.gaussianized_features)
    np.testing.assert_array_equal(chosen, [0, 1, 1, 0, 0, 1])
    knots = np.asarray(standardizer.knots, "float64")
    mapped = np.where(chosen > 0.5, numpy_gaussianized(values.astype("float64"), knots),
                      values)  # NumPy: the chosen columns through the knots, then whitened
    expected = (mapped - mapped.mean(axis=0)) @ standardizing_transform(mapped, whiten=True)
    got = np.asarray(standardizer(values))
    np.testing.assert_allclose(got, expected, atol=2e-3)
    np.testing.assert_allclose(np.cov(got, rowvar=False), np.eye(6), atol=2e-3)


@pytest.mark.parametrize("num", [200, 2000, 16000])
def test_auto_keeps_gaussian_features_affine_at_every_sample_size(num):
    """The threshold max(0.005, 5 / n) sits above the Q-Q deficit of Gaussian samples
    (about 1.2 / n) in 30 draws, and below that of Student-t (nu = 3), uniform and
    x^3 marginals."""
    for seed in range(30):
        rng = np.random.default_rng(seed)
        gaussian = rng.standard_normal((num, 2)) @ np.array([[1.0, 0.5], [0.0, 2.0]]) + 3.0
        assert not gaussianize_features(gaussian).any()
    rng = np.random.default_rng(99)
    others = np.stack([rng.standard_t(3, num), rng.uniform(size=num),
                       rng.standard_normal(num) ** 3], axis=1)
    assert gaussianize_features(others).all()


def test_auto_is_whiten_on_gaussian_pairs_bit_for_bit():
    """On Gaussian inputs "auto" keeps the affine map, so a default fit is the "whiten"
    fit of before (without the log radius, whose column is not Gaussian)."""
    s, t = correlated_gaussians(2000, 3, 1.0, seed=5)
    estimates = []
    for mode in ("auto", "whiten"):
        mine = MINE(hidden_units=(8,), seed=0, standardize=mode, log_radius=False)
        estimates.append(mine.fit_estimate(s, t, steps=40, batch_size=128, eval_every=20,
                                           verbose=0))
        if mode == "auto":
            assert not np.asarray(mine.first_standardizer.gaussianized_features).any()
            assert not np.asarray(mine.second_standardizer.gaussianized_features).any()
            inputs = [np.asarray(v) for v in mine.critic_inputs(s, t)]
        else:
            np.testing.assert_array_equal([np.asarray(v) for v in mine.critic_inputs(s, t)],
                                          inputs)
    # The critic inputs are equal bit for bit (above); the fits then agree to TensorFlow's
    # CPU-kernel rounding, exactly under JAX: 1e-7 nats on an idle machine, 5e-6 seen
    # under load (threaded reductions sum in another order), hence 1e-4.
    assert abs(estimates[0] - estimates[1]) <= 1e-4


def test_mine_default_is_auto_and_old_values_keep_their_meaning():
    assert MINE().standardize == "auto"
    assert MINE(standardize=True).standardize == "whiten"
    assert MINE(standardize=False).standardize == "none"
    with pytest.raises(ValueError, match="Expected standardize in"):
        MINE(standardize="rank")


def test_auto_choice_survives_save_and_load(tmp_path):
    values = mixed_features(2000, seed=2)
    s, t = values[:, :3], values[:, 3:]
    mine = MINE(hidden_units=(8,), seed=0)
    mine.fit_estimate(s, t, steps=40, batch_size=128, eval_every=20, verbose=0)
    # The features, then the log radius (never normal: a log of a sum of squares).
    np.testing.assert_array_equal(np.asarray(mine.first_standardizer.gaussianized_features),
                                  [0, 1, 1, 1])
    np.testing.assert_array_equal(np.asarray(mine.second_standardizer.gaussianized_features),
                                  [0, 0, 1, 1])
    path = str(tmp_path / "mine.keras")
    mine.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.standardize == "auto" and loaded.log_radius
    for side in ("first_standardizer", "second_standardizer"):
        for name in ("gaussianized_features", "knots", "shift", "transform",
                     "radius_center", "radius_scale"):
            np.testing.assert_array_equal(np.asarray(getattr(getattr(loaded, side), name)),
                                          np.asarray(getattr(getattr(mine, side), name)))
    assert loaded.estimate(s, t, seed=0) == pytest.approx(mine.estimate(s, t, seed=0), abs=1e-5)


def traced(function):
    """`function` compiled the way Keras compiles a step: tf.function or jax.jit."""
    if keras.backend.backend() == "jax":
        import jax
        return jax.jit(function)
    import tensorflow as tf
    return tf.function(function)


@pytest.mark.parametrize("gaussian", [True, False])
def test_auto_map_branches_in_python_when_eager_and_at_run_time_when_traced(
        monkeypatch, gaussian):
    """Eager calls decide in Python whether any feature is mapped (an eager JAX `cond`
    compiled its branches on every call: 1 s per call, 3 s per `lower_bound`); a traced
    call keeps the run-time conditional. Both give NumPy's map."""
    values = (correlated_gaussians(2000, 3, 1.0, seed=1)[0] if gaussian
              else mixed_features(2000, seed=0))
    standardizer = InputStandardizer("auto")
    standardizer.adapt(values)
    chosen = np.asarray(standardizer.gaussianized_features) > 0.5
    assert chosen.any() != gaussian
    knots = np.asarray(standardizer.knots, "float64")
    mapped = np.where(chosen, numpy_gaussianized(values.astype("float64"), knots), values)
    expected = (mapped - mapped.mean(axis=0)) @ standardizing_transform(mapped, whiten=True)
    compiled = traced(lambda x: standardizer(x))
    np.testing.assert_allclose(np.asarray(compiled(values)), expected, atol=2e-3)

    def no_cond(*args, **kwargs):
        raise AssertionError("an eager call reached ops.cond")

    monkeypatch.setattr(ops, "cond", no_cond)
    np.testing.assert_allclose(np.asarray(standardizer(values)), expected, atol=2e-3)
    with pytest.raises(AssertionError, match="reached ops.cond"):
        traced(lambda x: standardizer(x))(values)  # a fresh trace takes the conditional


def test_global_mode_divides_every_feature_by_one_scale():
    """"global": (x - mean) / s with s^2 the mean of the features' variances (NumPy)."""
    x = np.random.default_rng(3).normal([1.0, -2.0, 0.5], [0.5, 3.0, 1.0], (400, 3))
    standardizer = InputStandardizer("global")
    standardizer.adapt(x.astype("float32"))
    scale = np.sqrt(x.var(axis=0).mean())
    np.testing.assert_allclose(np.asarray(standardizer(x.astype("float32"))),
                               (x - x.mean(axis=0)) / scale, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["scale", "global", "whiten"])
def test_noise_aware_map_standardizes_x_plus_noise_from_samples_of_x(mode):
    """With noise_variance s2 the map fitted on x is that of x + eps: shift = mean of x,
    covariance + s2 I (per feature sqrt(var + s2); "global" one sqrt(mean var + s2)), so
    x + eps comes out with (nearly) unit variance, as the closed form says."""
    rng = np.random.default_rng(4)
    x = rng.normal([3.0, -1.0], [0.3, 2.0], (20000, 2))
    noisy = InputStandardizer(mode, noise_variance=2.0)
    noisy.adapt(x.astype("float32"))
    variance = x.var(axis=0) + 2.0
    if mode == "global":
        variance = np.full(2, variance.mean())
    if mode == "whiten":
        covariance = np.cov(x, rowvar=False) + 2.0 * np.eye(2)
        values, vectors = np.linalg.eigh(covariance)
        expected = (vectors / np.sqrt(values)) @ vectors.T
        np.testing.assert_allclose(np.asarray(noisy.transform), expected, rtol=1e-5)
    else:
        np.testing.assert_allclose(1.0 / np.asarray(noisy.transform), np.sqrt(variance),
                                   rtol=1e-5)
    np.testing.assert_allclose(np.asarray(noisy.shift), x.mean(axis=0), rtol=1e-5)
    mapped = np.asarray(noisy((x + rng.normal(0.0, np.sqrt(2.0), x.shape)).astype("float32")))
    if mode != "global":
        np.testing.assert_allclose(mapped.var(axis=0), 1.0, atol=0.03)


def test_noise_aware_gaussianize_places_the_knots_on_noisy_samples():
    """"gaussianize" with noise: the knots are the quantiles of x + eps (one seeded draw),
    so the mapped x + eps has standard normal marginals, not x alone."""
    rng = np.random.default_rng(5)
    x = rng.exponential(size=(20000, 1))
    noisy = InputStandardizer("gaussianize", noise_variance=1.0)
    noisy.adapt(x.astype("float32"))
    mapped = np.asarray(noisy((x + rng.normal(0.0, 1.0, x.shape)).astype("float32")))
    assert abs(mapped.mean()) < 0.03 and abs(mapped.std() - 1.0) < 0.03
    plain = np.asarray(noisy(x.astype("float32")))
    assert plain.std() < 0.8  # x alone is narrower than the x + eps the map was fitted to

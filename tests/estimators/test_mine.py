"""MINE: bound values against NumPy, the log-space moving average, Gaussian ground truth."""

import itertools
import math

import keras
import numpy as np
import pytest
from keras import ops
from scipy.special import logsumexp

from infodl.estimators import mi_bounds
from infodl.estimators.critic import Critic
from infodl.estimators.mine import MINE
from tests.estimators.backend_helpers import BatchLogRecorder, gradients
from tests.estimators.gaussian_pairs import correlated_gaussians


class TableCritic(keras.layers.Layer):
    """D(s, t) = table[s, t] for integer-valued s, t (a critic whose values we know)."""

    def __init__(self, table, **kwargs):
        super().__init__(**kwargs)
        self.table = np.asarray(table, dtype="float32")

    def call(self, inputs):
        s, t = (ops.cast(ops.squeeze(value, -1), "int32") for value in inputs)
        return ops.take(ops.reshape(self.table, (-1,)), s * self.table.shape[1] + t)


class LinearInTCritic(keras.layers.Layer):
    """D(s, t) = a * t[:, 0] with one trainable scalar a (ignores s)."""

    def __init__(self, slope=1.0, **kwargs):
        super().__init__(**kwargs)
        self.slope = self.add_weight(shape=(), initializer=keras.initializers.Constant(slope))

    def call(self, inputs):
        return self.slope * inputs[1][:, 0]


def test_bound_functions_match_numpy():
    rng = np.random.default_rng(0)
    joint, marginal = rng.normal(size=50), rng.normal(size=50)
    matrix = rng.normal(size=(6, 6))
    np.testing.assert_allclose(
        float(mi_bounds.donsker_varadhan(joint, marginal)),
        joint.mean() - np.log(np.mean(np.exp(marginal))), rtol=1e-6)
    np.testing.assert_allclose(
        float(mi_bounds.nguyen_wainwright_jordan(joint, marginal)),
        joint.mean() - np.mean(np.exp(marginal - 1)), rtol=1e-6)
    expected = np.mean(np.diag(matrix) - np.log(np.mean(np.exp(matrix), axis=1)))
    np.testing.assert_allclose(float(mi_bounds.info_nce(matrix)), expected, rtol=1e-6)
    huge = np.array([1000.0, 1001.0, 999.0], dtype="float32")  # e^1000 overflows
    np.testing.assert_allclose(float(mi_bounds.log_mean_exp(huge)),
                               logsumexp(huge.astype("float64")) - np.log(3), rtol=1e-6)


@pytest.mark.parametrize("bound, constant", [("dv", 3.7), ("nwj", 1.0), ("infonce", -2.0)])
def test_constant_critic_gives_zero(bound, constant):
    mine = MINE(critic=TableCritic(np.full((3, 3), constant)), bound=bound, seed=0)
    s = np.array([0, 1, 2, 0, 1], dtype="float32")
    assert abs(float(mine.lower_bound(s, s[::-1].copy()))) < 1e-6


@pytest.mark.parametrize("bound", ["dv", "nwj"])
def test_table_critic_matches_numpy_for_every_shuffle(bound):
    table = np.array([[0.3, -1.2, 2.0], [1.1, 0.0, -0.4], [-2.5, 0.7, 1.6]])
    s, t = np.array([0, 1, 2, 2]), np.array([1, 2, 0, 2])
    expected = []
    for permutation in itertools.permutations(range(4)):
        joint, marginal = table[s, t], table[s, t[list(permutation)]]
        value = (joint.mean() - np.log(np.mean(np.exp(marginal))) if bound == "dv"
                 else joint.mean() - np.mean(np.exp(marginal - 1)))
        expected.append(value)
    expected = np.array(expected)
    mine = MINE(critic=TableCritic(table), bound=bound, seed=1)
    seen = set()
    for _ in range(40):
        value = float(mine.lower_bound(s.astype("float32"), t.astype("float32")))
        nearest = np.argmin(np.abs(expected - value))
        assert abs(expected[nearest] - value) < 1e-5  # the NumPy bound of some shuffle
        seen.add(round(float(expected[nearest]), 6))
    assert len(seen) >= 3  # and the shuffle is fresh at each call


def test_compiled_steps_draw_a_fresh_shuffle_each_call():
    """Keras' compiled steps (tf.function / jax.jit) draw a fresh shuffle per batch:
    the per-batch DV values of `evaluate` on one repeated batch take several of the
    values NumPy gives for the different shuffles."""
    table = np.array([[0.3, -1.2, 2.0], [1.1, 0.0, -0.4], [-2.5, 0.7, 1.6]])
    s, t = np.array([0, 1, 2, 2, 1, 0], "float32"), np.array([1, 2, 0, 2, 1, 1], "float32")
    expected = np.array([table[s.astype(int), t.astype(int)].mean() - np.log(np.mean(np.exp(
        table[s.astype(int), t[list(p)].astype(int)]))) for p in itertools.permutations(range(6))])
    mine = MINE(critic=TableCritic(table), seed=3)
    mine.compile(optimizer="adam")
    recorder = BatchLogRecorder()
    mine.evaluate(np.tile(s, 20), np.tile(t, 20), batch_size=6, verbose=0,
                  callbacks=[recorder])
    values = recorder.values()
    assert len(values) == 20
    assert np.all(np.min(np.abs(values[:, None] - expected[None, :]), axis=1) < 1e-4)
    assert len({round(float(v), 5) for v in values}) >= 3


def test_infonce_matches_numpy_and_never_exceeds_log_batch():
    table = np.array([[0.3, -1.2, 2.0], [1.1, 0.0, -0.4], [-2.5, 0.7, 1.6]])
    s, t = np.array([0, 1, 2, 2, 1]), np.array([1, 2, 0, 2, 1])
    matrix = table[s][:, t]
    expected = np.mean(np.diag(matrix) - np.log(np.mean(np.exp(matrix), axis=1)))
    mine = MINE(critic=TableCritic(table), bound="infonce")
    value = float(mine.lower_bound(s.astype("float32"), t.astype("float32")))
    np.testing.assert_allclose(value, expected, rtol=1e-5)
    # A critic that separates the pairs perfectly reaches log n, never more.
    separating = MINE(critic=TableCritic(50.0 * np.eye(3)), bound="infonce")
    ident = np.array([0, 1, 2], dtype="float32")
    assert math.log(3) - 1e-4 < float(separating.lower_bound(ident, ident)) <= math.log(3) + 1e-5
    s, t = correlated_gaussians(64, 2, 3.0, seed=0)
    random_critic = MINE(hidden_units=(16,), bound="infonce", seed=0)
    assert float(random_critic.lower_bound(s, t)) <= math.log(64) + 1e-5


def test_log_moving_average_equals_numpy_ema_of_means():
    decay = 0.9
    mine = MINE(critic=LinearInTCritic(), bound="dv", ema_decay=decay, seed=0)
    rng = np.random.default_rng(0)
    average = None
    for _ in range(6):
        t = rng.normal(size=(32, 1)).astype("float32")
        mine.training_objective(np.zeros_like(t), t)
        batch_mean = np.mean(np.exp(t.astype("float64")))
        average = batch_mean if average is None else decay * average + (1 - decay) * batch_mean
        np.testing.assert_allclose(float(mine.log_moving_average), np.log(average), rtol=1e-5)
    # Scores near 900 overflow exp even in float64: the log-space average stays exact.
    big = MINE(critic=LinearInTCritic(), ema_decay=decay, seed=0)
    log_average = None
    for shift in (900.0, 700.0, 950.0):
        t = (shift + rng.normal(size=(16, 1))).astype("float32")
        big.training_objective(np.zeros_like(t), t)
        log_batch = logsumexp(t.astype("float64")) - np.log(16)
        log_average = log_batch if log_average is None else np.logaddexp(
            np.log(decay) + log_average, np.log(1 - decay) + log_batch)
        np.testing.assert_allclose(float(big.log_moving_average), log_average, rtol=1e-5)


def test_training_gradient_is_bias_corrected():
    """d/da of the surrogate = mean(t_P) - mean(e^(a t_Q) t_Q) / A, A the moving average."""
    decay = 0.5
    mine = MINE(critic=LinearInTCritic(slope=0.7), ema_decay=decay, seed=0)
    rng = np.random.default_rng(1)
    first = rng.normal(size=(20, 1)).astype("float32")
    mine.training_objective(np.zeros_like(first), first)
    t = (1.0 + rng.normal(size=(20, 1))).astype("float32")
    gradient = float(gradients(lambda: mine.training_objective(np.zeros_like(t), t)[1],
                               [mine.critic.slope])[0])
    t64, a = t[:, 0].astype("float64"), 0.7
    average = decay * np.mean(np.exp(a * first[:, 0])) + (1 - decay) * np.mean(np.exp(a * t64))
    expected = t64.mean() - np.mean(np.exp(a * t64) * t64) / average
    np.testing.assert_allclose(gradient, expected, rtol=1e-4)
    plain_dv_gradient = t64.mean() - np.mean(np.exp(a * t64) * t64) / np.mean(np.exp(a * t64))
    assert abs(gradient - plain_dv_gradient) > 1e-2  # the correction changes the gradient


def test_compile_and_keras_fit_train_the_critic():
    s, t = correlated_gaussians(6000, 1, 0.5, seed=1)
    mine = MINE(hidden_units=(32, 32), seed=0)
    mine.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = mine.estimate(s[5000:], t[5000:])
    history = mine.fit(s[:5000], t[:5000], batch_size=100, epochs=4, verbose=0)
    after = mine.estimate(s[5000:], t[5000:])
    assert len(history.history["mi_nats"]) == 4
    # truth 0.5 nats; 1000 held-out pairs (measured: 0.497 at these seeds)
    assert after == pytest.approx(0.5, abs=0.08) and after > before + 0.2


def test_save_and_load_restore_estimate_and_state(tmp_path):
    s, t = correlated_gaussians(3000, 2, 0.5, seed=2)
    mine = MINE(hidden_units=(16, 16), seed=3)
    mine.fit_estimate(s, t, steps=200, batch_size=128, learning_rate=1e-3, verbose=0)
    mine.save(tmp_path / "mine.keras")
    mine.save_weights(tmp_path / "mine.weights.h5")
    expected = mine.estimate(s, t)  # draws the next shuffle from the saved RNG state
    loaded = keras.saving.load_model(tmp_path / "mine.keras")
    assert isinstance(loaded, MINE) and loaded.bound == "dv"
    assert float(loaded.log_moving_average) == float(mine.log_moving_average)
    assert float(loaded.moving_average_steps) > 0
    assert loaded.estimate(s, t) == pytest.approx(expected, abs=1e-6)
    fresh = MINE.from_config(mine.get_config())
    fresh.estimate(s[:4], t[:4])  # builds the variables
    fresh.load_weights(tmp_path / "mine.weights.h5")
    assert fresh.estimate(s, t) == pytest.approx(expected, abs=1e-6)


def test_get_config_round_trip_with_custom_critic():
    mine = MINE(critic=Critic((8, 4), negative_slope=0.1), bound="nwj", ema_decay=0.5, seed=7)
    clone = MINE.from_config(mine.get_config())
    assert (clone.bound, clone.ema_decay, clone.seed) == ("nwj", 0.5, 7)
    assert clone.critic.hidden_units == (8, 4) and clone.critic.negative_slope == 0.1


def test_bad_inputs_raise_clear_errors():
    s, t = correlated_gaussians(100, 2, 0.5, seed=0)
    mine = MINE(hidden_units=(8,), seed=0)
    with pytest.raises(ValueError, match="same number of samples"):
        mine.estimate(s, t[:99])
    with pytest.raises(ValueError, match="same number of samples"):
        mine.lower_bound(s, t[:99])
    broken = s.copy()
    broken[3, 1] = np.nan
    with pytest.raises(ValueError, match="finite values in s"):
        mine.estimate(broken, t)
    with pytest.raises(ValueError, match="finite values in s"):
        mine.lower_bound(broken, t)
    infinite = t.copy()
    infinite[0, 0] = -np.inf
    with pytest.raises(ValueError, match="finite values in t"):
        mine.fit_estimate(s, infinite, steps=1, verbose=0)
    with pytest.raises(ValueError, match="at least 2"):
        mine.estimate(s[:1], t[:1])
    with pytest.raises(ValueError, match="at least 2"):
        mine.fit_estimate(s[:1], t[:1], steps=1, verbose=0)
    with pytest.raises(ValueError, match="t=None"):
        mine.fit_estimate(s, None, steps=1, verbose=0)
    with pytest.raises(ValueError, match="validation_fraction"):
        mine.fit_estimate(s, t, validation_fraction=1.0, verbose=0)
    with pytest.raises(ValueError, match="bound in"):
        MINE(bound="jsd")
    with pytest.raises(ValueError, match="ema_decay"):
        MINE(ema_decay=1.0)
    with pytest.raises(ValueError, match="hidden_units"):
        Critic(hidden_units=(0,))


@pytest.mark.parametrize("bound", ["dv", "nwj"])
def test_estimate_averages_the_marginal_term_over_derangements(bound):
    """estimate(seed=k) pairs s of a random order with t of the same order shifted by
    `num_shuffles` distinct offsets (no s_i meets its own t_i): NumPy recomputation."""
    table = np.array([[0.3, -1.2, 2.0], [1.1, 0.0, -0.4], [-2.5, 0.7, 1.6]])
    s, t = np.array([0, 1, 2, 2, 1, 0, 2]), np.array([1, 2, 0, 2, 1, 1, 0])
    mine = MINE(critic=TableCritic(table), bound=bound, seed=0)
    value = mine.estimate(s.astype("float32"), t.astype("float32"), num_shuffles=3, seed=5)
    rng = np.random.default_rng(5)
    order, shifts = rng.permutation(7), rng.permutation(np.arange(1, 7))[:3]
    marginal = np.concatenate([table[s[order], t[np.roll(order, -k)]] for k in shifts])
    assert all(np.all(order != np.roll(order, -k)) for k in shifts)
    joint = table[s, t].mean()
    expected = (joint - np.log(np.mean(np.exp(marginal))) if bound == "dv"
                else joint - np.mean(np.exp(marginal - 1.0)))
    assert value == pytest.approx(expected, abs=1e-5)
    assert mine.estimate(s.astype("float32"), t.astype("float32"), num_shuffles=3,
                         seed=5) == value  # a fixed seed fixes the pairs


def test_adapt_standardizes_and_the_estimate_ignores_affine_maps():
    """I(S; T) is invariant to invertible maps of s and t; with `standardize` the
    critic sees the same inputs for (s, t) and (a s + b, c t + d), so the same seed
    gives the same estimate."""
    s, t = correlated_gaussians(3000, 2, 0.5, seed=6)
    s = s @ np.array([[1.0, 0.0], [0.8, 0.3]], "float32")  # correlated features
    # "auto": Gaussian features stay affine (the log radius, a column of its own, aside)
    mine = MINE(hidden_units=(16,), seed=0, log_radius=False)
    mine.adapt(s, t)
    np.testing.assert_allclose(np.asarray(mine.first_standardizer.shift), s.mean(axis=0),
                               atol=1e-5)
    whitened = (s - s.mean(axis=0)) @ np.asarray(mine.first_standardizer.transform)
    np.testing.assert_allclose(np.cov(whitened, rowvar=False), np.eye(2), atol=1e-3)
    transform = np.asarray(mine.first_standardizer.transform)
    np.testing.assert_allclose(transform, transform.T, atol=1e-6)  # ZCA
    scaled = MINE(hidden_units=(16,), standardize="scale", seed=0, log_radius=False)
    scaled.adapt(s, t)
    np.testing.assert_allclose(np.asarray(scaled.second_standardizer.transform),
                               1.0 / t.std(axis=0), rtol=1e-4)
    # "whiten" (ZCA) is blind to shifts and to a common positive scale of each side,
    # "scale" to a positive scale of each feature.
    per_feature = np.array([100.0, 0.01], "float32")
    for mode, maps in (("whiten", (2.5, 7.0, 3.0, 1.0)), ("scale", (per_feature, 7.0, 3.0, 1.0))):
        a, b, c, d = maps
        values = []
        for first, second in ((s, t), (s * a + b, c * t + d)):
            keras.utils.set_random_seed(0)  # Keras' fit draws the batch order globally
            values.append(MINE(hidden_units=(16,), standardize=mode, seed=0).fit_estimate(
                first, second, steps=100, batch_size=128, eval_every=50, verbose=0))
        assert values[0] == pytest.approx(values[1], abs=2e-3), mode
    assert MINE(standardize=False).standardize == "none"
    with pytest.raises(ValueError, match="standardize in"):
        MINE(standardize="center")

"""MINE: bound values against NumPy, the log-space moving average, Gaussian ground truth."""

import itertools
import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops
from scipy.special import logsumexp

from estimators import mi_bounds
from estimators.critic import Critic
from estimators.mine import MINE


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


def correlated_gaussians(num, dim, mi_nats, seed):
    """s, t in R^dim, each coordinate pair correlated with rho; I = -dim/2 log(1 - rho^2)."""
    rng = np.random.default_rng(seed)
    rho = math.sqrt(1.0 - math.exp(-2.0 * mi_nats / dim))
    s = rng.standard_normal((num, dim))
    t = rho * s + math.sqrt(1.0 - rho ** 2) * rng.standard_normal((num, dim))
    return s.astype("float32"), t.astype("float32")


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
    """Inside tf.function (as in fit / fit_estimate) the seed state advances per call."""
    table = np.array([[0.3, -1.2, 2.0], [1.1, 0.0, -0.4], [-2.5, 0.7, 1.6]])
    s, t = np.array([0, 1, 2, 2, 1, 0], "float32"), np.array([1, 2, 0, 2, 1, 1], "float32")
    mine = MINE(critic=TableCritic(table), seed=3)
    compiled = tf.function(mine.lower_bound)
    values = {round(float(compiled(s, t)), 6) for _ in range(20)}
    assert len(values) >= 3


def test_fit_estimate_shows_a_progress_bar(capsys):
    s, t = correlated_gaussians(400, 1, 0.5, seed=5)
    MINE(hidden_units=(8,), seed=0).fit_estimate(s, t, steps=20, batch_size=64,
                                                  eval_every=10, verbose=1)
    shown = capsys.readouterr().out
    assert "20/20" in shown and "mi_nats" in shown and "val_mi_nats" in shown
    MINE(hidden_units=(8,), seed=0).fit_estimate(s, t, steps=20, batch_size=64,
                                                  eval_every=10, verbose=0)
    assert capsys.readouterr().out == ""


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
    with tf.GradientTape() as tape:
        _, surrogate = mine.training_objective(np.zeros_like(t), t)
    gradient = float(tape.gradient(surrogate, mine.critic.slope))
    t64, a = t[:, 0].astype("float64"), 0.7
    average = decay * np.mean(np.exp(a * first[:, 0])) + (1 - decay) * np.mean(np.exp(a * t64))
    expected = t64.mean() - np.mean(np.exp(a * t64) * t64) / average
    np.testing.assert_allclose(gradient, expected, rtol=1e-4)
    plain_dv_gradient = t64.mean() - np.mean(np.exp(a * t64) * t64) / np.mean(np.exp(a * t64))
    assert abs(gradient - plain_dv_gradient) > 1e-2  # the correction changes the gradient


@pytest.mark.parametrize("bound, batch_size", [("dv", 256), ("nwj", 256), ("infonce", 64)])
def test_fit_estimate_recovers_gaussian_mi(bound, batch_size):
    """I = 0.5 nats, d = 1, 10000 training and 2 x 5000 held-out pairs. Tolerance 0.1
    nats: about 4 standard errors of a bound on the 5000 reporting pairs (variance
    ~ (Var_P[D] + e^(2I) - 1) / n ~ 2.7 / 5000); 6 seeds gave |error| <= 0.036."""
    s, t = correlated_gaussians(20000, 1, 0.5, seed=0)
    mine = MINE(hidden_units=(32, 32), bound=bound, seed=0)
    value = mine.fit_estimate(s, t, steps=600, batch_size=batch_size, learning_rate=3e-3,
                              validation_fraction=0.5, patience=5, verbose=0)
    assert abs(value - 0.5) < 0.1


def test_compile_and_keras_fit_train_the_critic():
    s, t = correlated_gaussians(6000, 1, 0.5, seed=1)
    mine = MINE(hidden_units=(32, 32), seed=0)
    mine.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = mine.estimate(s[5000:], t[5000:])
    history = mine.fit(s[:5000], t[:5000], batch_size=100, epochs=4, verbose=0)
    after = mine.estimate(s[5000:], t[5000:])
    assert len(history.history["mi_nats"]) == 4
    assert after > 0.3 and after > before + 0.2


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


@pytest.mark.parametrize("bound", ["dv", "nwj", "infonce"])
def test_constant_input_carries_no_information(bound):
    """Constant t: joint and marginal pairs coincide, so every bound is <= 0 (Jensen)
    and fit_estimate returns exactly 0 without training."""
    s, _ = correlated_gaussians(500, 3, 0.5, seed=4)
    t = np.full((500, 2), 0.7, dtype="float32")
    mine = MINE(hidden_units=(16,), bound=bound, seed=0)
    assert mine.fit_estimate(s, t, steps=50, verbose=0) == 0.0
    assert mine.fit_estimate(t, s, steps=50, verbose=0) == 0.0
    assert getattr(mine, "optimizer", None) is None  # nothing was trained
    assert -5.0 < mine.estimate(s, t) <= 1e-6


@pytest.mark.slow
@pytest.mark.parametrize("dim", [2, 10])
def test_mine_within_10_percent_at_one_nat(dim):
    """Correlated Gaussians, I = -dim/2 log(1 - rho^2) = 1 nat (Belghazi et al. Fig. 1)."""
    s, t = correlated_gaussians(200000, dim, 1.0, seed=dim)
    mine = MINE(hidden_units=(256, 256), seed=0)
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, 6000, alpha=0.05)
    mine.compile(optimizer=keras.optimizers.Adam(schedule))
    value = mine.fit_estimate(s, t, steps=6000, batch_size=512, patience=60, verbose=0)
    print(f"MINE-DV d={dim}: {value:.4f} nats (truth 1.0)")
    assert abs(value - 1.0) < 0.1

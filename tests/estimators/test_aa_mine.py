"""AA-MINE: pairs, weight sharing, gradients, linear-Gaussian truth, the P3 Fig. 2 effect."""

import math

import keras
import numpy as np
import pytest

from infodl.estimators.aa_mine import ArchitectureAwareMINE
from infodl.estimators.mine import MINE
from tests.estimators.backend_helpers import gradients


def linear_network(kernel):
    """x -> x W (no bias), then a second layer the estimator must ignore."""
    network = keras.Sequential([
        keras.Input((kernel.shape[0],)),
        keras.layers.Dense(kernel.shape[1], use_bias=False, name="linear"),
        keras.layers.Dense(3, activation="tanh", name="after")])
    network.get_layer("linear").set_weights([kernel.astype("float32")])
    return network


def linear_gaussian_problem(dim_x, dim_l, seed):
    rng = np.random.default_rng(seed)
    factor = rng.standard_normal((dim_x, dim_x)) / math.sqrt(dim_x)
    covariance = factor @ factor.T + 0.5 * np.eye(dim_x)
    kernel = rng.standard_normal((dim_x, dim_l)) / math.sqrt(dim_x)
    return rng, covariance, kernel


def linear_gaussian_mi(covariance, kernel, noise_variance):
    """I(X; W^T X + eps) = 1/2 log det(I + W^T Sigma_X W / sigma^2) (nats)."""
    gram = kernel.T @ covariance @ kernel / noise_variance
    return 0.5 * np.linalg.slogdet(np.eye(len(gram)) + gram)[1]


def test_invalid_arguments_raise():
    network = linear_network(np.eye(2))
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="noise_variance > 0"):
            ArchitectureAwareMINE(network, "linear", noise_variance=bad)
    with pytest.raises(ValueError):
        ArchitectureAwareMINE(network, "no_such_layer")
    with pytest.raises(ValueError, match="layer name or an index"):
        ArchitectureAwareMINE(network, 7)
    with pytest.raises(ValueError, match="keras.Model"):
        ArchitectureAwareMINE(keras.layers.Dense(2), 0)
    aa_mine = ArchitectureAwareMINE(network, "linear", hidden_units=(4,))
    with pytest.raises(ValueError, match="at least 2"):
        aa_mine.estimate(np.ones((1, 2)))
    with pytest.raises(ValueError, match="finite values in x"):
        aa_mine.estimate(np.full((5, 2), np.nan))


def test_numpy_scalar_noise_variance_and_layer_index_are_accepted():
    """np.float32(1.0) and np.int64(2) used to fail with 'Expected noise_variance > 0'."""
    network = linear_network(np.eye(2))
    for value in (np.float32(1.0), np.int64(2), np.float64(0.5)):
        aa_mine = ArchitectureAwareMINE(network, "linear", noise_variance=value, hidden_units=(4,))
        assert aa_mine.noise_variance == float(value)
        assert isinstance(aa_mine.noise_variance, float)
    by_index = ArchitectureAwareMINE(network, np.int64(0), hidden_units=(4,))
    assert by_index.layer == 0 and by_index.get_config()["layer"] == 0
    with pytest.raises(ValueError, match="noise_variance > 0"):
        ArchitectureAwareMINE(network, "linear", noise_variance=True)


def test_bad_activations_and_pairs_raise():
    network = linear_network(np.eye(2))
    aa_mine = ArchitectureAwareMINE(network, "linear", hidden_units=(4,), seed=0)
    x = np.random.default_rng(0).standard_normal((40, 2)).astype("float32")
    with pytest.raises(ValueError, match="finite values in x"):
        aa_mine.fit_estimate(np.where(np.arange(40)[:, None] == 3, np.inf, x), verbose=0)
    with pytest.raises(ValueError, match="same number of samples"):
        aa_mine.estimate(x, x[:39])
    # A diverged network: layer i overflows to inf although x is finite.
    diverged = linear_network(np.full((2, 2), 3e38))
    bad = ArchitectureAwareMINE(diverged, "linear", hidden_units=(4,), seed=0)
    with pytest.raises(ValueError, match="finite activations of layer 'linear'"):
        bad.fit_estimate(x + 10.0, steps=5, verbose=0)
    with pytest.raises(ValueError, match="finite activations of layer 'linear'"):
        bad.estimate(x + 10.0)


def test_constant_layer_gives_zero():
    """W = 0: t = eps is independent of x, so I(X; L + eps) = 0 without training."""
    aa_mine = ArchitectureAwareMINE(linear_network(np.zeros((3, 2))), "linear",
                                    hidden_units=(8,), seed=0)
    x = np.random.default_rng(1).standard_normal((400, 3)).astype("float32")
    assert aa_mine.fit_estimate(x, steps=50, verbose=0) == 0.0
    assert getattr(aa_mine, "optimizer", None) is None


def test_sample_pairs_add_fresh_gaussian_noise_to_layer_i():
    rng, _, kernel = linear_gaussian_problem(3, 2, seed=0)
    network = linear_network(kernel)
    aa_mine = ArchitectureAwareMINE(network, "linear", noise_variance=0.5, seed=0)
    x = rng.standard_normal((20000, 3)).astype("float32")
    x_out, t = aa_mine.sample_pairs(x)
    noise = np.asarray(t) - x @ kernel.astype("float32")  # layer i = "linear", not "after"
    np.testing.assert_array_equal(np.asarray(x_out), x)
    assert np.all(np.abs(noise.mean(axis=0)) < 4 * math.sqrt(0.5 / 20000))
    np.testing.assert_allclose(noise.var(axis=0), 0.5, rtol=0.05)  # 5 % ~ 5 std errors
    _, t_again = aa_mine.sample_pairs(x)
    assert np.abs(np.asarray(t_again) - np.asarray(t)).min() > 0  # fresh noise each call
    by_index = ArchitectureAwareMINE(network, 0, noise_variance=0.5, seed=0)
    np.testing.assert_allclose(np.asarray(by_index.sample_pairs(x)[1]), np.asarray(t), rtol=1e-6)


def test_critic_head_sees_layer_i_features_and_current_weights():
    rng, _, kernel = linear_gaussian_problem(3, 2, seed=1)
    network = linear_network(kernel)
    aa_mine = ArchitectureAwareMINE(network, "linear", hidden_units=(8,), seed=0)
    x = rng.standard_normal((16, 3)).astype("float32")
    t = rng.standard_normal((16, 2)).astype("float32")
    scores = np.asarray(aa_mine((x, t)))
    np.testing.assert_allclose(scores, np.asarray(aa_mine.critic([x @ kernel, t])), rtol=1e-5)
    new_kernel = 2.0 * kernel.astype("float32")
    network.get_layer("linear").set_weights([new_kernel])  # shared, not a frozen copy
    np.testing.assert_allclose(np.asarray(aa_mine((x, t))),
                               np.asarray(aa_mine.critic([x @ new_kernel, t])), rtol=1e-5)


@pytest.mark.parametrize("standardize", ["whiten", "gaussianize"])
def test_critic_training_leaves_network_alone_and_gradients_reach_it_through_t(standardize):
    rng, _, kernel = linear_gaussian_problem(4, 2, seed=2)
    network = linear_network(kernel)
    before = [w.copy() for w in network.get_weights()]
    aa_mine = ArchitectureAwareMINE(network, "linear", noise_variance=1.0,
                                    hidden_units=(16, 16), seed=0, standardize=standardize)
    x = rng.standard_normal((2000, 4)).astype("float32")
    aa_mine.estimate(x[:4])  # builds the critic head
    critic_before = [w.copy() for w in aa_mine.critic.get_weights()]
    assert critic_before
    aa_mine.fit_estimate(x, steps=100, batch_size=128, learning_rate=1e-3, verbose=0)
    for old, new in zip(before, network.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert any(np.abs(old - new).max() > 0
               for old, new in zip(critic_before, aa_mine.critic.get_weights(), strict=True))
    assert {id(v) for v in aa_mine.trainable_variables} == {
        id(v) for critic in aa_mine.critics for v in critic.trainable_variables}
    assert len(aa_mine.critics) == 2  # the head and its quadratic companion
    linear, after = network.get_layer("linear").kernel, network.get_layer("after").kernel
    gradient_linear, gradient_after = gradients(
        lambda: aa_mine.lower_bound(*aa_mine.sample_pairs(x[:256])), [linear, after])
    assert np.all(gradient_after == 0) and np.linalg.norm(gradient_linear) > 0


@pytest.mark.parametrize("standardize", ["whiten", "gaussianize"])
def test_fit_estimate_linear_gaussian_fast(standardize):
    """sigma^2 = 1, truth 0.89 nats. Tolerance 0.15 nats: ~4 standard errors of a
    DV value on 1000 held-out x plus the gap left after 600 small-critic steps;
    6 problem/seed draws gave |error| <= 0.076 (whiten)."""
    rng, covariance, kernel = linear_gaussian_problem(4, 2, seed=3)
    truth = linear_gaussian_mi(covariance, kernel, 1.0)
    x = rng.multivariate_normal(np.zeros(4), covariance, size=5000).astype("float32")
    aa_mine = ArchitectureAwareMINE(linear_network(kernel), "linear", noise_variance=1.0,
                                    hidden_units=(32, 32), seed=0, standardize=standardize)
    value = aa_mine.fit_estimate(x, steps=600, batch_size=256, learning_rate=3e-3,
                                 validation_fraction=0.5, patience=5, verbose=0)
    assert abs(value - truth) < 0.15


def test_save_weights_and_config_restore_the_estimator(tmp_path):
    rng, _, kernel = linear_gaussian_problem(3, 2, seed=4)
    aa_mine = ArchitectureAwareMINE(linear_network(kernel), "linear", noise_variance=0.7,
                                    hidden_units=(8, 8), seed=5)
    x = rng.standard_normal((500, 3)).astype("float32")
    aa_mine.fit_estimate(x, steps=50, batch_size=64, learning_rate=1e-3, verbose=0)
    aa_mine.save_weights(tmp_path / "aa.weights.h5")
    expected = aa_mine.estimate(x)  # noise and shuffle drawn from the saved RNG state
    clone = ArchitectureAwareMINE.from_config(aa_mine.get_config())
    assert (clone.layer, clone.noise_variance, clone.hidden_units) == ("linear", 0.7, (8, 8))
    clone.estimate(x[:4])  # builds the variables
    clone.load_weights(tmp_path / "aa.weights.h5")
    assert clone.estimate(x) == pytest.approx(expected, abs=1e-6)
    aa_mine.save(tmp_path / "aa.keras")
    loaded = keras.saving.load_model(tmp_path / "aa.keras")
    assert loaded.estimate(x) == pytest.approx(aa_mine.estimate(x), abs=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("noise_variance", [2.0, 0.5])
def test_aa_mine_defaults_within_10_percent_of_linear_gaussian_truth(noise_variance):
    """`ArchitectureAwareMINE(network, layer, noise_variance=v).fit_estimate(x)` at its
    defaults on N = 20 000 inputs: within 10 % of 1/2 log det(I + W^T Sigma W / sigma^2)."""
    rng, covariance, kernel = linear_gaussian_problem(10, 4, seed=0)
    truth = linear_gaussian_mi(covariance, kernel, noise_variance)
    x = rng.multivariate_normal(np.zeros(10), covariance, size=20000).astype("float32")
    keras.utils.set_random_seed(1)
    aa_mine = ArchitectureAwareMINE(linear_network(kernel), "linear",
                                    noise_variance=noise_variance)
    value = aa_mine.fit_estimate(x, verbose=0)
    print(f"AA-MINE sigma^2={noise_variance}: {value:.4f} nats, truth {truth:.4f}, "
          f"{aa_mine.last_fit.seconds:.0f} s")
    assert abs(value - truth) < 0.1 * truth


def test_restarts_report_the_spread_of_aa_mine():
    rng, covariance, kernel = linear_gaussian_problem(4, 2, seed=5)
    x = rng.multivariate_normal(np.zeros(4), covariance, size=2000).astype("float32")
    aa_mine = ArchitectureAwareMINE(linear_network(kernel), "linear", noise_variance=1.0,
                                    hidden_units=(16,), seed=3)
    value = aa_mine.fit_estimate(x, steps=40, batch_size=128, eval_every=20, restarts=3,
                                 verbose=0)
    fit = aa_mine.last_fit
    assert value == pytest.approx(np.mean(fit.values)) and len(fit.values) == 3
    # each restart draws a fresh split, noise, shuffles and critic: the values differ
    assert len(set(fit.values)) > 1, fit.values
    assert fit.std > 0 and fit.std == pytest.approx(np.std(fit.values, ddof=1))
    # t is drawn inside: neither the radius bound nor the many-features rule applies
    assert fit.input_features == 0 and np.isnan(fit.radius_bound)


def _train_with_fresh_noise(estimator, sampler, x_train, x_val, steps, seed):
    """Critic steps on (x, F(x) + fresh eps); returns a held-out DV estimate.

    Every 100 steps the DV value on the first half of x_val picks the best critic;
    that critic's value on the second half is returned (as in `fit_estimate`, so the
    choice among noisy evaluations does not bias the reported value upward).
    """
    rng = np.random.default_rng(seed)
    t_val = np.asarray(sampler.sample_pairs(x_val)[1])
    half = len(x_val) // 2

    def batches():
        while True:
            x_batch = x_train[rng.integers(0, len(x_train), 256)]
            yield x_batch, np.asarray(sampler.sample_pairs(x_batch)[1])

    class PickBest(keras.callbacks.Callback):
        best, best_weights = -np.inf, None

        def on_epoch_end(self, epoch, logs=None):
            value = estimator.estimate(x_val[:half], t_val[:half])
            if value > self.best:
                self.best, self.best_weights = value, estimator.critic.get_weights()

    estimator.compile(optimizer=keras.optimizers.Adam(1e-3))
    estimator.estimate(x_val[:4], t_val[:4])
    pick = PickBest()
    estimator.fit(batches(), steps_per_epoch=100, epochs=steps // 100, verbose=0,
                  callbacks=[pick])
    estimator.critic.set_weights(pick.best_weights)
    return estimator.estimate(x_val[half:], t_val[half:])


@pytest.mark.slow
def test_aa_mine_keeps_growing_as_noise_vanishes_where_mine_levels_off():
    """P3 Fig. 2 on a random-weight ReLU MLP 784-512-512-10 with Gaussian inputs.

    Same budget for both (1000 critic steps, head 128-128, fresh noise every step,
    critic chosen on 2000 held-out x, value reported on 2000 others). Criterion: AA-MINE increases
    strictly along sigma^2 = 2, 0.5, 0.1, 0.01 and gains > 1 nat on each of the
    last two steps; standard MINE on (x, t) gains < 0.5 nat from 0.1 to 0.01 and
    ends below half of AA-MINE.
    """
    keras.utils.set_random_seed(0)
    network = keras.Sequential([
        keras.Input((784,)), keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(512, activation="relu"), keras.layers.Dense(10, name="logits")])
    x = np.random.default_rng(0).standard_normal((20000, 784)).astype("float32")
    x_train, x_val = x[:16000], x[16000:]
    aa_values, mine_values = [], []
    for noise_variance in (2.0, 0.5, 0.1, 0.01):
        aa_mine = ArchitectureAwareMINE(network, "logits", noise_variance=noise_variance,
                                        hidden_units=(128, 128), seed=0)
        aa_values.append(_train_with_fresh_noise(aa_mine, aa_mine, x_train, x_val, 1000, 0))
        mine = MINE(hidden_units=(128, 128), seed=0)
        mine_values.append(_train_with_fresh_noise(mine, aa_mine, x_train, x_val, 1000, 0))
        print(f"sigma^2={noise_variance}: AA-MINE {aa_values[-1]:.3f}, "
              f"MINE {mine_values[-1]:.3f} nats")
    assert np.all(np.diff(aa_values) > 0)
    assert aa_values[2] - aa_values[1] > 1.0 and aa_values[3] - aa_values[2] > 1.0
    assert mine_values[3] - mine_values[2] < 0.5
    assert mine_values[3] < 0.5 * aa_values[3]

"""Tests of the IB critics: DV values against NumPy, the log-space moving average,
held-out pairings, and the AA-MINE copy that gradients never pass through."""

import math

import numpy as np
import pytest
import tensorflow as tf

from infodl.training.ib_critics import heldout_pairings
from infodl.training.ib_heldout import HeldOutEstimate
from tests.training.ib_problems import make_critics


def _log_mean_exp(values):
    values = np.asarray(values, np.float64)
    top = values.max()
    return top + math.log(np.mean(np.exp(values - top)))


def _assert_donsker_varadhan(bound, joint_scores, marginal_scores):
    """bound = mean D(joint) - log mean exp D(marginal), recomputed in NumPy."""
    np.testing.assert_allclose(float(bound), joint_scores.mean() - _log_mean_exp(
        marginal_scores), rtol=1e-5, atol=1e-6)


def _batch(seed=0, n=12, d=4, classes=3):
    rng = np.random.default_rng(seed)
    labels = np.eye(classes, dtype="float32")[rng.integers(0, classes, n)]
    return [tf.constant(a) for a in (labels, *(rng.normal(size=(n, d)).astype("float32")
                                               for _ in range(4)))]


def test_bounds_are_donsker_varadhan_of_the_critic_scores():
    critics = make_critics(4, 3, hidden_units=(8,), seed=0)
    labels, features, marginal, noise, marginal_noise = _batch()
    i_y, i_x = critics.bounds(labels, features, marginal, noise, marginal_noise)
    y_joint = critics.label_critic([labels, features]).numpy()
    y_marginal = critics.label_critic([labels, marginal]).numpy()
    x_joint = critics.input_critic([features, features + noise]).numpy()
    x_marginal = critics.input_critic([features, marginal + marginal_noise]).numpy()
    _assert_donsker_varadhan(i_y, y_joint, y_marginal)
    _assert_donsker_varadhan(i_x, x_joint, x_marginal)


def test_input_critic_gradient_reaches_the_layer_only_through_l_plus_noise():
    critics = make_critics(4, 3, hidden_units=(8,), seed=1)
    labels, features, marginal, noise, marginal_noise = _batch(1)
    with tf.GradientTape() as tape:
        tape.watch(features)
        _, i_x = critics.bounds(labels, features, marginal, noise, marginal_noise)
    gradient = tape.gradient(i_x, features).numpy()
    # By hand: only the second input [., L + eps] of the joint pairs depends on features.
    with tf.GradientTape() as tape:
        second = features + noise
        tape.watch(second)
        joint = critics.input_critic([tf.stop_gradient(features), second])
        value = tf.reduce_mean(joint)
    np.testing.assert_allclose(gradient, tape.gradient(value, second).numpy(), rtol=1e-5,
                               atol=1e-7)


def test_critic_step_keeps_the_moving_average_in_log_space():
    critics = make_critics(4, 3, hidden_units=(8,), seed=2, ema_decay=0.9)
    first, second = _batch(2), _batch(3)
    before = [critics.label_critic([first[0], first[2]]).numpy(),
              critics.input_critic([first[1], first[2] + first[4]]).numpy()]
    i_y, i_x = critics.critic_step(*first)
    log_first = np.array([_log_mean_exp(before[0]), _log_mean_exp(before[1])])
    np.testing.assert_allclose(critics.log_averages.numpy(), log_first, rtol=1e-5)
    assert np.isfinite(float(i_y)) and np.isfinite(float(i_x))
    after = [critics.label_critic([second[0], second[2]]).numpy(),
             critics.input_critic([second[1], second[2] + second[4]]).numpy()]
    critics.critic_step(*second)
    log_second = np.array([_log_mean_exp(after[0]), _log_mean_exp(after[1])])
    expected = np.log(0.9 * np.exp(log_first) + 0.1 * np.exp(log_second))
    np.testing.assert_allclose(critics.log_averages.numpy(), expected, rtol=1e-5)


def test_critic_step_returns_the_bounds_before_the_step():
    critics = make_critics(4, 3, hidden_units=(8,), seed=3)
    batch = _batch(4)
    expected = [float(v) for v in critics.bounds(*batch)]
    got = [float(v) for v in critics.critic_step(*batch)]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert [float(v) for v in critics.bounds(*batch)] != expected  # the critics moved


def test_heldout_pairings_never_pair_a_sample_with_itself():
    noise, marginal_noise, permutations = heldout_pairings(7, 3, 2.0, num_shuffles=5, seed=0)
    assert noise.shape == (7, 3) and marginal_noise.shape == (5, 7, 3)
    for row in permutations:
        assert sorted(row) == list(range(7)) and np.all(row != np.arange(7))

    # the noise of the joint and of the marginal pairs has std sigma = noise_std (2000
    # and 10 000 draws: a 5 % band is over 3 standard errors, and far from sigma^2 = 4
    # or sqrt(sigma) = 1.41)
    noise, marginal_noise, _ = heldout_pairings(500, 4, 2.0, num_shuffles=5, seed=0)
    assert np.std(noise) == pytest.approx(2.0, rel=0.05) and abs(np.mean(noise)) < 0.15
    assert np.std(marginal_noise) == pytest.approx(2.0, rel=0.03)
    assert abs(np.mean(marginal_noise)) < 0.1


def test_heldout_estimate_noise_has_the_variance_of_the_critics():
    """sigma^2 = 0.25: held-out noise of std 0.5 (not 0.25 = sigma^2, not 0.0625)."""
    critics = make_critics(4, 3, hidden_units=(8,), noise_variance=0.25, seed=0)
    inputs = np.random.default_rng(0).normal(size=(300, 4)).astype("float32")
    heldout = HeldOutEstimate(critics, lambda x, training=False: x, inputs,
                              np.arange(300) % 3, seed=0)
    assert np.std(heldout.noise.numpy()) == pytest.approx(0.5, rel=0.08)
    assert np.std(heldout.marginal_noise.numpy()) == pytest.approx(0.5, rel=0.05)


def test_heldout_bounds_match_numpy():
    critics = make_critics(4, 3, hidden_units=(8,), seed=4)
    labels, features, _, _, _ = _batch(5, n=10)
    noise, marginal_noise, permutations = heldout_pairings(10, 4, 1.0, 3, seed=1)
    i_y, i_x = critics.heldout_bounds(labels, features, noise, marginal_noise, permutations)
    f, y = features.numpy(), labels.numpy()
    y_marginal = np.concatenate([critics.label_critic([y, f[p]]).numpy() for p in permutations])
    x_marginal = np.concatenate([critics.input_critic([f, f[p] + m]).numpy()
                                 for p, m in zip(permutations, marginal_noise, strict=True)])
    y_joint = critics.label_critic([y, f]).numpy()
    x_joint = critics.input_critic([f, f + noise]).numpy()
    _assert_donsker_varadhan(i_y, y_joint, y_marginal)
    _assert_donsker_varadhan(i_x, x_joint, x_marginal)


def test_bad_arguments_raise_one_line_errors():
    with pytest.raises(ValueError, match="noise_variance > 0"):
        make_critics(4, 3, noise_variance=0.0)
    with pytest.raises(ValueError, match="num_classes >= 2"):
        make_critics(4, 1)


def test_each_critic_can_train_on_its_own_rows_of_a_batch():
    """critic_step(label_rows=8) on a batch of 24: D_y takes the step it takes on the
    first 8 rows alone, D_x the step it takes on all 24 (their weights after the step
    equal those of critics stepped on those batches), and the returned values are the DV
    bounds of those rows before the step."""
    rng = np.random.default_rng(0)
    labels = np.eye(3, dtype="float32")[rng.integers(0, 3, 24)]
    features, marginal, noise, marginal_noise = rng.normal(size=(4, 24, 5)).astype("float32")
    batch = (labels, features, marginal, noise, marginal_noise)
    first = tuple(part[:8] for part in batch)

    def fresh():
        return make_critics(5, 3, hidden_units=(16,), seed=4)

    expected_y = float(fresh().bounds(*first)[0])
    expected_x = float(fresh().bounds(*batch)[1])
    mixed, label_alone, input_alone = fresh(), fresh(), fresh()
    i_y, i_x = mixed.critic_step(*batch, label_rows=8)
    assert (float(i_y), float(i_x)) == pytest.approx((expected_y, expected_x), rel=1e-5)
    label_alone.critic_step(*first)
    input_alone.critic_step(*batch)
    for critic, alone in ((mixed.label_critic, label_alone.label_critic),
                          (mixed.input_critic, input_alone.input_critic)):
        for got, want in zip(critic.get_weights(), alone.get_weights(), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    assert not np.allclose(mixed.label_critic.get_weights()[0],
                           input_alone.label_critic.get_weights()[0])


def test_a_change_of_the_estimators_defaults_does_not_reach_the_ib(monkeypatch):
    """The IB critics pass every setting of the estimators' parts: with other defaults of
    `Critic` (negative slope, quadratic units) and `InputStandardizer` (mode, noise, log
    radius) the same IB settings build the same critics and input maps, whose scores and
    step agree to the bit."""
    from infodl.estimators.critic import Critic
    from infodl.estimators.input_standardizer import InputStandardizer

    features = np.random.default_rng(5).normal(2.0, 3.0, (40, 4)).astype("float32")

    def build_and_step():
        critics = make_critics(4, 3, hidden_units=(8,), seed=0, standardize="unit")
        critics.adapt(features)
        batch = _batch(seed=6)
        scores = [np.asarray(v) for v in critics.scores(*batch)]
        values = [float(v) for v in critics.critic_step(*batch)]
        configs = [layer.get_config() for layer in (critics.label_critic, critics.input_critic,
                                                    critics.clean_map, critics.noisy_map)]
        return scores, values, configs, critics.input_map()

    reference = build_and_step()
    monkeypatch.setattr(Critic.__init__, "__defaults__", ((5,), 0.5, None, 3, 2.0))
    monkeypatch.setattr(InputStandardizer.__init__, "__defaults__", ("gaussianize", 1.0, True))
    assert Critic().negative_slope == 0.5  # the new defaults do apply where not passed
    changed = build_and_step()
    for want, got in zip(reference[0], changed[0], strict=True):
        np.testing.assert_array_equal(want, got)
    assert reference[1:] == changed[1:]


@pytest.mark.parametrize("standardize", ["whiten", "gaussianize", "auto"])
def test_the_estimators_other_maps_train_and_come_back_from_the_history(standardize):
    """A non-scaling map (the estimators' names): its variables go to the history as
    lists and come back bit for bit; the compiled critic step runs on the mapped inputs
    and its D_y scores are those of the plain critic on the map's output."""
    features = np.random.default_rng(7).exponential(size=(200, 4)).astype("float32")
    critics = make_critics(4, 3, hidden_units=(8,), seed=0, standardize=standardize)
    critics.adapt(features)
    other = make_critics(4, 3, hidden_units=(8,), seed=0, standardize=standardize)
    other.set_input_map(critics.input_map())
    assert other.input_map() == critics.input_map()
    assert critics.input_map()["mode"] == standardize
    batch = _batch(seed=8)
    joint_y = np.asarray(critics.scores(*batch)[0])
    np.testing.assert_allclose(joint_y, np.asarray(critics.label_critic(
        [batch[0], critics.clean_map(batch[1])])), rtol=1e-6)
    values = tf.function(critics.critic_step)(*batch)
    assert all(np.isfinite(float(v)) for v in values)

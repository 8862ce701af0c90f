"""Critic (concatenation MLP, optional quadratic units) and MINE's quadratic companion."""

import numpy as np
import pytest

from infodl.estimators.critic import Critic
from infodl.estimators.critic_pair import COMPANION_QUADRATIC_UNITS
from infodl.estimators.mine import MINE
from infodl.estimators.separable_critic import SeparableCritic
from tests.estimators.backend_helpers import gradients


def leaky(values, slope):
    return np.where(values > 0, values, slope * values)


def test_scores_match_numpy_with_and_without_quadratic_units():
    rng = np.random.default_rng(0)
    s, t = rng.normal(size=(6, 2)).astype("float32"), rng.normal(size=(6, 3)).astype("float32")
    z = np.concatenate([s, t], axis=1).astype("float64")
    critic = Critic((5, 4), negative_slope=0.1, seed=0, quadratic_units=3)
    critic([s, t])
    (w1, b1), (w2, b2), (w3, b3) = (layer.get_weights() for layer in
                                    critic.hidden_layers + [critic.output_layer])
    hidden = leaky(leaky(z @ w1 + b1, 0.1) @ w2 + b2, 0.1)
    rng_q = np.random.default_rng(1)
    quadratic_kernel, quadratic_bias = critic.quadratic_layer.get_weights()
    weights = rng_q.normal(size=(3, 1)).astype("float32")
    critic.quadratic_output.set_weights([weights])  # zero at initialization
    expected = (hidden @ w3 + b3 + ((z @ quadratic_kernel + quadratic_bias) ** 2) @ weights)
    np.testing.assert_allclose(np.asarray(critic([s, t])), expected[:, 0], rtol=1e-4,
                               atol=1e-5)
    matrix = np.asarray(critic.pairwise_scores(s, t))
    assert matrix.shape == (6, 6)
    np.testing.assert_allclose(np.diag(matrix), np.asarray(critic([s, t])), rtol=1e-5,
                               atol=1e-6)
    clone = Critic.from_config(critic.get_config())
    assert clone.quadratic_units == 3 and clone.hidden_units == (5, 4)


def test_quadratic_only_critic_is_a_quadratic_form():
    """hidden_units=() and quadratic units: w.z + b + sum_k a_k (v_k.z + c_k)^2, so the
    score changes by a constant second difference along any line."""
    critic = Critic((), quadratic_units=4, seed=2)
    critic([np.zeros((1, 1), "float32"), np.zeros((1, 1), "float32")])
    critic.quadratic_output.set_weights([np.array([[1.0], [-0.5], [2.0], [0.3]], "float32")])
    line = np.linspace(-2, 2, 9, dtype="float32")[:, None]
    scores = np.asarray(critic([line, 0.5 * line + 1.0]), dtype="float64")
    second = np.diff(scores, 2)
    np.testing.assert_allclose(second, second[0], rtol=1e-3, atol=1e-4)


def test_quadratic_critic_pair_matrix_by_algebra_equals_every_pair_scored():
    rng = np.random.default_rng(5)
    s, t = rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=(7, 2)).astype("float32")
    critic = Critic((), quadratic_units=6, quadratic_scale=2.0, seed=4)
    assert critic.separable and not Critic((4,)).separable
    critic([s[:2], t[:2]])
    critic.quadratic_output.set_weights([rng.normal(size=(6, 1)).astype("float32")])
    brute = np.array([[float(np.asarray(critic([s[i:i + 1], t[j:j + 1]]))[0])
                       for j in range(7)] for i in range(5)])
    np.testing.assert_allclose(np.asarray(critic.pairwise_scores(s, t)), brute, rtol=1e-4,
                               atol=1e-4)


@pytest.mark.parametrize("bound, main", [("dv", Critic), ("nwj", Critic),
                                         ("infonce", SeparableCritic)])
def test_default_estimators_train_a_quadratic_companion(bound, main):
    mine = MINE(bound=bound, hidden_units=(8,), seed=0)
    assert len(mine.critics) == 2 and isinstance(mine.critic, main)
    assert isinstance(mine.companion, Critic) and mine.companion.hidden_units == ()
    assert mine.companion.quadratic_units == COMPANION_QUADRATIC_UNITS
    assert len(MINE(bound=bound, quadratic_companion=False).critics) == 1
    rng = np.random.default_rng(1)
    s, t = rng.normal(size=(32, 2)).astype("float32"), rng.normal(size=(32, 2)).astype("float32")
    # Both critics get gradients from the training surrogate (the sum of theirs).
    mine.lower_bound(s, t)  # builds
    variables = [mine.critic.trainable_variables[0], mine.companion.trainable_variables[0]]
    grads = gradients(lambda: mine.training_objective(s, t)[1], variables)
    assert all(np.linalg.norm(g) > 0 for g in grads)
    # `call`, `lower_bound` and `estimate` follow `selected_critic`.
    each = mine.estimate_each_critic(s, t, seed=3)
    assert mine.estimate(s, t, seed=3) == pytest.approx(each[0])
    mine.selected_critic.assign(1.0)
    assert mine.estimate(s, t, seed=3) == pytest.approx(each[1])
    np.testing.assert_allclose(np.asarray(mine((s, t))),
                               np.asarray(mine.companion(mine.critic_inputs(s, t))),
                               rtol=1e-5, atol=1e-6)


def test_custom_critics_get_no_companion_unless_asked():
    assert MINE(critic=Critic((4,))).companion is None
    assert MINE(critic=Critic((4,)), quadratic_companion=True).companion is not None

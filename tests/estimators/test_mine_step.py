"""The cheaper MINE training step (issue 19.2): the companion's and the separable
critic's DV / NWJ terms from the factors of their pair matrix, with a written-out
gradient, equal the matrix formula they replace (values, gradients, training)."""

import keras
import numpy as np
import pytest
from keras import ops

from infodl.estimators import mi_bounds
from infodl.estimators.critic import Critic, log_mean_exp_off_diagonal_product
from infodl.estimators.critic_pair import companion_critic
from infodl.estimators.mine import MINE
from infodl.estimators.separable_critic import SeparableCritic
from tests.estimators.backend_helpers import gradients
from tests.estimators.gaussian_pairs import correlated_gaussians


def numpy_log_mean_exp_off_diagonal(matrix):
    matrix = np.asarray(matrix, "float64")
    off = matrix[~np.eye(len(matrix), dtype=bool)]
    return np.log(np.mean(np.exp(off - off.max()))) + off.max()


def randomized(critic, shapes, seed):
    """`critic` built on `shapes`, every weight drawn N(0, 0.3^2) (the companion's
    quadratic weights start at 0, which would hide the quadratic terms)."""
    critic.build(shapes)
    rng = np.random.default_rng(seed)
    for variable in critic.trainable_variables:
        variable.assign(0.3 * rng.standard_normal(variable.shape).astype("float32"))
    return critic


def matrix_terms(critic, s, t):
    """The formula before the factors: (mean joint score, log mean e^D off-diagonal)."""
    matrix = critic.pairwise_scores(s, t)
    return ops.mean(ops.diagonal(matrix)), mi_bounds.log_mean_exp_off_diagonal(matrix)


def factor_terms(critic, s, t):
    left, right = critic.pairwise_factors(s, t)
    return ops.mean(ops.sum(left * right, axis=-1)), log_mean_exp_off_diagonal_product(
        left, right)


@pytest.mark.parametrize("make", [
    lambda: companion_critic(seed=3),
    lambda: Critic((), seed=3),
    lambda: SeparableCritic((16,), embedding_dim=8, seed=3),
])
def test_factors_give_the_matrix_formula_and_its_gradient(make):
    rng = np.random.default_rng(0)
    s = rng.standard_normal((48, 3)).astype("float32")
    t = rng.standard_normal((48, 2)).astype("float32")
    critic = randomized(make(), [(None, 3), (None, 2)], seed=1)
    left, right = critic.pairwise_factors(s, t)
    matrix = np.asarray(critic.pairwise_scores(s, t))
    np.testing.assert_allclose(np.asarray(left) @ np.asarray(right).T, matrix,
                               rtol=1e-5, atol=1e-4)
    joint, log_marginal = (float(v) for v in factor_terms(critic, s, t))
    np.testing.assert_allclose(joint, np.mean(np.diag(matrix)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(log_marginal, numpy_log_mean_exp_off_diagonal(matrix),
                               rtol=1e-5, atol=1e-5)

    def dv(terms):
        return lambda: terms(critic, s, t)[0] - terms(critic, s, t)[1]

    variables = critic.trainable_variables
    for new, old in zip(gradients(dv(factor_terms), variables),
                        gradients(dv(matrix_terms), variables), strict=True):
        np.testing.assert_allclose(new, old, rtol=1e-4, atol=1e-6)


def test_off_diagonal_log_mean_exp_holds_large_scores():
    """A diagonal far above the rest (high MI) never enters, and nothing overflows."""
    left = np.array([[30.0, 1.0], [0.0, 1.0], [-30.0, 1.0]], "float32")
    right = np.array([[3.0, 0.0], [0.0, 2.0], [-3.0, 0.0]], "float32")
    matrix = left @ right.T  # diagonal 90, 2, 90
    value = float(log_mean_exp_off_diagonal_product(left, right))
    np.testing.assert_allclose(value, numpy_log_mean_exp_off_diagonal(matrix), rtol=1e-6)


def test_training_follows_the_matrix_formula_step_for_step(monkeypatch):
    """Ten default DV steps (critic + companion) with the factors and with the matrix
    formula from the same seed end in the same weights and bound."""
    s, t = correlated_gaussians(512, 3, 1.0, seed=5)

    def trained(use_factors):
        if not use_factors:
            monkeypatch.delattr(Critic, "pairwise_factors")
        keras.utils.set_random_seed(0)
        mine = MINE(bound="dv", hidden_units=(32,), seed=7)
        mine.adapt(s, t)
        initial = [np.asarray(v) for v in mine.critic_pair.trainable_variables]
        # Plain SGD: each step moves the weights by lr x gradient, so the two paths agree
        # to rounding. (Adam divides by sqrt(v): a parameter whose gradient is rounding
        # noise, e.g. the companion's score bias, then steps by the full learning rate,
        # and a few hidden biases near zero gradient differed by up to 9 % in one run.)
        mine.compile(optimizer=keras.optimizers.SGD(0.1))
        history = mine.fit(s, t, batch_size=128, epochs=3, shuffle=False, verbose=0)
        monkeypatch.undo()
        return (initial, [np.asarray(v) for v in mine.critic_pair.trainable_variables],
                history.history["mi_nats"])

    (start, new_weights, new_bound), (_, old_weights, old_bound) = trained(True), trained(False)
    assert len(new_weights) == 4 + 5  # the critic (2 dense layers) and the companion
    moved = [np.max(np.abs(w - w0)) for w, w0 in zip(new_weights, start, strict=True)]
    assert max(moved) > 1e-2  # the twelve steps changed the critic: equality means something
    for new, old, step in zip(new_weights, old_weights, moved, strict=True):
        np.testing.assert_allclose(new, old, rtol=1e-4, atol=max(1e-6, 1e-3 * step))
    np.testing.assert_allclose(new_bound, old_bound, rtol=1e-4, atol=1e-5)


def test_factors_refuse_a_critic_with_hidden_layers():
    with pytest.raises(ValueError, match="without hidden layers"):
        Critic((4,), seed=0).pairwise_factors(np.zeros((2, 1)), np.zeros((2, 1)))

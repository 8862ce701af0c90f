"""SeparableCritic: scores f(s) . g(t) against NumPy, the score matrix, the bounds on it."""

import keras
import numpy as np
import pytest

from infodl.estimators import mi_bounds
from infodl.estimators.mine import MINE
from infodl.estimators.separable_critic import SeparableCritic


def numpy_encoder(layers, values, slope):
    """The encoder recomputed in NumPy from its Dense weights."""
    hidden = values.astype("float64")
    for index, layer in enumerate(layers):
        kernel, bias = (w.astype("float64") for w in layer.get_weights())
        hidden = hidden @ kernel + bias
        if index < len(layers) - 1:
            hidden = np.where(hidden > 0, hidden, slope * hidden)
    return hidden


def test_scores_and_matrix_match_numpy():
    rng = np.random.default_rng(0)
    s, t = rng.normal(size=(7, 3)).astype("float32"), rng.normal(size=(7, 2)).astype("float32")
    critic = SeparableCritic(hidden_units=(16, 8), embedding_dim=5, negative_slope=0.2, seed=1)
    matrix = np.asarray(critic.pairwise_scores(s, t))
    f = numpy_encoder(critic.first_encoder, s, 0.2)
    g = numpy_encoder(critic.second_encoder, t, 0.2)
    assert f.shape == (7, 5) and g.shape == (7, 5)
    np.testing.assert_allclose(matrix, f @ g.T, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(critic([s, t])), np.diag(f @ g.T), rtol=1e-4, atol=1e-5)
    assert critic.compute_output_shape([(7, 3), (7, 2)]) == (7,)


def test_log_mean_exp_off_diagonal_matches_numpy():
    rng = np.random.default_rng(1)
    matrix = rng.normal(size=(6, 6)) * 3
    off = matrix[~np.eye(6, dtype=bool)]
    np.testing.assert_allclose(float(mi_bounds.log_mean_exp_off_diagonal(matrix)),
                               np.log(np.mean(np.exp(off))), rtol=1e-6)
    huge = np.full((3, 3), 900.0, "float32")  # e^900 overflows float64
    assert float(mi_bounds.log_mean_exp_off_diagonal(huge)) == pytest.approx(900.0, rel=1e-6)


@pytest.mark.parametrize("bound", ["dv", "nwj", "infonce"])
def test_bounds_use_every_off_diagonal_pair_as_a_marginal_sample(bound):
    rng = np.random.default_rng(2)
    s, t = rng.normal(size=(9, 2)).astype("float32"), rng.normal(size=(9, 2)).astype("float32")
    mine = MINE(critic="separable", bound=bound, hidden_units=(8,), embedding_dim=4, seed=0)
    value = float(mine.lower_bound(s, t))
    matrix = np.asarray(mine.critic.pairwise_scores(*mine.critic_inputs(s, t)), "float64")
    joint, off = np.diag(matrix), matrix[~np.eye(9, dtype=bool)]
    expected = {
        "dv": joint.mean() - np.log(np.mean(np.exp(off))),
        "nwj": joint.mean() - np.mean(np.exp(off - 1.0)),
        "infonce": np.mean(joint - np.log(np.mean(np.exp(matrix), axis=1))),
    }[bound]
    np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6)
    # The held-out estimate of a separable critic also averages over all i != j.
    np.testing.assert_allclose(mine.estimate(s, t, batch_size=9), expected, rtol=1e-5,
                               atol=1e-6)


def test_default_critic_per_bound_and_config_round_trip():
    assert isinstance(MINE(bound="infonce").critic, SeparableCritic)
    assert not isinstance(MINE(bound="dv").critic, SeparableCritic)
    assert isinstance(MINE(bound="dv", critic="separable").critic, SeparableCritic)
    critic = SeparableCritic((8, 4), embedding_dim=3, negative_slope=0.1, seed=2)
    clone = SeparableCritic.from_config(critic.get_config())
    assert (clone.hidden_units, clone.embedding_dim, clone.negative_slope, clone.seed) == (
        (8, 4), 3, 0.1, 2)
    mine = MINE(critic="separable", bound="nwj", hidden_units=(6,), embedding_dim=2, seed=1)
    copy = MINE.from_config(mine.get_config())
    assert isinstance(copy.critic, SeparableCritic) and copy.critic.embedding_dim == 2
    with pytest.raises(ValueError, match="embedding_dim"):
        SeparableCritic(embedding_dim=0)
    with pytest.raises(ValueError, match="critic in"):
        MINE(critic="bilinear")
    assert isinstance(keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(critic)), SeparableCritic)

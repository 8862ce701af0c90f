"""MINE's log-radius feature (issue 33, point 4): each side gets one more input,
log(1 + |(x - mean) / std|^2), a function of x (so I is unchanged) on which the
dependence of heavy-tailed joints lives. Checked against NumPy, for files that predate
it, and (slow) on the Student-t task it was added for; its statistics through save and
load in test_standardization.py (`test_auto_choice_survives_save_and_load`)."""

import keras
import numpy as np
import pytest
from keras import ops

from benchmarks.beyond_normal_tasks import TASKS
from infodl.estimators import input_standardizer
from infodl.estimators.aa_mine import ArchitectureAwareMINE
from infodl.estimators.input_standardizer import InputStandardizer, with_log_radius
from infodl.estimators.mine import MINE
from infodl.estimators.standardization import gaussianized, standardized
from tests.estimators.gaussian_pairs import correlated_gaussians
from tests.estimators.test_standardization import traced


def numpy_log_radius(values):
    center, scale = values.mean(axis=0), values.std(axis=0)
    return np.log1p((((values - center) / scale) ** 2).sum(axis=1))


def shifted_samples(num=3000, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_t(3, (num, 3)) * [1.0, 5.0, 0.2] + [2.0, -1.0, 0.0]).astype("float32")


def test_appended_feature_is_the_log_radius_of_the_scaled_features():
    values = shifted_samples()
    standardizer = InputStandardizer("none", log_radius=True)
    standardizer.adapt(values)
    mapped = np.asarray(standardizer(values))
    assert mapped.shape == (3000, 4)
    np.testing.assert_array_equal(mapped[:, :3], values)
    np.testing.assert_allclose(mapped[:, 3], numpy_log_radius(values.astype("float64")),
                               rtol=1e-5, atol=1e-5)


def test_with_log_radius_matches_numpy_for_given_center_and_scale():
    values = shifted_samples(50, seed=1)
    center, scale = np.array([1.0, 2.0, 3.0]), np.array([0.5, 2.0, 4.0])
    expected = np.log1p((((values - center) / scale) ** 2).sum(axis=1))
    np.testing.assert_allclose(np.asarray(with_log_radius(values, center, scale))[:, 3],
                               expected, rtol=1e-5)


@pytest.mark.parametrize("mode", ["whiten", "auto"])
def test_whitened_output_has_identity_covariance_on_d_plus_one_features(mode):
    values = shifted_samples(seed=2)
    standardizer = InputStandardizer(mode, log_radius=True)
    standardizer.adapt(values)
    mapped = np.asarray(standardizer(values), "float64")
    assert standardizer.compute_output_shape((None, 3)) == (None, 4)
    np.testing.assert_allclose(np.cov(mapped, rowvar=False), np.eye(4), atol=2e-3)


def features_and_radius(kind, num=3000, seed=3):
    """(n, 3) samples: Gaussian (only the radius column is mapped by "auto"), or with
    a Student-t first feature (a feature and the radius are mapped)."""
    rng = np.random.default_rng(seed)
    values = rng.standard_normal((num, 3))
    if kind == "t feature":
        values[:, 0] = rng.standard_t(1, num)
    return values.astype("float32")


@pytest.mark.parametrize("kind, widths", [("gaussian", [1]), ("t feature", [3, 1])])
def test_auto_maps_features_and_radius_apart_with_the_numbers_of_the_whole_map(
        monkeypatch, kind, widths):
    """The quantile map runs on the features only when one of them is chosen and on the
    radius column alone otherwise (Gaussian features skip it, as without the radius);
    the map is per column, so the output is that of the whole (d + 1)-column map: bit for
    bit eagerly and under tf.function, within float32 rounding under jax.jit (XLA fuses
    the two shapes differently)."""
    values = features_and_radius(kind)
    standardizer = InputStandardizer("auto", log_radius=True)
    standardizer.adapt(values)
    chosen = np.asarray(standardizer.gaussianized_features) > 0.5
    assert chosen[-1] and chosen[:-1].any() == (kind != "gaussian")

    def whole_map(x):  # the (d + 1) columns through one `where`, as before the split
        x = with_log_radius(x, standardizer.radius_center, standardizer.radius_scale)
        x = ops.where(chosen, gaussianized(x, standardizer.knots), x)
        return standardized(x, standardizer.shift, standardizer.transform)

    probe = np.concatenate([values, 4 * features_and_radius("t feature", 500, seed=4)])
    mapped_widths = []

    def recording(x, knots):
        mapped_widths.append(int(x.shape[1]))
        return gaussianized(x, knots)

    monkeypatch.setattr(input_standardizer, "gaussianized", recording)
    np.testing.assert_array_equal(np.asarray(standardizer(probe)), np.asarray(whole_map(probe)))
    assert mapped_widths == widths
    got, expected = (np.asarray(traced(function)(probe)) for function in (standardizer,
                                                                          whole_map))
    if keras.backend.backend() == "jax":
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_array_equal(got, expected)


def test_bad_arguments_are_refused_in_one_line():
    with pytest.raises(ValueError, match="Expected log_radius to be True or False"):
        InputStandardizer("whiten", log_radius="yes")
    with pytest.raises(ValueError, match="Expected log_radius=False with noise_variance"):
        InputStandardizer("whiten", noise_variance=2.0, log_radius=True)
    with pytest.raises(ValueError, match="Expected log_radius to be True or False"):
        MINE(log_radius=1)


def test_mine_default_gives_each_side_one_more_critic_input():
    s, t = correlated_gaussians(200, 3, 0.5, seed=0)
    mine = MINE(hidden_units=(8,), seed=0)
    assert mine.log_radius
    mine.adapt(s, t[:, :2])
    first, second = (np.asarray(v) for v in mine.critic_inputs(s, t[:, :2]))
    assert first.shape == (200, 4) and second.shape == (200, 3)
    plain = MINE(hidden_units=(8,), seed=0, log_radius=False)
    plain.adapt(s, t[:, :2])
    assert [np.asarray(v).shape[1] for v in plain.critic_inputs(s, t[:, :2])] == [3, 2]


def test_a_given_critic_layer_sees_the_inputs_own_widths_unless_asked():
    from infodl.estimators.critic import Critic
    assert not MINE(critic=Critic((4,))).log_radius
    assert MINE(critic=Critic((4,)), log_radius=True).log_radius
    assert MINE(critic="separable").log_radius and MINE(critic="concat").log_radius


def test_aa_mine_keeps_the_papers_inputs_unless_asked():
    network = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="hidden")])
    assert not ArchitectureAwareMINE(network, "hidden").log_radius
    assert ArchitectureAwareMINE(network, "hidden", log_radius=True).log_radius


def test_a_config_without_the_key_is_a_mine_fitted_without_the_radius():
    config = MINE(hidden_units=(8,)).get_config()
    assert config["log_radius"] is True
    del config["log_radius"]
    assert MINE.from_config(config).log_radius is False


@pytest.mark.slow
def test_default_mine_finds_the_t_dependence_that_the_coordinates_hide():
    """Student-t 5 x 5, nu = 3 (I = 0.299 nats), N = 5 000 of a seed outside the suite's:
    the default (with the radius) within max(10 %, 0.1 nats), without it far below
    (0.03-0.06 on the suite's seeds 0-9)."""
    task = TASKS["Student-t 5x5 nu=3"]
    x, y = task.sample(5000, 101)
    values = {}
    for log_radius in (True, False):
        keras.utils.set_random_seed(3)
        values[log_radius] = MINE(bound="dv", log_radius=log_radius).fit_estimate(
            x, y, verbose=0)
    print(f"t 5x5 nu=3: {values[True]:.3f} with the radius, {values[False]:.3f} without "
          f"(truth {task.truth:.3f})")
    assert abs(values[True] - task.truth) <= max(0.1 * task.truth, 0.1)
    assert values[False] < task.truth - 0.15

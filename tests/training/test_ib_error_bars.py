"""Tests of the error-bar points: one estimator per term, fit_estimate(restarts=k) / last_fit."""

import math
import types

import keras
import numpy as np
import pytest

from infodl.seeds import derive_seed
from infodl.training import ib_error_bars


class _WithRestarts:
    built = []

    def __init__(self, *args, seed=0, standardize="whiten", **kwargs):
        self.seed = seed
        assert standardize == "gaussianize"  # the error bars' default input map
        self.built.append(seed)

    def fit_estimate(self, *data, steps=None, restarts=1, verbose=0):
        values = [1.0 + 0.5 * r for r in range(restarts)]
        self.last_fit = types.SimpleNamespace(std=float(np.std(values, ddof=1)),
                                              values=tuple(values))
        return float(np.mean(values))


def test_mean_and_spread_in_bits(monkeypatch):
    """Values 1.0, 1.5, 2.0 nats: mean 1.5, std (ddof 1) 0.5, each / ln 2 in bits."""
    mean, std = 1.5, 0.5
    _WithRestarts.built = []
    monkeypatch.setattr(ib_error_bars, "MINE", _WithRestarts)
    monkeypatch.setattr(ib_error_bars, "ArchitectureAwareMINE", _WithRestarts)
    inputs = keras.Input((3,))
    network = keras.Model(inputs, keras.layers.Dense(2, name="hidden_1")(inputs))
    point = ib_error_bars.error_bar_point(network, "hidden_1", np.ones((6, 3)),
                                          np.arange(6) % 2, 2, 2.0, restarts=3, steps=5)
    for key in ("I_X", "I_Y"):
        assert point[f"{key}_bits"] == pytest.approx(mean / math.log(2))
        assert point[f"{key}_std_bits"] == pytest.approx(std / math.log(2))
        assert np.median(point[f"{key}_values_bits"]) == pytest.approx(mean / math.log(2))
        assert len(point[f"{key}_values_bits"]) == 3
    # One estimator per term (its restarts are fit_estimate's), seeded from the run seed.
    assert _WithRestarts.built == [derive_seed(0, "ib_error_bar_label", 0),
                                   derive_seed(0, "ib_error_bar_input", 0)]


class _Recording:
    """A stub estimator that records what it was built with and fitted on, and returns
    `values` (nats) for its restarts: MINE's and AA-MINE's differ."""

    def __init__(self, values, *args, **kwargs):
        self.values, self.args, self.kwargs, self.data = values, args, kwargs, None

    def fit_estimate(self, *data, steps=None, restarts=1, verbose=0, **settings):
        self.data, self.steps, self.restarts = data, steps, restarts
        self.verbose, self.settings = verbose, settings
        values = self.values[:restarts]
        self.last_fit = types.SimpleNamespace(std=float(np.std(values, ddof=1)),
                                              values=tuple(values))
        return float(np.mean(values))


def test_each_term_has_its_estimator_inputs_and_noise(monkeypatch):
    """I(Y; L): MINE on (one-hot y, the layer's output); I(X; L + eps): AA-MINE on the
    images, through the network's layers, with eps of variance sigma^2 (not sigma)."""
    built = {}

    def mine(*args, **kwargs):
        built["mine"] = _Recording([0.25, 0.75, 0.5], *args, **kwargs)
        return built["mine"]

    def aa_mine(*args, **kwargs):
        built["aa_mine"] = _Recording([3.0, 5.0, 7.0], *args, **kwargs)
        return built["aa_mine"]

    monkeypatch.setattr(ib_error_bars, "MINE", mine)
    monkeypatch.setattr(ib_error_bars, "ArchitectureAwareMINE", aa_mine)
    inputs = keras.Input((3,))
    network = keras.Model(inputs, keras.layers.Dense(2, name="hidden_1")(inputs))
    images = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")
    labels = np.array([0, 2, 1, 2, 0, 1])
    point = ib_error_bars.error_bar_point(network, "hidden_1", images, labels, 3,
                                          noise_variance=0.3, restarts=3, steps=7, seed=4)
    bits = math.log(2)
    assert point["I_Y_bits"] == pytest.approx(0.5 / bits)
    assert point["I_Y_std_bits"] == pytest.approx(0.25 / bits)
    assert point["I_X_bits"] == pytest.approx(5.0 / bits)
    assert point["I_X_std_bits"] == pytest.approx(2.0 / bits)
    assert point["I_X_values_bits"] == pytest.approx([3.0 / bits, 5.0 / bits, 7.0 / bits])

    label_fit, input_fit = built["mine"], built["aa_mine"]
    kernel, bias = (np.asarray(w, np.float64) for w in network.get_layer("hidden_1").weights)
    one_hot, features = label_fit.data
    np.testing.assert_array_equal(one_hot, np.eye(3)[labels])
    np.testing.assert_allclose(features, images @ kernel + bias, rtol=1e-5, atol=1e-6)
    assert len(input_fit.data) == 1
    np.testing.assert_array_equal(input_fit.data[0], images)  # the images, not the features
    assert input_fit.args == (network,) and input_fit.kwargs["layer"] == "hidden_1"
    assert input_fit.kwargs["noise_variance"] == 0.3  # sigma^2 as given
    assert label_fit.kwargs["seed"] == derive_seed(4, "ib_error_bar_label", 0)
    assert input_fit.kwargs["seed"] == derive_seed(4, "ib_error_bar_input", 0)
    assert (label_fit.steps, label_fit.restarts) == (input_fit.steps, input_fit.restarts) == (7, 3)


def _stubbed(monkeypatch):
    """Both estimators replaced by `_Recording` stubs; returns {"mine": ..., "aa_mine": ...}."""
    built = {}

    def make(key, values):
        def build(*args, **kwargs):
            built[key] = _Recording(values, *args, **kwargs)
            return built[key]
        return build

    monkeypatch.setattr(ib_error_bars, "MINE", make("mine", [0.25, 0.75]))
    monkeypatch.setattr(ib_error_bars, "ArchitectureAwareMINE", make("aa_mine", [3.0, 5.0]))
    return built


def _network():
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Dense(2, name="hidden_1")(inputs))


def test_fit_settings_reach_both_fits(monkeypatch):
    """The further `fit_estimate` arguments go to both estimators' fits, beside the
    point's own steps, restarts and verbose; None gives neither fit any."""
    built = _stubbed(monkeypatch)
    network, images = _network(), np.random.default_rng(0).normal(size=(6, 3))
    fit_settings = {"eval_every": 7, "patience": 2, "min_delta": 0.0, "batch_size": 16}
    ib_error_bars.error_bar_point(network, "hidden_1", images, np.arange(6) % 2, 2, 1.0,
                                  restarts=2, steps=28, verbose=1, fit_settings=fit_settings)
    for key in ("mine", "aa_mine"):
        fit = built[key]
        assert (fit.steps, fit.restarts, fit.verbose) == (28, 2, 1)
        assert fit.settings == fit_settings and fit.settings is not fit_settings
    ib_error_bars.error_bar_point(network, "hidden_1", images, np.arange(6) % 2, 2, 1.0,
                                  restarts=2, steps=28)
    assert built["mine"].settings == built["aa_mine"].settings == {}


@pytest.mark.parametrize("fit_settings, message", [
    ({"evaluate_every": 7},
     r"^Expected fit_settings keys among \(steps, batch_size, .*\)\. "
     r"Received: fit_settings=\{'evaluate_every': 7\}$"),
    ({"restarts": 3, "steps": 9, "patience": 2},
     r"^Expected fit_settings without steps, restarts \(set by their own arguments\)"),
    ({"min_delta": -1.0}, r"^Expected min_delta >= 0"),
])
def test_bad_fit_settings_fail_before_any_fit(monkeypatch, fit_settings, message):
    built = _stubbed(monkeypatch)
    with pytest.raises(ValueError, match=message):
        ib_error_bars.error_bar_point(_network(), "hidden_1", np.ones((6, 3)),
                                      np.arange(6) % 2, 2, 1.0, restarts=2, steps=28,
                                      fit_settings=fit_settings)
    assert not built  # no estimator was built

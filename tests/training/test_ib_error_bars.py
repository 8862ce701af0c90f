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

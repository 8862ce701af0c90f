"""Tests of the error-bar points: fit_estimate(restarts=k) / last_fit, or k fits without it."""

import math
import types

import keras
import numpy as np
import pytest

from infodl.training import ib_error_bars


class _WithRestarts:
    def __init__(self, *args, seed=0, standardize="whiten", **kwargs):
        self.seed = seed
        assert standardize == "gaussianize"  # the error bars' default input map

    def fit_estimate(self, *data, steps=None, restarts=1, verbose=0):
        values = [1.0 + 0.5 * r for r in range(restarts)]
        self.last_fit = types.SimpleNamespace(std=float(np.std(values, ddof=1)),
                                              values=tuple(values))
        return float(np.mean(values))


class _WithoutRestarts:
    def __init__(self, *args, seed=0, **kwargs):
        self.seed = seed

    def fit_estimate(self, *data, steps=None, verbose=0):
        return 2.0 + (self.seed % 7919) * 0.0 + 0.25 * (self.seed // 7919)


@pytest.mark.parametrize("estimator, mean, std", [
    (_WithRestarts, 1.5, 0.5), (_WithoutRestarts, 2.25, 0.25)])
def test_mean_and_spread_in_bits(monkeypatch, estimator, mean, std):
    monkeypatch.setattr(ib_error_bars, "MINE", estimator)
    monkeypatch.setattr(ib_error_bars, "ArchitectureAwareMINE", estimator)
    inputs = keras.Input((3,))
    network = keras.Model(inputs, keras.layers.Dense(2, name="hidden_1")(inputs))
    point = ib_error_bars.error_bar_point(network, "hidden_1", np.ones((6, 3)),
                                          np.arange(6) % 2, 2, 2.0, restarts=3, steps=5)
    for key in ("I_X", "I_Y"):
        assert point[f"{key}_bits"] == pytest.approx(mean / math.log(2))
        assert point[f"{key}_std_bits"] == pytest.approx(std / math.log(2))
        assert np.median(point[f"{key}_values_bits"]) == pytest.approx(mean / math.log(2))
        assert len(point[f"{key}_values_bits"]) == 3

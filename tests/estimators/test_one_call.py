"""One call for every estimator: `fit_estimate(x, y)` returns an `Estimate` (issue 33.2)."""

import inspect
import math
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest
from scipy.special import logsumexp

from infodl import estimators
from infodl.estimators import BinningEstimator, Estimate, KDEEstimator

ROOT = str(pathlib.Path(__file__).resolve().parents[2])
# Exported classes that are parts of an estimator or its results, not estimators.
PARTS = {"Critic", "SeparableCritic", "CriticPair", "InputStandardizer", "PairSampler",
         "LayerPairSampler", "FitResult", "Estimate"}
# The short fits below are not meant to converge: their trust warning is expected.
pytestmark = pytest.mark.filterwarnings("ignore:MINE estimate")
FAST_MINE_FIT = {"steps": 200, "batch_size": 64, "eval_every": 50, "verbose": 0}


def _pairs(num=1500, rho=0.9, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((num, 1)).astype("float32")
    return x, (rho * x + math.sqrt(1 - rho**2) * rng.standard_normal((num, 1))).astype("float32")


def _aa_mine():
    network = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, name="dense_1")])
    return estimators.ArchitectureAwareMINE(network, "dense_1", noise_variance=0.1,
                                            hidden_units=(8,), seed=0)


# Each estimator class of the package, built cheaply, with the fit arguments that keep
# the test fast (the call itself is `fit_estimate(x, y)` for every one of them).
FACTORIES = {
    "BinningEstimator": lambda x: (BinningEstimator(num_bins=10, bin_range="adaptive"), {}),
    "KDEEstimator": lambda x: (KDEEstimator(noise_variance=0.05), {}),
    "KSGEstimator": lambda x: (estimators.KSGEstimator(), {}),
    "GaussianCopulaEstimator": lambda x: (estimators.GaussianCopulaEstimator(), {}),
    "MINE": lambda x: (estimators.MINE(hidden_units=(8,), seed=0), FAST_MINE_FIT),
    "ArchitectureAwareMINE": lambda x: (_aa_mine(), FAST_MINE_FIT),
    "MINELayerEstimator": lambda x: (estimators.MINELayerEstimator(
        x, steps=200, hidden_units=(8,), batch_size=64), {}),
}


def test_every_exported_estimator_class_has_a_factory_here():
    classes = {name for name in estimators.__all__
               if inspect.isclass(getattr(estimators, name))}
    assert classes - PARTS == set(FACTORIES)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_fit_estimate_returns_an_estimate(name):
    x, y = _pairs()  # I = -1/2 log(1 - 0.81) = 0.830 nats
    estimator, settings = FACTORIES[name](x)
    value = estimator.fit_estimate(x, y, **settings)
    assert isinstance(value, Estimate) and math.isfinite(value)
    assert isinstance(value.std, float) and isinstance(value.reason, str)
    assert value.trusted == (value.reason == "")
    assert 0.1 < value < 2.0, float(value)  # each finds the dependence (truth 0.83)


def test_estimate_imports_without_tensorflow():
    code = ("import sys\nfrom infodl.estimators import Estimate\n"
            "value = Estimate(0.5, std=0.1)\nassert value + 1 == 1.5 and value.trusted\n"
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    assert result.stdout.strip().splitlines()[-1] == "False False"


def _plug_in_mi(first, second):
    def entropy(ids):
        p = np.unique(ids, return_counts=True, axis=0)[1] / len(ids)
        return -np.sum(p * np.log(p))
    return entropy(first) + entropy(second) - entropy(np.stack([first, second], axis=1))


def test_binning_fit_estimate_is_the_plug_in_mi_of_the_bins():
    x, y = _pairs(5000)
    x, y = np.tanh(x), np.tanh(y)
    edges = np.linspace(-1, 1, 30)
    expected = _plug_in_mi(np.digitize(x[:, 0], edges), np.digitize(y[:, 0], edges))
    value = BinningEstimator().fit_estimate(x, y)
    assert abs(value - expected) < 1e-12 and value.trusted
    # x = y: I = H(X_b), which `entropy` gives in bits
    assert abs(BinningEstimator().fit_estimate(x, x) / np.log(2)
               - BinningEstimator().entropy(x)) < 1e-12


def test_binning_fit_estimate_flags_one_sample_per_bin():
    x, y = _pairs(40)
    value = BinningEstimator(num_bins=30, bin_range="adaptive").fit_estimate(x, y)
    assert not value.trusted and "occupied joint bins" in value.reason


def test_kde_fit_estimate_against_numpy_and_the_information_plane():
    x, y = _pairs(300)
    x, y = x.astype("float64"), y.astype("float64")
    sigma2 = 0.1

    def mixture_term(values):
        squared = ((values[:, None, :] - values[None, :, :]) ** 2).sum(-1)
        return np.log(len(values)) - np.mean(logsumexp(-squared / (2 * sigma2), axis=1))

    expected = mixture_term(x) + mixture_term(y) - mixture_term(np.hstack([x, y]))
    estimator = KDEEstimator(noise_variance=sigma2, units="nats")
    assert abs(estimator.fit_estimate(x, y) - expected) < 1e-10
    labels = np.arange(300) % 3
    far_apart = 100.0 * np.eye(3)[labels]  # one-hot rows, far apart relative to sigma
    assert abs(estimator.fit_estimate(x, far_apart)
               - estimator.information(x, labels)[1]) < 1e-10


@pytest.mark.parametrize("name", ["BinningEstimator", "KDEEstimator"])
def test_information_plane_methods_stay(name):
    estimator = FACTORIES[name](None)[0]
    hidden, labels = np.array([[0.1], [0.1], [0.9], [0.9]]), np.array([0, 0, 1, 1])
    assert estimator.information_per_layer([hidden], labels).shape == (1, 2)


def test_mine_estimate_keeps_its_meaning():
    """`MINE.estimate` is the bound of the trained critic on the given pairs (no fit):
    two calls with the same marginal seed agree and leave the weights unchanged."""
    x, y = _pairs(400)
    mine = estimators.MINE(hidden_units=(8,), seed=0)
    mine.fit_estimate(x, y, **FAST_MINE_FIT)
    weights = [w.copy() for w in mine.get_weights()]
    first, again = mine.estimate(x, y, seed=1), mine.estimate(x, y, seed=1)
    assert isinstance(first, float) and not isinstance(first, Estimate) and first == again
    for before, after in zip(weights, mine.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)

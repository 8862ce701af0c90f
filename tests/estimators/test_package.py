"""The estimators package: every public name is exported, NumPy users never load TF."""

import importlib
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from infodl import estimators

ROOT = str(pathlib.Path(__file__).resolve().parents[2])


def _last_line_in_fresh_python(code):
    """The last line `code` prints in a new interpreter (nothing imported before it)."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    return result.stdout.strip().splitlines()[-1]


def test_numpy_estimators_do_not_import_tensorflow():
    code = ("import sys, infodl.estimators, infodl.estimators.binning, infodl.estimators.kde\n"
            "import infodl.estimators.layer_estimator\n"
            "from infodl.estimators import BinningEstimator, KDEEstimator, information_constraint\n"
            "from infodl.estimators import GaussianCopulaEstimator\n"
            "import numpy as np\n"
            "x = np.random.default_rng(0).standard_normal((500, 2))\n"
            "assert GaussianCopulaEstimator().fit_estimate(x, x[:, :1] + x[:, 1:]) > 0.3\n"
            "print(sorted(m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules))")
    assert _last_line_in_fresh_python(code) == "[]"


def test_every_public_name_resolves_to_its_module_object():
    from infodl.estimators import (
        aa_mine,
        binning,
        critic,
        critic_pair,
        estimate,
        fit_result,
        gaussian_copula,
        input_standardizer,
        kde,
        ksg,
        layer_estimator,
        layer_pair_sampler,
        mi_bounds,
        mine,
        pair_sampler,
        separable_critic,
    )
    prediction = importlib.import_module("infodl.estimators.prediction_information")
    expected = {
        "BinningEstimator": binning.BinningEstimator,
        "KDEEstimator": kde.KDEEstimator,
        "KSGEstimator": ksg.KSGEstimator,
        "GaussianCopulaEstimator": gaussian_copula.GaussianCopulaEstimator,
        "MINE": mine.MINE,
        "ArchitectureAwareMINE": aa_mine.ArchitectureAwareMINE,
        "Critic": critic.Critic,
        "SeparableCritic": separable_critic.SeparableCritic,
        "CriticPair": critic_pair.CriticPair,
        "InputStandardizer": input_standardizer.InputStandardizer,
        "PairSampler": pair_sampler.PairSampler,
        "LayerPairSampler": layer_pair_sampler.LayerPairSampler,
        "FitResult": fit_result.FitResult,
        "Estimate": estimate.Estimate,
        "MINELayerEstimator": layer_estimator.MINELayerEstimator,
        "donsker_varadhan": mi_bounds.donsker_varadhan,
        "nguyen_wainwright_jordan": mi_bounds.nguyen_wainwright_jordan,
        "info_nce": mi_bounds.info_nce,
        "prediction_information": prediction,  # the module, not shadowed by its function
        "input_prediction_information": prediction.input_prediction_information,
        "label_prediction_information": prediction.label_prediction_information,
        "information_constraint": prediction.information_constraint,
    }
    assert set(estimators.__all__) == set(expected)
    for name, value in expected.items():
        assert getattr(estimators, name) is value
    assert set(expected) <= set(dir(estimators))


def test_prediction_information_module_is_not_shadowed():
    """`estimators.prediction_information` is the module (its function of the same name is
    reached through it); the function gives the NumPy value of P2 Prop. 2.1-2.2."""
    module = sys.modules["infodl.estimators.prediction_information"]
    assert estimators.prediction_information is module
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    labels = np.array([0, 1, 1])
    info = estimators.prediction_information.prediction_information(probabilities, labels)
    marginal = probabilities.mean(axis=0)
    input_nats = np.mean(np.sum(probabilities * np.log(probabilities / marginal), axis=1))
    joint = np.stack([probabilities[labels == y].sum(axis=0) for y in (0, 1)]) / 3
    label_nats = np.sum(joint * np.log(joint / np.outer(joint.sum(1), joint.sum(0))))
    assert info["I_X_Yhat_nats"] == pytest.approx(input_nats, rel=1e-12)
    assert info["I_Y_Yhat_nats"] == pytest.approx(label_nats, rel=1e-12)
    assert estimators.input_prediction_information(probabilities) == pytest.approx(input_nats)


def test_neural_estimators_do_not_import_tensorflow_under_jax():
    """Under KERAS_BACKEND=jax the neural estimators load no TensorFlow at all."""
    pytest.importorskip("jax")
    code = ("import os, sys\nos.environ['KERAS_BACKEND'] = 'jax'\n"
            "import infodl.estimators.mine, infodl.estimators.aa_mine\n"
            "import infodl.estimators.mi_bounds\n"
            "import infodl.estimators.separable_critic\n"
            "print('tensorflow' in sys.modules)")
    assert _last_line_in_fresh_python(code) == "False"


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Mine'"):
        estimators.Mine  # noqa: B018

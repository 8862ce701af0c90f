"""The estimators package: every public name is exported, NumPy users never load TF."""

import importlib
import pathlib
import subprocess
import sys

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
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    assert _last_line_in_fresh_python(code) == "[]"


def test_every_public_name_resolves_to_its_module_object():
    from infodl.estimators import (aa_mine, binning, critic, fit_result, kde, layer_estimator,
                                   mi_bounds, mine, separable_critic)
    prediction = importlib.import_module("infodl.estimators.prediction_information")
    expected = {
        "BinningEstimator": binning.BinningEstimator,
        "KDEEstimator": kde.KDEEstimator,
        "MINE": mine.MINE,
        "ArchitectureAwareMINE": aa_mine.ArchitectureAwareMINE,
        "Critic": critic.Critic,
        "SeparableCritic": separable_critic.SeparableCritic,
        "FitResult": fit_result.FitResult,
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
    import infodl.estimators.prediction_information as module
    assert module.prediction_information is estimators.prediction_information.prediction_information
    assert callable(estimators.input_prediction_information)


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

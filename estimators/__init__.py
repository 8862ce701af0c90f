"""Mutual-information estimators (SPEC §6) and the prediction information of P2 (§3).

NumPy estimators (imported eagerly, no TensorFlow):
    BinningEstimator, KDEEstimator, input_prediction_information,
    label_prediction_information, information_constraint; the function
    `prediction_information` (all three at once) stays in its module of the same name,
    `estimators.prediction_information`, so that the package attribute of that name is
    the module and `import estimators.prediction_information as m` keeps working.
Neural estimators (Keras models, TensorFlow or JAX backend; imported on first
access, so that `from estimators import BinningEstimator` does not load a backend):
    MINE, ArchitectureAwareMINE, Critic, SeparableCritic, FitResult (what
    `fit_estimate` measured, `MINE.last_fit`), and the bound functions
    donsker_varadhan, nguyen_wainwright_jordan, info_nce.

Example:
    >>> from estimators import BinningEstimator, MINE
    >>> BinningEstimator().information(hidden, labels)  # (I(X;T), I(T;Y)) in bits
"""

import importlib

from estimators.binning import BinningEstimator
from estimators.kde import KDEEstimator
from estimators import prediction_information
from estimators.prediction_information import (
    information_constraint,
    input_prediction_information,
    label_prediction_information,
)

# Public name -> module that defines it; these modules import Keras (and its backend).
_LAZY = {
    "MINE": "estimators.mine",
    "ArchitectureAwareMINE": "estimators.aa_mine",
    "Critic": "estimators.critic",
    "SeparableCritic": "estimators.separable_critic",
    "FitResult": "estimators.fit_result",
    "donsker_varadhan": "estimators.mi_bounds",
    "nguyen_wainwright_jordan": "estimators.mi_bounds",
    "info_nce": "estimators.mi_bounds",
}

__all__ = [
    "BinningEstimator",
    "KDEEstimator",
    "input_prediction_information",
    "label_prediction_information",
    "information_constraint",
    "prediction_information",
    *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'estimators' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))

"""Mutual-information estimators (SPEC §6) and the prediction information of P2 (§3).

NumPy estimators (imported eagerly, no TensorFlow):
    BinningEstimator, KDEEstimator, input_prediction_information,
    label_prediction_information, information_constraint; the function
    `prediction_information` (all three at once) stays in its module of the same name,
    `estimators.prediction_information`, so that the package attribute of that name is
    the module and `import infodl.estimators.prediction_information as m` keeps working.
Neural estimators (Keras models, TensorFlow or JAX backend; imported on first
access, so that `from infodl.estimators import BinningEstimator` does not load a backend):
    MINE, ArchitectureAwareMINE, Critic, SeparableCritic, FitResult (what
    `fit_estimate` measured, `MINE.last_fit`), MINELayerEstimator (the information
    plane of every layer with MINE, the interface of the NumPy estimators), and the
    bound functions donsker_varadhan, nguyen_wainwright_jordan, info_nce.

Example:
    >>> from infodl.estimators import BinningEstimator, MINE
    >>> BinningEstimator().information(hidden, labels)  # (I(X;T), I(T;Y)) in bits
"""

from infodl.lazy_exports import lazy_exports
from infodl.estimators.binning import BinningEstimator
from infodl.estimators.kde import KDEEstimator
from infodl.estimators import prediction_information
from infodl.estimators.prediction_information import (
    information_constraint,
    input_prediction_information,
    label_prediction_information,
)

# Public name -> module that defines it; these modules import Keras (and its backend).
_LAZY = {
    "MINE": ".mine",
    "ArchitectureAwareMINE": ".aa_mine",
    "Critic": ".critic",
    "SeparableCritic": ".separable_critic",
    "FitResult": ".fit_result",
    "MINELayerEstimator": ".layer_estimator",
    "donsker_varadhan": ".mi_bounds",
    "nguyen_wainwright_jordan": ".mi_bounds",
    "info_nce": ".mi_bounds",
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


__getattr__, __dir__ = lazy_exports(globals(), _LAZY)

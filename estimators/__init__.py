"""Mutual-information estimators and the prediction information of P2 (Prop. 2.1-2.2).

NumPy estimators (imported eagerly, no TensorFlow):
    BinningEstimator, KDEEstimator, input_prediction_information,
    label_prediction_information, information_constraint; the function
    `prediction_information` (all three at once) stays in its module of the same name,
    `infodl.estimators.prediction_information`, so that the package attribute of that name is
    the module and `import infodl.estimators.prediction_information as m` keeps working.
NumPy/SciPy names imported on first access (no TensorFlow either): KSGEstimator
(Kraskov et al.'s k-nearest-neighbour estimator), GaussianCopulaEstimator (the
bias-corrected Gaussian MI of rank-normalized features, Ince et al. 2017) and
Estimate (the float every `fit_estimate` returns, with its spread `std` and its trust
flag).
Neural estimators (Keras models, TensorFlow or JAX backend; imported on first
access, so that `from infodl.estimators import BinningEstimator` does not load a backend):
    MINE, ArchitectureAwareMINE, Critic, SeparableCritic, the parts MINE is composed
    of (CriticPair, InputStandardizer, PairSampler; AA-MINE's LayerPairSampler),
    FitResult (what `fit_estimate` measured, `MINE.last_fit`, with its trust flag),
    MINELayerEstimator (the information
    plane of every layer with MINE, the interface of the NumPy estimators), and the
    bound functions donsker_varadhan, nguyen_wainwright_jordan, info_nce.

Example:
    >>> from infodl.estimators import BinningEstimator, KDEEstimator
    >>> hidden = np.array([[0.1], [0.1], [0.9], [0.9]])  # one unit, two values
    >>> labels = np.array([0, 0, 1, 1])
    >>> BinningEstimator().information(hidden, labels)  # (I(X;T), I(T;Y)) in bits
    (1.0, 1.0)
    >>> [round(value, 6) for value in KDEEstimator(0.01).information(hidden, labels)]
    [1.0, 1.0]
"""

import infodl
from infodl.estimators import prediction_information
from infodl.estimators.binning import BinningEstimator
from infodl.estimators.kde import KDEEstimator
from infodl.estimators.prediction_information import (
    information_constraint,
    input_prediction_information,
    label_prediction_information,
)
from infodl.lazy_exports import lazy_exports

infodl.one_name(__name__)

# Public name -> module that defines it, loaded on first access; all but `KSGEstimator`,
# `GaussianCopulaEstimator` and `Estimate` (SciPy / plain Python) import Keras and its backend.
_LAZY = {
    "KSGEstimator": ".ksg",
    "GaussianCopulaEstimator": ".gaussian_copula",
    "MINE": ".mine",
    "ArchitectureAwareMINE": ".aa_mine",
    "Critic": ".critic",
    "SeparableCritic": ".separable_critic",
    "CriticPair": ".critic_pair",
    "InputStandardizer": ".input_standardizer",
    "PairSampler": ".pair_sampler",
    "LayerPairSampler": ".layer_pair_sampler",
    "FitResult": ".fit_result",
    "Estimate": ".estimate",
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

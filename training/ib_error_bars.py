"""Independent MINE / AA-MINE estimates of an information-plane point, with their spread.

The information plane of IB training is drawn from the training critics; at a few
points (start and end of each layer) this module re-estimates both terms with fresh
estimators of `estimators/`, fitted k times (`fit_estimate(..., restarts=k)`):

    I(Y; L)       by `MINE` on (one-hot y, L)
    I(X; L + eps) by `ArchitectureAwareMINE` on x (layers 1..i of the network, noise eps)

each reported as mean and spread (std over restarts, `last_fit.std`) in bits.
"""

import math
import time

import keras
import numpy as np

from estimators.aa_mine import ArchitectureAwareMINE
from estimators.mine import MINE
from training.ib_critics import NATS_PER_BIT


def _spread(estimator):
    fit = getattr(estimator, "last_fit", None)
    std = float("nan") if fit is None else float(fit.std)
    return None if not math.isfinite(std) else std / NATS_PER_BIT


def error_bar_point(network, layer_name, inputs, labels, num_classes, noise_variance,
                    restarts, steps, seed=0):
    """Mean and spread of k independent estimates of (I(X; L + eps), I(Y; L)).

    Args:
        network: the Keras model being trained (its current weights are used).
        layer_name: the layer whose output is L.
        inputs, labels: held-out samples (network inputs, integer labels).
        num_classes: number of classes.
        noise_variance: sigma^2 of eps.
        restarts: k >= 1 fits of each estimator.
        steps: critic steps of each fit.
        seed: seed of the estimators.

    Returns:
        dict with I_X_bits, I_X_std_bits, I_Y_bits, I_Y_std_bits (std None for k = 1)
        and seconds.

    Example:
        >>> error_bar_point(model, "hidden_1", x_test[:2000], y_test[:2000], 10, 2.0, 3, 1000)

    Reference: P3 (Elad et al.) §4 (AA-MINE), Fig. 4; Belghazi et al. 2018 (MINE).
    """
    started = time.perf_counter()
    images = np.asarray(inputs, "float32")
    model_inputs = network.inputs[0] if len(network.inputs) == 1 else network.inputs
    extractor = keras.Model(model_inputs, network.get_layer(layer_name).output)
    features = np.asarray(extractor.predict(images, batch_size=2048, verbose=0), "float32")
    features = features.reshape(len(features), -1)
    one_hot = np.eye(num_classes, dtype="float32")[np.asarray(labels, "int64")]
    label_mine = MINE(seed=seed)
    label_nats = label_mine.fit_estimate(one_hot, features, steps=steps, restarts=restarts,
                                         verbose=0)
    input_mine = ArchitectureAwareMINE(network, layer=layer_name,
                                       noise_variance=noise_variance, seed=seed + 1)
    input_nats = input_mine.fit_estimate(images, steps=steps, restarts=restarts, verbose=0)
    return {"I_X_bits": float(input_nats) / NATS_PER_BIT, "I_X_std_bits": _spread(input_mine),
            "I_Y_bits": float(label_nats) / NATS_PER_BIT, "I_Y_std_bits": _spread(label_mine),
            "seconds": time.perf_counter() - started}

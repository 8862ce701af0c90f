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

from infodl.estimators.aa_mine import ArchitectureAwareMINE
from infodl.estimators.fit_arguments import check_fit_arguments
from infodl.estimators.mine import MINE
from infodl.seeds import derive_seed
from infodl.training.ib_critics import NATS_PER_BIT


def _fit(estimator, data, own, fit_settings):
    """(mean, std or None, per-restart values) of `restarts` fits, in nats (`last_fit`);
    `own` and `fit_settings` are `fit_estimate` arguments (`check_fit_arguments`)."""
    value = estimator.fit_estimate(*data, **own, **fit_settings)
    fit = estimator.last_fit
    std = float(fit.std)
    return float(value), (std if math.isfinite(std) else None), [float(v) for v in fit.values]


def error_bar_point(network, layer_name, inputs, labels, num_classes, noise_variance,
                    restarts, steps, seed=0, standardize="gaussianize", verbose=0,
                    fit_settings=None):
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
        standardize: the estimators' input map (`MINE(standardize=...)`); default
            "gaussianize": on 512-unit ReLU layers it kept every fit finite where
            "whiten" let 2 of 6 collapse to large negative values (docs/ib_training.md).
        verbose: 1 = each restart's progress bar (the estimators' `verbose`), 0 = silent.
        fit_settings: further arguments of both fits' `fit_estimate` (a dict:
            batch_size, eval_every, patience, min_delta, min_steps, ...; not steps,
            restarts or verbose, set above); None: its defaults.

    Returns:
        dict with I_X_bits, I_X_std_bits, I_Y_bits, I_Y_std_bits (mean and std over
        the restarts; std None for k = 1), I_X_values_bits, I_Y_values_bits (each
        restart's value) and seconds.

    Example:
        A linear layer L = x W + b of standard normal x: I(X; L + eps) =
        1/2 log2 det(I + W^T W / sigma^2) bits; labels Y = 1{x_1 > 0}, so
        I(Y; L) <= H(Y) = 1 bit. Every fit stops early on its held-out curve: none warns.

        >>> from infodl.training.ib_error_bars import error_bar_point
        >>> inputs = keras.Input((4,))
        >>> model = keras.Model(inputs, keras.layers.Dense(3, name="hidden_1")(inputs))
        >>> x = np.random.default_rng(0).normal(size=(500, 4)).astype("float32")
        >>> point = error_bar_point(model, "hidden_1", x, (x[:, 0] > 0).astype(int),
        ...                         num_classes=2, noise_variance=2.0, restarts=2, steps=600,
        ...                         fit_settings={"batch_size": 64, "eval_every": 20,
        ...                                       "patience": 5, "min_delta": 0.01},
        ...                         )  # doctest: +SLOW
        >>> len(point["I_X_values_bits"]), point["I_X_std_bits"] is not None  # doctest: +SLOW
        (2, True)
        >>> w = keras.ops.convert_to_numpy(model.get_layer("hidden_1").kernel)
        >>> truth = 0.5 * np.log2(np.linalg.det(np.eye(3) + w.T @ w / 2.0))
        >>> bool(abs(point["I_X_bits"] - truth) < 0.15)  # doctest: +SLOW
        True
        >>> 0 < point["I_Y_bits"] <= 1  # doctest: +SLOW
        True

    Reference: P3 (Elad et al.) §4 (AA-MINE), Fig. 4; Belghazi et al. 2018 (MINE).
    """
    own = {"steps": steps, "restarts": restarts, "verbose": verbose}
    fit_settings = check_fit_arguments(fit_settings, own)
    started = time.perf_counter()
    images = np.asarray(inputs, "float32")
    model_inputs = network.inputs[0] if len(network.inputs) == 1 else network.inputs
    extractor = keras.Model(model_inputs, network.get_layer(layer_name).output)
    features = np.asarray(extractor.predict(images, batch_size=2048, verbose=0), "float32")
    features = features.reshape(len(features), -1)
    one_hot = np.eye(num_classes, dtype="float32")[np.asarray(labels, "int64")]
    # Index 0: each estimator derives the seeds of its k restarts from its own seed.
    label_nats, label_std, label_values = _fit(
        MINE(seed=derive_seed(seed, "ib_error_bar_label", 0), standardize=standardize),
        (one_hot, features), own, fit_settings)
    input_nats, input_std, input_values = _fit(
        ArchitectureAwareMINE(network, layer=layer_name, noise_variance=noise_variance,
                              seed=derive_seed(seed, "ib_error_bar_input", 0),
                              standardize=standardize),
        (images,), own, fit_settings)

    def bits(value):
        return None if value is None else value / NATS_PER_BIT

    return {"I_X_bits": bits(input_nats), "I_X_std_bits": bits(input_std),
            "I_X_values_bits": [bits(v) for v in input_values],
            "I_Y_bits": bits(label_nats), "I_Y_std_bits": bits(label_std),
            "I_Y_values_bits": [bits(v) for v in label_values],
            "seconds": time.perf_counter() - started}

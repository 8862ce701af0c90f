"""Stops training at the first non-finite loss and remembers where it happened."""

import math

import keras
import numpy as np

from infodl.callbacks.interval_logger import NonFiniteMeasurementError
from infodl.callbacks.step_callback import optimizer_step


class NaNGuard(keras.callbacks.TerminateOnNaN):
    """Keras' `TerminateOnNaN` that also records the global step of the first NaN/inf loss.

    The experiments turn `diverged_at_step` into one clear error line; the checkpoint
    callback never saves a model whose logged losses are not finite, so the last good
    checkpoint is kept.

    Example:
        >>> from infodl.callbacks.nan_guard import NaNGuard
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> targets = np.array([0.0, 0.0, np.nan, 0.0, 0.0])  # step 3's loss is NaN
        >>> guard = NaNGuard()
        >>> _ = model.fit(np.ones((5, 1)), targets, batch_size=1, shuffle=False, verbose=0,
        ...               callbacks=[guard])
        Batch 2: Invalid loss, terminating training
        >>> guard.diverged_at_step, int(model.optimizer.iterations)  # stopped at step 3
        (3, 3)
    """

    def __init__(self):
        super().__init__()
        self.diverged_at_step = None
        self.diverged = None  # what became NaN/inf: "the loss" or "the weights"

    def explains(self, model, error=None):
        """True when training `model` has diverged: the loss was NaN/inf, its weights are
        now, or `error` is a measurement of NaN/inf activations
        (`NonFiniteMeasurementError`, which comes a step before the NaN loss). Call it
        when a callback failed during `fit()`, so that the run reports the divergence,
        not the measurement; records the step where it was seen."""
        if self.diverged_at_step is not None:
            return True
        if isinstance(error, NonFiniteMeasurementError):
            what = "the activations"
        elif any(not np.all(np.isfinite(keras.ops.convert_to_numpy(weight)))
                 for weight in model.weights if "float" in str(weight.dtype)):
            what = "the weights"
        else:
            return False
        self.diverged_at_step, self.diverged = optimizer_step(model), what
        return True

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)) and self.diverged_at_step is None:
            self.diverged_at_step, self.diverged = optimizer_step(self.model), "the loss"
        super().on_train_batch_end(batch, logs)

"""Stops training at the first non-finite loss and remembers where it happened."""

import math

import keras

from infodl.callbacks.step_callback import optimizer_step


class NaNGuard(keras.callbacks.TerminateOnNaN):
    """Keras' `TerminateOnNaN` that also records the global step of the first NaN/inf loss.

    The experiments turn `diverged_at_step` into one clear error line; the checkpoint
    callback never saves a model whose logged losses are not finite, so the last good
    checkpoint is kept.

    Example:
        >>> guard = NaNGuard(); model.fit(ds, callbacks=[guard])
        >>> guard.diverged_at_step   # None, or the global step of the first NaN loss
    """

    def __init__(self):
        super().__init__()
        self.diverged_at_step = None

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)) and self.diverged_at_step is None:
            self.diverged_at_step = optimizer_step(self.model)
        super().on_train_batch_end(batch, logs)

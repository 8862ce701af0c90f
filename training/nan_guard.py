"""Stops training at the first non-finite loss and remembers where it happened."""

import math

import keras


class NaNGuard(keras.callbacks.Callback):
    """Stops `fit()` as soon as the training loss is NaN or infinite.

    The experiment turns `diverged_at_step` into one clear error line; the checkpoint
    callback never saves a model whose logs are not finite, so the last good checkpoint
    is kept.

    Example:
        >>> guard = NaNGuard(); model.fit(ds, callbacks=[guard])
        >>> guard.diverged_at_step   # None, or the global step of the first NaN loss
    """

    def __init__(self):
        super().__init__()
        self.diverged_at_step = None

    def on_train_begin(self, logs=None):
        self.step = int(self.model.optimizer.iterations.numpy())

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.diverged_at_step = self.step
            self.model.stop_training = True

"""Ends `fit()` at an exact global step, whatever the epoch length."""

import keras


class StopAtStep(keras.callbacks.Callback):
    """Stops training once the optimizer has made `last_step` steps in total.

    `fit()` counts epochs; the original ResNet code counts global steps (80k). With this
    callback an "epoch" is only the evaluation/checkpoint interval, and a resumed run
    still stops at the requested global step.

    Args:
        last_step: the global step (optimizer iterations) at which to stop.
    """

    def __init__(self, last_step):
        super().__init__()
        if int(last_step) < 1:
            raise ValueError(f"Expected last_step >= 1. Received: last_step={last_step}")
        self.last_step = int(last_step)

    def on_train_begin(self, logs=None):
        self.step = int(self.model.optimizer.iterations.numpy())

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step >= self.last_step:
            self.model.stop_training = True

"""A progress bar over the global steps of a run (resumed runs start where they stopped)."""

import time

import keras
from tqdm.auto import tqdm

from infodl.callbacks.step_callback import StepCallback

# The evaluation of a run is on its test split (TensorBoard's `test/...` tags, the results'
# `test_accuracy`): the epoch line prints that name; the logs keep Keras' `val_` keys,
# which the checkpoints' records and the resume logic read.
PRINTED_NAMES = {"val_accuracy": "test_accuracy", "val_cross_entropy": "test_cross_entropy",
                 "best_val_accuracy": "best_test_accuracy"}


class StepProgressBar(StepCallback):
    """One tqdm bar for the whole run: `step/total` global steps, rate, remaining time.

    `fit()`'s own bar counts the steps of an epoch (here an evaluation interval), so a
    50-step run of 1000-step epochs showed `50/1000`; this bar's total is the run's
    last step. The training metrics of the batch logs are shown at most every
    `refresh_seconds` (reading them is a device sync), and the epoch-end logs (test
    accuracy, measurements) are printed as one line per epoch, under the names of the
    results (`test_accuracy=...` for the logs' `val_accuracy`, `PRINTED_NAMES`).

    Args:
        total_steps: the global step at which the run stops.
        refresh_seconds: minimum time between updates of the metrics shown.
        keys: log keys shown on the bar.
        epoch_keys: log keys printed at each epoch end (when present).

    Example:
        >>> from infodl.callbacks import StepProgressBar, StopAtStep
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> bar = StepProgressBar(6, keys=("loss",))  # the bar is written to stderr
        >>> _ = model.fit(np.zeros((4, 1)), np.zeros(4), batch_size=1, epochs=2, verbose=0,
        ...               callbacks=[StopAtStep(6), bar])
        >>> int(model.optimizer.iterations)
        6
    """

    def __init__(self, total_steps, refresh_seconds=1.0,
                 keys=("loss", "cross_entropy", "accuracy"),
                 epoch_keys=("val_accuracy", "val_cross_entropy", "best_val_accuracy")):
        super().__init__()
        self.total_steps = int(total_steps)
        self.refresh_seconds = float(refresh_seconds)
        self.keys = tuple(keys)
        self.epoch_keys = tuple(epoch_keys)
        self.bar = None
        self._last_refresh = 0.0

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self.bar is None:  # one bar across the fit() calls of a run
            self.bar = tqdm(total=self.total_steps, initial=self.step, unit="step",
                            dynamic_ncols=True, mininterval=self.refresh_seconds)

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        self.bar.update(1)
        now = time.monotonic()
        if logs and now - self._last_refresh >= self.refresh_seconds:
            self._last_refresh = now
            shown = {k: float(keras.ops.convert_to_numpy(logs[k])) for k in self.keys
                     if k in logs}
            self.bar.set_postfix({k: f"{v:.4f}" for k, v in shown.items()}, refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        if logs:
            text = " ".join(f"{PRINTED_NAMES.get(k, k)}={float(logs[k]):.4f}"
                            for k in self.epoch_keys if k in logs)
            if text:
                self.bar.write(f"step {self.step}: {text}")

    def on_train_end(self, logs=None):
        if self.bar is not None and (self.step >= self.total_steps
                                     or self.model.stop_training):
            self.bar.close()
            self.bar = None

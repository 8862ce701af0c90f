"""Every epoch's logs as one JSON line, with the global step: a crash-safe metrics file."""

import math
import os

import keras

from infodl.callbacks.step_callback import optimizer_step
from infodl.run_folder.epoch_log import append_epoch_record


class EpochLog(keras.callbacks.Callback):
    """Appends `{"step": global step, "epoch": ..., **logs}` to a JSON-lines file per epoch.

    Unlike `keras.callbacks.CSVLogger`, whose columns are fixed by the first epoch, each
    line holds exactly the keys measured at that epoch end (measurements that run every
    N steps appear only where they ran). Each line is flushed and fsynced, so a killed
    run leaves complete lines; `infodl.run_folder.epoch_log.truncate_epoch_log(path,
    step)` before resuming from the checkpoint of `step` removes the lines the resumed
    run writes again.

    Args:
        path: the `.jsonl` file (appended to).
        skip_if: None, or a callable; an epoch end at which it returns True writes no
            line (a run stopped by a signal between two evaluations: the resumed run
            writes the lines of an uninterrupted one).

    Example:
        >>> from infodl.callbacks.epoch_log import EpochLog
        >>> from infodl.run_folder.epoch_log import read_epoch_log
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> x, y = np.zeros((4, 1)), np.zeros(4)
        >>> _ = model.fit(x, y, batch_size=2, epochs=3, validation_data=(x, y), verbose=0,
        ...               callbacks=[EpochLog("runs/a/metrics.jsonl")])
        >>> [(record["step"], record["epoch"]) for record in read_epoch_log("runs/a/metrics.jsonl")]
        [(2, 1), (4, 2), (6, 3)]
        >>> sorted(read_epoch_log("runs/a/metrics.jsonl")[-1])
        ['epoch', 'loss', 'step', 'val_loss']
    """

    def __init__(self, path, skip_if=None):
        super().__init__()
        self.path = os.fspath(path)
        self.skip_if = skip_if

    def on_epoch_end(self, epoch, logs=None):
        if self.skip_if is not None and self.skip_if():
            return
        record = {"step": optimizer_step(self.model), "epoch": int(epoch) + 1}
        for key, value in (logs or {}).items():
            value = float(keras.ops.convert_to_numpy(value))
            record[key] = value if math.isfinite(value) else repr(value)
        append_epoch_record(self.path, record)

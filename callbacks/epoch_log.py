"""Every epoch's logs as one JSON line, with the global step: a crash-safe metrics file."""

import json
import math
import os

import keras

from infodl.callbacks.step_callback import optimizer_step


def read_epoch_log(path):
    """The records of a `metrics.jsonl` file, oldest first ([] if it does not exist).

    A last line cut short by a crash is ignored.
    """
    if not os.path.isfile(path):
        return []
    records = []
    with open(path) as handle:
        for line in handle:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                break
    return records


def truncate_epoch_log(path, last_step):
    """Keeps only the records with step <= `last_step` (a resumed run rewrites the rest).

    Returns:
        The kept records.
    """
    kept = [r for r in read_epoch_log(path) if r.get("step", math.inf) <= last_step]
    if os.path.isfile(path):
        partial = f"{path}.partial"
        with open(partial, "w") as handle:
            handle.writelines(json.dumps(r, sort_keys=True) + "\n" for r in kept)
        os.replace(partial, path)
    return kept


class EpochLog(keras.callbacks.Callback):
    """Appends `{"step": global step, "epoch": ..., **logs}` to a JSON-lines file per epoch.

    Unlike `keras.callbacks.CSVLogger`, whose columns are fixed by the first epoch, each
    line holds exactly the keys measured at that epoch end (measurements that run every
    N steps appear only where they ran). Each line is flushed and fsynced, so a killed
    run leaves complete lines; `truncate_epoch_log(path, step)` before resuming from the
    checkpoint of `step` removes the lines the resumed run writes again.

    Args:
        path: the `.jsonl` file (appended to).

    Example:
        >>> model.fit(ds, epochs=10, callbacks=[EpochLog("runs/a/metrics.jsonl")])
        >>> read_epoch_log("runs/a/metrics.jsonl")[-1]["val_accuracy"]
    """

    def __init__(self, path):
        super().__init__()
        self.path = os.fspath(path)

    def on_epoch_end(self, epoch, logs=None):
        record = {"step": optimizer_step(self.model), "epoch": int(epoch) + 1}
        for key, value in (logs or {}).items():
            value = float(keras.ops.convert_to_numpy(value))
            record[key] = value if math.isfinite(value) else repr(value)
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        with open(self.path, "a") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

"""The `metrics.jsonl` file of a run: one JSON line per epoch, crash-safe.

Each record is appended and fsynced (`append_epoch_record`), so a killed run leaves
complete lines and at most one line cut short, which `read_epoch_log` ignores. A run
resumed from the checkpoint of step S first calls `truncate_epoch_log(path, S)`, which
rewrites the file atomically without the records the resumed run writes again.
The callback that writes it during `model.fit` is `infodl.callbacks.epoch_log.EpochLog`.

Example:
    >>> from infodl.run_folder.epoch_log import append_epoch_record, read_epoch_log
    >>> append_epoch_record("runs/a/metrics.jsonl", {"step": 100, "loss": 0.5})
    >>> read_epoch_log("runs/a/metrics.jsonl")[-1]["loss"]
    0.5
"""

import json
import math
import os

from infodl.run_folder.atomic import write_text_atomic


def _line(record):
    return json.dumps(record, sort_keys=True) + "\n"


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
        write_text_atomic(path, "".join(_line(r) for r in kept))
    return kept


def append_epoch_record(path, record):
    """Appends `record` (a JSON-serializable dict) as one line, flushed and fsynced."""
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "a") as handle:
        handle.write(_line(record))
        handle.flush()
        os.fsync(handle.fileno())

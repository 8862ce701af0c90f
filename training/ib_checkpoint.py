"""Atomic, resumable checkpoints of IB training: a `tf.train.Checkpoint` plus progress.

Each checkpoint is a folder `ckpt-<stage>-<iteration>` holding the TensorFlow
checkpoint of every object needed to continue bit for bit (network weights, critics,
both Adam states, the batch/noise generator, the moving averages) and `progress.json`
(where training stands and what it logged so far). The folder is written under a
temporary name and renamed (`infodl.run_folder.atomic`), so a crash never leaves a
half-written checkpoint that a later run would resume from; only the newest `keep`
(`KEEP_CHECKPOINTS`) are kept. `infodl.run_folder.checkpoints` says why IB training
uses this format and the `model.fit` runs Keras files.

Example:
    >>> import tensorflow as tf
    >>> from infodl.training.ib_checkpoint import IBCheckpoints
    >>> checkpoints = IBCheckpoints("runs/ib/checkpoints")
    >>> step = tf.Variable(7)  # any trackables: models, optimizers, generators, variables
    >>> path = checkpoints.save({"step": step}, {"layer": 1, "iteration": 500},
    ...                         stage=1, iteration=500)
    >>> _ = step.assign(0)
    >>> path, progress = checkpoints.latest()
    >>> path.name, progress
    ('ckpt-001-00000500', {'layer': 1, 'iteration': 500})
    >>> IBCheckpoints.restore(path, {"step": step})
    >>> int(step.numpy())
    7
"""

import json
import pathlib
import re
import shutil
import time

import tensorflow as tf

from infodl.run_folder.atomic import atomic_write
from infodl.run_folder.checkpoints import KEEP_CHECKPOINTS, check_keep

CHECKPOINT_PATTERN = re.compile(r"^ckpt-(\d+)-(\d+)$")
PROGRESS_FILE = "progress.json"
STATE_PREFIX = "state"
SAVED_AT = "saved_at"  # progress.json's record of when it was written (time.time())


class IBCheckpoints:
    """The checkpoint folders of one IB training run.

    Args:
        directory: where the `ckpt-<stage>-<iteration>` folders live.
        keep: how many of the newest checkpoints to keep (>= 1).
    """

    def __init__(self, directory, keep=KEEP_CHECKPOINTS):
        self.directory = pathlib.Path(directory)
        self.keep = check_keep(keep)

    def list(self):
        """[(stage, iteration, path)] of the complete checkpoints, oldest first."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.iterdir():
            match = CHECKPOINT_PATTERN.match(path.name)
            if match and (path / PROGRESS_FILE).is_file():
                found.append((int(match.group(1)), int(match.group(2)), path))
        return sorted(found)

    def latest(self):
        """(path, progress dict) of the newest checkpoint, or (None, None)."""
        found = self.list()
        if not found:
            return None, None
        path = found[-1][2]
        progress = read_progress(path)
        progress.pop(SAVED_AT, None)
        return path, progress

    @staticmethod
    def saved_at(path):
        """When checkpoint `path` was written (`time.time()` of the run that wrote it; the
        modification time of its progress.json for checkpoints of older versions)."""
        saved = read_progress(path).get(SAVED_AT)
        return float(saved) if saved is not None else (path / PROGRESS_FILE).stat().st_mtime

    def save(self, objects, progress, stage, iteration):
        """Writes `objects` and `progress` as checkpoint (stage, iteration); returns its path."""
        final = self.directory / f"ckpt-{int(stage):03d}-{int(iteration):08d}"
        with atomic_write(final) as partial:
            partial = pathlib.Path(partial)
            tf.train.Checkpoint(**objects).write(str(partial / STATE_PREFIX))
            progress = dict(progress, **{SAVED_AT: time.time()})
            (partial / PROGRESS_FILE).write_text(json.dumps(progress, indent=1) + "\n")
        for _, _, old in self.list()[:-self.keep]:
            shutil.rmtree(old)
        return final

    @staticmethod
    def restore(path, objects, partial=False):
        """Loads checkpoint `path` into `objects` (the same names as when saved).

        Args:
            path: a checkpoint folder.
            objects: {name: trackable}; with `partial`, a subset of the saved ones.
            partial: allow saved objects that `objects` does not name.

        Raises:
            ValueError: a corrupt checkpoint (e.g. a file cut short: TensorFlow then raises
                anything from `DataLossError` to `IndexError`) or one of other objects,
                in one line naming the folder and the way out.
        """
        try:
            status = tf.train.Checkpoint(**objects).read(str(pathlib.Path(path) / STATE_PREFIX))
            if partial:
                status.expect_partial()
            else:
                status.assert_existing_objects_matched()
        except Exception as error:  # any reason: one line
            first = (str(error).strip().splitlines() or [""])[0][:300]
            raise ValueError(f"Cannot restore checkpoint {path} ({type(error).__name__}: "
                             f"{first}); delete that folder to resume from the checkpoint "
                             "before it, or pass overwrite=True to start the run again"
                             ) from None


def read_progress(path):
    """The progress.json of checkpoint folder `path`.

    Raises:
        ValueError: a file that is not JSON (e.g. cut short), named with the way out.
    """
    file = pathlib.Path(path) / PROGRESS_FILE
    try:
        return json.loads(file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"Corrupt checkpoint file {file} ({error}); delete the checkpoint "
                         f"folder {path} to resume from the one before, or pass "
                         "overwrite=True to start the run again") from None

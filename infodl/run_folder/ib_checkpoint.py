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
    >>> from infodl.run_folder.ib_checkpoint import IBCheckpoints
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

import tensorflow as tf

from infodl.run_folder.atomic import atomic_write
from infodl.run_folder.checkpoints import KEEP_CHECKPOINTS, check_keep

CHECKPOINT_PATTERN = re.compile(r"^ckpt-(\d+)-(\d+)$")
PROGRESS_FILE = "progress.json"
STATE_PREFIX = "state"


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
        return path, json.loads((path / PROGRESS_FILE).read_text())

    def save(self, objects, progress, stage, iteration):
        """Writes `objects` and `progress` as checkpoint (stage, iteration); returns its path."""
        final = self.directory / f"ckpt-{int(stage):03d}-{int(iteration):08d}"
        with atomic_write(final) as partial:
            partial = pathlib.Path(partial)
            tf.train.Checkpoint(**objects).write(str(partial / STATE_PREFIX))
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
            ValueError: a corrupt checkpoint or one of other objects.
        """
        try:
            status = tf.train.Checkpoint(**objects).read(str(pathlib.Path(path) / STATE_PREFIX))
            if partial:
                status.expect_partial()
            else:
                status.assert_existing_objects_matched()
        except (tf.errors.OpError, AssertionError, ValueError) as error:
            raise ValueError(f"Cannot restore checkpoint {path}: {error}") from error

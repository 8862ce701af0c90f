"""Saves an atomic checkpoint at the end of every `fit()` epoch, never after a NaN loss."""

import math

import keras

from infodl.callbacks.step_callback import optimizer_step
from infodl.checks import check_integer
from infodl.run_folder.checkpoints import KEEP_CHECKPOINTS, save_checkpoint

LOSS_KEYS = ("loss", "cross_entropy", "val_loss", "val_cross_entropy")


class StepCheckpoint(keras.callbacks.Callback):
    """Saves a checkpoint at the end of every `fit()` epoch (= evaluation interval).

    A checkpoint is skipped when a logged loss (`LOSS_KEYS`) is NaN or infinite, so
    that the last good checkpoint survives a divergence.

    Args:
        directory: where `ckpt-{step}.keras` files go.
        keep: how many of the newest checkpoints to keep (`KEEP_CHECKPOINTS`).
    """

    def __init__(self, directory, keep=KEEP_CHECKPOINTS):
        super().__init__()
        self.directory = directory
        self.keep = check_integer(keep, "keep")
        self.last_saved = None
        self.last_saved_step = None

    def save(self, step=None):
        """Saves the model now (at its optimizer step unless `step` is given)."""
        step = optimizer_step(self.model) if step is None else int(step)
        if step != self.last_saved_step:
            self.last_saved = save_checkpoint(self.model, self.directory, step, self.keep)
            self.last_saved_step = step
        return self.last_saved

    def on_epoch_end(self, epoch, logs=None):
        # Only the losses decide: a measurement may be legitimately infinite (a block
        # ratio over a zero shortcut) without the weights being bad.
        values = [v for k, v in (logs or {}).items()
                  if k in LOSS_KEYS and isinstance(v, (int, float))]
        if any(not math.isfinite(v) for v in values):
            return
        self.save()

"""One TensorBoard writer per log folder, shared by every callback that writes there.

`SummaryWriter.for_log_dir(path)` returns the same writer (one events file) for the
same folder however it is spelled (`runs/a`, `runs/a/`, its absolute path), so a run
whose callbacks all log into its folder leaves one events file. Values are NumPy
(or Python) numbers, so the writer serves any Keras backend; it is the one place of
the callbacks, trainers and analysis that writes TensorBoard summaries (`tf.summary`),
and it imports TensorFlow on first use. Under a non-TensorFlow Keras backend
TensorFlow is kept off the GPUs.

Example:
    >>> import os
    >>> from infodl.run_folder.summary_writer import SummaryWriter
    >>> writer = SummaryWriter.for_log_dir("runs/a")
    >>> writer is SummaryWriter.for_log_dir("runs/a/")  # one writer per folder
    True
    >>> writer.scalar("info/constraint_nats", 0.27, step=1000)
    >>> writer.flush()
    >>> [name.startswith("events.out.tfevents") for name in os.listdir("runs/a")]
    [True]
    >>> SummaryWriter.close_log_dir("runs/a")
"""

import os

import keras
import numpy as np

_tf = None


def _tensorflow():
    global _tf
    if _tf is None:
        import tensorflow as tf

        if keras.backend.backend() != "tensorflow":
            try:
                tf.config.set_visible_devices([], "GPU")
            except RuntimeError:  # devices already initialised
                pass
        _tf = tf
    return _tf


class SummaryWriter:
    """TensorBoard scalars, histograms and images of one log folder.

    Use `SummaryWriter.for_log_dir(log_dir)` rather than the constructor, so that all
    callbacks of a run share one events file.

    Args:
        log_dir: the folder (created if missing).
    """

    _open = {}

    def __init__(self, log_dir):
        self.log_dir = os.path.realpath(os.fspath(log_dir))
        # Flushed at least every 30 s (TensorFlow's default: 2 min), so that a live
        # TensorBoard shows a long run's progress.
        self._writer = _tensorflow().summary.create_file_writer(self.log_dir,
                                                                flush_millis=30_000)

    @classmethod
    def for_log_dir(cls, log_dir):
        """The shared writer of `log_dir` (one per real path)."""
        key = os.path.realpath(os.fspath(log_dir))
        writer = cls._open.get(key)
        if writer is None:
            writer = cls._open[key] = cls(key)
        return writer

    @classmethod
    def close_log_dir(cls, log_dir):
        """Closes the writer of `log_dir` if one is open (before the folder is deleted)."""
        writer = cls._open.pop(os.path.realpath(os.fspath(log_dir)), None)
        if writer is not None:
            writer.close()

    def scalar(self, tag, value, step, description=None):
        """Writes one scalar (float) at `step`."""
        tf = _tensorflow()
        with self._writer.as_default():
            tf.summary.scalar(tag, float(value), step=int(step), description=description)

    def scalars(self, values, step, descriptions=None):
        """Writes a dict {tag: value} at `step`."""
        descriptions = descriptions or {}
        for tag, value in values.items():
            self.scalar(tag, value, step, descriptions.get(tag))

    def histogram(self, tag, values, step):
        """Writes a histogram of the (flattened) `values` at `step`."""
        tf = _tensorflow()
        with self._writer.as_default():
            tf.summary.histogram(tag, np.asarray(values, np.float64).ravel(), step=int(step))

    def image(self, tag, image, step):
        """Writes one H×W×C uint8 image (C = 1, 3 or 4) at `step`."""
        tf = _tensorflow()
        with self._writer.as_default():
            tf.summary.image(tag, np.asarray(image)[None], step=int(step), max_outputs=1)

    def png(self, tag, png_bytes, step):
        """Writes an encoded PNG image (e.g. a matplotlib figure) at `step`."""
        tf = _tensorflow()
        self.image(tag, tf.image.decode_png(png_bytes, channels=4).numpy(), step)

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.flush()
        self._writer.close()

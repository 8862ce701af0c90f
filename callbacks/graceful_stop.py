"""SIGINT / SIGTERM end training cleanly: finish the step, save a checkpoint, stop."""

import contextlib

from infodl import stop_signals
from infodl.callbacks.step_callback import StepCallback


class GracefulStop(StepCallback):
    """Turns a stop request (`infodl.stop_signals`) during `fit()` into "checkpoint at this
    step, then stop".

    The project has one stop mechanism: the handlers of `stop_signals.StopSignals`, which
    the command line installs around a whole run. During `fit()` this callback opens a
    `stop_signals.deferred()` block (and a `StopSignals()` block, a no-op inside the
    command line's), so the first SIGINT/SIGTERM only records the request; after the
    current batch the callback calls `save(step)` (e.g. an atomic checkpoint) and sets
    `model.stop_training`. A second signal ends the process at once (exit 128 + signal).
    `received` tells the caller which signal stopped the run (None if none did); the
    caller raises `stop_signals.Interrupted` once it has written what it must.

    Args:
        save: callable(step) saving the run's state at that global step.

    Example:
        >>> import signal
        >>> from infodl.callbacks.graceful_stop import GracefulStop
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> saved_at = []
        >>> stop = GracefulStop(saved_at.append)  # in a run: an atomic checkpoint at `step`
        >>> sigterm = keras.callbacks.LambdaCallback(  # a SIGTERM arrives during step 2
        ...     on_train_batch_end=lambda batch, logs: batch == 1 and signal.raise_signal(
        ...         signal.SIGTERM))
        >>> _ = model.fit(np.zeros((64, 1)), np.zeros(64), batch_size=8, verbose=0,
        ...               callbacks=[sigterm, stop])
        >>> stop.received, saved_at, int(model.optimizer.iterations)
        (<Signals.SIGTERM: 15>, [2], 2)

    Reference: P2 §4 (the long ResNet runs whose checkpoints this keeps).
    """

    def __init__(self, save):
        super().__init__()
        self.save = save
        self.received = None
        self.saved_at_step = None
        self._blocks = None

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.close()
        self._blocks = contextlib.ExitStack()
        self._blocks.enter_context(stop_signals.StopSignals(announce=False))
        self._blocks.enter_context(stop_signals.deferred())

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        requested = stop_signals.requested()
        if requested is not None and self.saved_at_step is None:
            self.received = requested
            self.save(self.step)
            self.saved_at_step = self.step
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.close()

    def close(self):
        """Leaves the stop-signal blocks of `fit()` (also when a callback raised inside it,
        which skips `on_train_end`)."""
        if self._blocks is not None:
            self._blocks.close()
            self._blocks = None

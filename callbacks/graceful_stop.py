"""SIGINT / SIGTERM end training cleanly: finish the step, save a checkpoint, stop."""

import signal

from infodl.callbacks.step_callback import StepCallback


class GracefulStop(StepCallback):
    """Turns SIGINT/SIGTERM during `fit()` into "checkpoint at this step, then stop".

    While training, the handlers of `signals` only record the signal; after the current
    batch the callback calls `save(step)` (e.g. an atomic checkpoint) and sets
    `model.stop_training`. The previous handlers come back at the end of training, and
    a second signal during the save falls back to them. `received` tells the caller
    which signal stopped the run (None if none did).

    Args:
        save: callable(step) saving the run's state at that global step.
        signals: the signals to catch (default SIGINT and SIGTERM).

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
    """

    def __init__(self, save, signals=(signal.SIGINT, signal.SIGTERM)):
        super().__init__()
        self.save = save
        self.signals = tuple(signals)
        self.received = None
        self.saved_at_step = None
        self._previous = {}

    def _handle(self, signum, frame):
        if self.received is not None:  # a second signal: the default behaviour
            self._restore()
            signal.raise_signal(signum)
            return
        self.received = signal.Signals(signum)

    def _restore(self):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.received = None
        for signum in self.signals:
            self._previous[signum] = signal.signal(signum, self._handle)

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.received is not None and self.saved_at_step is None:
            self.save(self.step)
            self.saved_at_step = self.step
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self._restore()

"""GracefulStop reads the one stop mechanism, `infodl.stop_signals` (issue 30, case 2)."""

import signal

import keras
import numpy as np
import pytest

from infodl import stop_signals
from infodl.callbacks.graceful_stop import GracefulStop


class _Signal(keras.callbacks.Callback):
    """Raises `signum` during the step that ends at `step`; records the handler in place."""

    def __init__(self, signum, step):
        super().__init__()
        self.signum, self.step, self.handlers = signum, step, []

    def on_train_batch_begin(self, batch, logs=None):
        self.handlers.append(signal.getsignal(self.signum))
        if int(self.model.optimizer.iterations) == self.step - 1:
            signal.raise_signal(self.signum)


def _fit(callbacks):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.zeros((64, 1)), np.zeros(64), batch_size=8, verbose=0, callbacks=callbacks)
    return model


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_inside_the_command_lines_block_the_handlers_stay_stop_signals(signum):
    saved = []
    stop, raiser = GracefulStop(saved.append), _Signal(signum, 3)
    with stop_signals.StopSignals(announce=False):
        outer = signal.getsignal(signum)
        model = _fit([raiser, stop])
        assert stop_signals.requested() == signum  # the command line still sees the request
    assert saved == [3] and stop.saved_at_step == 3 and stop.received == signum
    assert int(model.optimizer.iterations) == 3
    assert raiser.handlers == [outer] * 3  # GracefulStop installed no handler of its own


def test_outside_any_block_a_signal_still_stops_at_the_step():
    saved = []
    previous = signal.getsignal(signal.SIGTERM)
    stop = GracefulStop(saved.append)
    _fit([_Signal(signal.SIGTERM, 2), stop])
    assert saved == [2] and stop.received == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is previous  # restored after training
    assert stop_signals.requested() is None


def test_one_interruption_exception():
    import infodl.training
    from infodl.training import errors

    assert not hasattr(errors, "TrainingInterrupted")
    assert "TrainingInterrupted" not in infodl.training.__all__

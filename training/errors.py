"""Errors of training runs that the command line reports in one line."""


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


class TrainingInterrupted(RuntimeError):
    """SIGINT/SIGTERM stopped training after a checkpoint of the current step was saved.

    Attributes:
        signal_number: the signal, so the command line can exit with 128 + it.
    """

    def __init__(self, message, signal_number):
        super().__init__(message)
        self.signal_number = int(signal_number)

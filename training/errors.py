"""Errors of training runs that the command line reports in one line.

An interrupted run raises `infodl.stop_signals.Interrupted` (the one interruption error).
"""


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


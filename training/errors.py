"""Errors of training runs that the command line reports in one line."""


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""

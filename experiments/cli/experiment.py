"""One experiment of the command line: its name, its config and the module that runs it."""

import dataclasses
import importlib


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One experiment of the command line.

    Attributes:
        name: the value of `--experiment`.
        config: its config dataclass (an `ExperimentConfig`).
        module: the module whose `run(config)` runs it and returns a results dict, and
            whose `summary(results)` returns the lines to print at the end.
        help: a short description for `--help`.
    """
    name: str
    config: type
    module: str
    help: str

    def load(self):
        """The experiment's module (imports TensorFlow)."""
        return importlib.import_module(self.module)

"""The command line of every experiment: flags built from configs, early checks, `main()`.

This package names no experiment: an experiment is a config dataclass (fields made
with `setting`, its own `early_checks()`) and a module with `run(config)` and
`summary(results)`, listed in `infodl.experiments.registry`. `main` is the console
script `infodl` (and `python run.py`, `python -m infodl`); `run_command` is the command
line of a table or figure script.

Example:
    >>> from infodl.experiments.cli import ExperimentConfig, setting
    >>> import dataclasses
    >>> @dataclasses.dataclass
    ... class StepsConfig(ExperimentConfig):
    ...     steps: int = setting(100, "Training steps.", minimum=1)
    >>> StepsConfig(steps=3).validate().steps
    3
"""

from infodl.lazy_exports import lazy_exports

# Public name -> module that defines it (`main` defines the flags on import: read it last).
_LAZY = {
    "main": ".command_line",
    "Experiment": ".experiment",
    "run_command": ".table_command",
    "ExperimentConfig": ".config",
    "setting": ".config",
}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(globals(), _LAZY)

"""The command line of a table or figure script: absl flags built from a settings dataclass.

A script that reads finished runs (`python -m infodl.experiments.ib.layerwise_table
--log_dir=runs/ib_table`) declares its settings as an `ExperimentConfig` dataclass,
with the flag names of the experiments (`--log_dir`, `--seed`, `--data_dir`, ...), and
calls `run_command(Settings, function)`: the flags are parsed by absl into a
`FlagValues` of their own (importing the script defines no global flag), `--help` lists
them, the settings are validated and early-checked, and a user's error ends in one
`Error:` line with exit code 1.

Example:
    >>> import dataclasses
    >>> from infodl.experiments.cli.config import ExperimentConfig, setting
    >>> from infodl.experiments.cli.table_command import run_command
    >>> @dataclasses.dataclass
    ... class CountSettings(ExperimentConfig):
    ...     count: int = setting(2, "How many.", minimum=1)
    >>> run_command(CountSettings, lambda settings: print("count", settings.count),
    ...             ["script", "--count=3"])
    count 3
    0
    >>> run_command(CountSettings, print, ["script", "--count=0"])
    1
"""

import sys

from absl import flags

from infodl.experiments.cli import flags as experiment_flags


def run_command(settings, function, argv=None):
    """Parses `argv` into `settings`, then calls `function(settings)`.

    Args:
        settings: an `ExperimentConfig` dataclass whose fields are the flags.
        function: what the script does with the validated settings.
        argv: the command line, program name first (default: `sys.argv`).

    Returns:
        The exit code: 0, or 1 after one `Error:` line on stderr (a bad flag, a missing
        folder or file, a value the settings refuse).
    """
    argv = list(sys.argv if argv is None else argv)
    flag_values = flags.FlagValues()
    experiment_flags.define_settings_flags(settings, flag_values)
    flags.DEFINE_boolean("help", False, "Show the flags of this command.",
                         flag_values=flag_values)
    try:
        rest = flag_values(argv)
        if flag_values.help:
            usage = (sys.modules[settings.__module__].__doc__ or argv[0]).strip()
            print(f"{usage}\n\nflags:\n{flag_values.get_help(include_special_flags=False)}")
            return 0
        if len(rest) > 1:
            raise ValueError(f"Expected flags only (e.g. --log_dir=<folder>). Received: "
                             f"{' '.join(rest[1:])}")
        config = experiment_flags.settings_from_flags(settings, flag_values)
        config.early_checks()
        function(config)
    except (flags.Error, ValueError, FileNotFoundError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    return 0

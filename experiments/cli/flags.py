"""absl flags built from the experiment configs: one definition per setting.

`define_flags(EXPERIMENTS)` defines `--experiment` and one flag per config field of
every registered experiment (a field shared by several experiments gets one flag; if
their defaults differ the flag's default is None and each config keeps its own), so
that any experiment's command line parses. `describe_experiment(...)` then gives the
flags of the experiment named on the command line (`experiment_in(argv)`) that
experiment's own help and default, for `--help`. `config_from_flags(...)` builds the
chosen experiment's config from the flags the user gave, so a default lives only in its
dataclass field. No TensorFlow is imported here.

Example:
    define_flags(EXPERIMENTS, FLAGS)       # in the command line (which owns absl FLAGS)
    config = config_from_flags(EXPERIMENTS["resnet"], owners, FLAGS)  # after absl parsed argv
"""

import dataclasses

from absl import flags

from infodl.experiments.cli.config import field_base_type

_DEFINE = {str: flags.DEFINE_string, int: flags.DEFINE_integer,
           float: flags.DEFINE_float, bool: flags.DEFINE_bool}


def _flag_text(value):
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return value


def _collect_fields(experiments):
    """name -> (type, [(experiment name, field)]) over every config."""
    collected = {}
    for experiment in experiments.values():
        for field in dataclasses.fields(experiment.config):
            if "help" not in field.metadata:
                continue
            kind = field_base_type(field)
            previous = collected.setdefault(field.name, (kind, []))
            if previous[0] is not kind:
                raise TypeError(f"config field {field.name!r} has type {kind.__name__} in "
                                f"{experiment.name} but {previous[0].__name__} elsewhere")
            previous[1].append((experiment.name, field))
    return collected


def define_flags(experiments, flag_values, global_settings=()):
    """Defines `--experiment`, one flag per config field, and the global settings' flags.

    Args:
        experiments: {name: `infodl.experiments.registry.Experiment`}; the first is the default.
        global_settings: config dataclasses whose fields are flags of no experiment
            (e.g. `--sweep`); read them with `settings_from_flags`.
        flag_values: the absl FlagValues to define the flags in.

    Returns:
        {flag name: tuple of the experiments that have it} (experiment flags only).
    """
    for settings in global_settings:
        define_settings_flags(settings, flag_values)
    names = tuple(experiments)
    flags.DEFINE_enum("experiment", names[0], names,
                      "Which experiment to run: " + "; ".join(
                          f"{e.name} = {e.help}" for e in experiments.values())
                      + ". --experiment=<name> --help lists its flags, --helpfull all.",
                      flag_values=flag_values)
    owners = {}
    for name, (kind, entries) in _collect_fields(experiments).items():
        owners[name] = tuple(experiment for experiment, _ in entries)
        defaults = {experiment: field.default for experiment, field in entries}
        shared_default = len({repr(v) for v in defaults.values()}) == 1
        helps = {}  # help text -> the experiments that give it
        for experiment, field in entries:
            helps.setdefault(field.metadata["help"], []).append(experiment)
        if len(helps) == 1:
            help_text = next(iter(helps))
            if len(entries) < len(experiments):
                help_text = f"[{', '.join(owners[name])}] {help_text}"
        else:  # one setting name, a different meaning per experiment: say each
            help_text = " ".join(f"[{', '.join(names)}] {text}" for text, names in helps.items())
        if not shared_default:
            listed = ", ".join(f"{_flag_text(v)} for {e}" for e, v in defaults.items())
            help_text = f"{help_text} (default: {listed})"
        default = _flag_text(entries[0][1].default) if shared_default else None
        if name in flag_values:  # e.g. --log_dir, which absl.logging already defines
            flag_values[name].help = help_text
            flag_values[name].default = default
            flag_values[name].value = default
            continue
        if kind is tuple:
            flags.DEFINE_list(name, default, help_text, flag_values=flag_values)
        else:
            _DEFINE[kind](name, default, help_text, flag_values=flag_values)
    return owners


def define_settings_flags(settings, flag_values):
    """One flag per field of the config dataclass `settings`, with its help and default
    (e.g. the global `--sweep` flags, or the flags of a table command)."""
    for field in dataclasses.fields(settings):
        kind = field_base_type(field)
        define = flags.DEFINE_list if kind is tuple else _DEFINE[kind]
        define(field.name, _flag_text(field.default), field.metadata["help"],
               flag_values=flag_values)


def experiment_in(argv, names):
    """The `--experiment` of a command line (absl's own parsing of that one flag), or
    None when it is absent or not one of `names` (the full parse then says so)."""
    probe = flags.FlagValues()
    flags.DEFINE_string("experiment", None, "", flag_values=probe)
    try:
        probe(list(argv), known_only=True)
    except flags.Error:
        return None
    return probe.experiment if probe.experiment in names else None


def describe_experiment(experiment, flag_values):
    """Gives the flags of one experiment its own help text and default (for `--help`).

    Parsing does not change: a config takes only the flags given on the command line,
    and keeps its own defaults for the others.

    Returns:
        The flag names of the experiment, in the order of its config's fields.
    """
    names = []
    for field in dataclasses.fields(experiment.config):
        if "help" not in field.metadata:
            continue
        flag_values[field.name].help = field.metadata["help"]
        flag_values.set_default(field.name, _flag_text(field.default))
        names.append(field.name)
    return names


def _parse_items(field, values):
    item_type = field.metadata.get("item_type")
    if item_type is None:
        return tuple(values)
    try:
        return tuple(item_type(float(v)) if item_type is int and float(v) == int(float(v))
                     else item_type(v) for v in values)
    except ValueError:
        kind = "integers" if item_type is int else "numbers"
        raise ValueError(f"Expected {kind} in --{field.name}. "
                         f"Received: {','.join(values)}") from None


def config_from_flags(experiment, owners, flag_values):
    """The validated config of `experiment` from the flags given on the command line.

    Flags not given keep the config's own defaults. A flag given for another
    experiment is an error.

    Raises:
        ValueError: a flag of another experiment, or a value the config rejects.
    """
    fields = {f.name: f for f in dataclasses.fields(experiment.config)
              if "help" in f.metadata}
    values = {}
    for name, experiments in owners.items():
        if not flag_values[name].present:
            continue
        if name not in fields:
            raise ValueError(f"--{name} does not apply to --experiment={experiment.name} "
                             f"(it is a flag of {', '.join(experiments)})")
        value = flag_values[name].value
        if field_base_type(fields[name]) is tuple and value is not None:
            value = _parse_items(fields[name], value)
        values[name] = value
    return experiment.config(**values).validate()


def settings_from_flags(settings, flag_values):
    """The validated settings (e.g. `SweepSettings`) from the flags given."""
    values = {}
    for field in dataclasses.fields(settings):
        if flag_values[field.name].present:
            value = flag_values[field.name].value
            if field_base_type(field) is tuple and value is not None:
                value = _parse_items(field, value)
            values[field.name] = value
    return settings(**values).validate()


def given_flags(owners, flag_values):
    """The experiment flags given on the command line, as {name: value}."""
    return {name: flag_values[name].value for name in owners if flag_values[name].present}

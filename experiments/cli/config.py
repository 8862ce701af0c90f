"""Experiment configs: dataclass fields that carry their help, allowed values and bounds.

Every setting of an experiment is written once, as a field of its config dataclass:

    alpha2: float = setting(0.0, "Coefficient of mean ||w_y||·||F(x)||.", minimum=0)

`run.py` turns the fields of every registered config into absl flags
(`infodl.experiments.cli.flags.define_flags`), and `ExperimentConfig.validate()` checks each
field against its own metadata (choices, bounds, integer-ness) with the messages of
`infodl.checks`, then runs the config's cross-field checks (`check()`). No TensorFlow
is imported here, so bad flags fail before it loads.

Example:
    >>> import dataclasses
    >>> from infodl.experiments.cli.config import ExperimentConfig, setting
    >>> @dataclasses.dataclass
    ... class MyConfig(ExperimentConfig):
    ...     steps: int = setting(100, "Training steps.", minimum=1)
    >>> MyConfig(steps=0).validate()
    Traceback (most recent call last):
    ValueError: Expected steps >= 1 (an integer). Received: steps=0
"""

import dataclasses
import json
import types
import typing

from infodl import checks
from infodl.experiments.cli.early_checks import check_log_dir


def setting(default, help_text, *, choices=None, minimum=None, maximum=None,
            exclusive_minimum=False, exclusive_maximum=False, item_type=None,
            min_length=None, required=None, resumable=False, allow_none=None):
    """A config field with its flag help, allowed values and bounds.

    Args:
        default: the default value (None: computed by the config, see its docstring).
        help_text: the flag's help.
        choices: allowed values (a tuple from `infodl.choices`).
        minimum, maximum, exclusive_minimum, exclusive_maximum: numeric bounds.
        item_type: element type of a tuple field (int or float), parsed from a
            comma-separated flag.
        min_length: the fewest items a tuple field may have.
        required: what the value is, for a field without a usable default: None and ""
            are refused with `Expected <name> (<required>). Received: ...`.
        resumable: the field may change when a run is resumed in the same folder
            (e.g. the number of steps, intervals of logging).
        allow_none: None is a valid value (default: when the default is None).

    Returns:
        A `dataclasses.field` with the metadata.
    """
    metadata = dict(help=help_text, choices=None if choices is None else tuple(choices),
                    minimum=minimum, maximum=maximum, exclusive_minimum=exclusive_minimum,
                    exclusive_maximum=exclusive_maximum, item_type=item_type,
                    min_length=min_length, required=required, resumable=resumable,
                    allow_none=default is None if allow_none is None else allow_none)
    return dataclasses.field(default=default, metadata=metadata)


def field_base_type(field):
    """The Python type of a field: str, int, float, bool or tuple (Optional unwrapped)."""
    annotation = field.type
    if isinstance(annotation, str):  # `from __future__ import annotations`
        annotation = eval(annotation, vars(typing))
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):  # Optional, X | None
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(annotation) is tuple:
        return tuple
    return annotation


def _check_field(field, value):
    meta = field.metadata
    name = field.name
    if meta.get("required") and value in (None, ""):
        raise ValueError(f"Expected {name} ({meta['required']}). Received: {name}={value!r}")
    if value is None:
        if meta.get("allow_none"):
            return None
        raise ValueError(f"Expected a value for {name}. Received: {name}=None")
    if meta.get("choices") is not None:
        return checks.check_choice(value, name, meta["choices"])
    kind = field_base_type(field)
    bounds = dict(minimum=meta.get("minimum"), maximum=meta.get("maximum"))
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"Expected {name} to be True or False. Received: {name}={value!r}")
        return value
    if kind is int:
        return checks.check_integer(value, name, **bounds)
    if kind is float:
        return checks.check_real(value, name, exclusive_minimum=meta.get("exclusive_minimum"),
                                 exclusive_maximum=meta.get("exclusive_maximum"), **bounds)
    if kind is tuple:
        item_type = meta.get("item_type")
        items = tuple(value) if isinstance(value, (list, tuple)) else None
        if items is None or len(items) < (meta.get("min_length") or 0):
            least = f" of at least {meta['min_length']} items" if meta.get("min_length") else ""
            raise ValueError(f"Expected {name} to be a sequence{least}. "
                             f"Received: {name}={value!r}")
        if item_type is int:
            return tuple(checks.check_integer(v, name, **bounds) for v in items)
        if item_type is float:
            return tuple(checks.check_real(
                v, name, exclusive_minimum=meta.get("exclusive_minimum"),
                exclusive_maximum=meta.get("exclusive_maximum"), **bounds) for v in items)
        return items
    if kind is str and not isinstance(value, str):
        raise ValueError(f"Expected {name} to be a string. Received: {name}={value!r}")
    return value


@dataclasses.dataclass
class ExperimentConfig:
    """Base of the experiment configs: field-wise validation from the metadata.

    Subclasses are dataclasses whose fields are made with `setting(...)`; they may
    override `check()` for conditions between fields and `__post_init__` for
    defaults that depend on other fields (call `super().__post_init__()`).
    """

    # Whether the run creates (and writes) its `log_dir`: checked early, and removed again
    # when the run fails before its first step. False for a config that only reads it.
    creates_log_dir = True

    def __post_init__(self):
        pass

    def validate(self):
        """Checks every field, then `check()`; returns self (values canonicalised).

        Raises:
            ValueError: one line naming the first bad field.
        """
        for field in dataclasses.fields(self):
            if "help" in field.metadata:
                setattr(self, field.name, _check_field(field, getattr(self, field.name)))
        self.check()
        return self

    def check(self):
        """Cross-field conditions; raise ValueError. The base has none."""

    def early_checks(self):
        """What can be checked before TensorFlow loads (the command line calls it after
        `validate()`): here, that a `log_dir` the run will create or write to can be one
        (`creates_log_dir`).

        A config whose run reads other files (data, a checkpoint) extends it (calling
        `super().early_checks()`).

        Raises:
            ValueError / FileNotFoundError: one line.
        """
        log_dir = getattr(self, "log_dir", None)
        if isinstance(log_dir, str) and self.creates_log_dir:
            check_log_dir(log_dir)

    @classmethod
    def resumable_keys(cls):
        """Fields that may change between a run and its resumption."""
        return tuple(f.name for f in dataclasses.fields(cls) if f.metadata.get("resumable"))

    @classmethod
    def defaults(cls):
        """{field: default} as JSON-ready values: what a setting added after a run
        started counts as when that run's stored config lacks it."""
        return json.loads(json.dumps({f.name: f.default for f in dataclasses.fields(cls)
                                      if f.default is not dataclasses.MISSING}))

    def to_dict(self):
        """The config as JSON-ready values (tuples become lists)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

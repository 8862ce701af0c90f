"""Argument checks shared by the whole project, with Keras-style messages.

Each check returns the value in a canonical Python type (so callers can store it) or
raises one `ValueError` saying what was expected and what was received, in the words
of the argument (`Expected noise_variance > 0. Received: noise_variance=-1`). Library
code speaks of arguments; the command line adds the flag name where it reports.

NumPy scalars are accepted wherever the Python type is (np.float32(1.0) is a real
number, np.int64(2) an integer); booleans are never numbers here.

Example:
    >>> from infodl.checks import check_integer, check_positive
    >>> check_positive(np.float32(2.0), "noise_variance")
    2.0
    >>> check_integer(0, "batch_size")
    Traceback (most recent call last):
    ValueError: Expected batch_size >= 1 (an integer). Received: batch_size=0
"""

import math
import numbers

import numpy as np


def _is_real(value):
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Real)


def _is_integer(value):
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Integral)


def check_choice(value, name, allowed, allow_none=False):
    """Returns `value` if it is one of `allowed` (or None when allowed)."""
    if value is None and allow_none:
        return None
    if value not in tuple(allowed):
        suffix = " or None" if allow_none else ""
        raise ValueError(
            f"Expected {name} in {tuple(allowed)}{suffix}. Received: {name}={value!r}")
    return value


def check_real(value, name, minimum=None, maximum=None, exclusive_minimum=False,
               exclusive_maximum=False, allow_none=False):
    """Returns `value` as a float if it is a finite real number inside the bounds.

    Args:
        value: the argument.
        name: its name in the message.
        minimum, maximum: bounds (None = unbounded).
        exclusive_minimum, exclusive_maximum: strict bounds.
        allow_none: accept None (returned as is).
    """
    if value is None and allow_none:
        return None
    low = None if minimum is None else (">" if exclusive_minimum else ">=")
    high = None if maximum is None else ("<" if exclusive_maximum else "<=")
    if low and high:
        expected = (f"{minimum} {'<' if exclusive_minimum else '<='} {name} "
                    f"{high} {maximum}")
    elif low:
        expected = f"{name} {low} {minimum}"
    elif high:
        expected = f"{name} {high} {maximum}"
    else:
        expected = f"{name} to be a finite number"
    ok = _is_real(value) and math.isfinite(float(value))
    if ok and minimum is not None:
        ok = value > minimum if exclusive_minimum else value >= minimum
    if ok and maximum is not None:
        ok = value < maximum if exclusive_maximum else value <= maximum
    if not ok:
        raise ValueError(f"Expected {expected}. Received: {name}={value!r}")
    return float(value)


def check_positive(value, name, allow_none=False):
    """Returns `value` as a float if it is a finite real number > 0."""
    return check_real(value, name, minimum=0, exclusive_minimum=True, allow_none=allow_none)


def check_non_negative(value, name, allow_none=False):
    """Returns `value` as a float if it is a finite real number >= 0."""
    return check_real(value, name, minimum=0, allow_none=allow_none)


def check_bool(value, name):
    """Returns `value` as a bool if it is True or False (NumPy's bool too)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"Expected {name} to be True or False. Received: {name}={value!r}")
    return bool(value)


def check_fraction(value, name, include_zero=False, include_one=True):
    """Returns `value` as a float in (0, 1] (the ends as asked)."""
    return check_real(value, name, minimum=0, maximum=1,
                      exclusive_minimum=not include_zero, exclusive_maximum=not include_one)


def check_integer(value, name, minimum=1, maximum=None, allow_none=False):
    """Returns `value` as an int if it is an integer in [minimum, maximum]."""
    if value is None and allow_none:
        return None
    ok = _is_integer(value) and (minimum is None or value >= minimum) and (
        maximum is None or value <= maximum)
    if not ok:
        if minimum is not None and maximum is not None:
            expected = f"{minimum} <= {name} <= {maximum} (an integer)"
        elif minimum is not None:
            expected = f"{name} >= {minimum} (an integer)"
        elif maximum is not None:
            expected = f"{name} <= {maximum} (an integer)"
        else:
            expected = f"{name} to be an integer"
        raise ValueError(f"Expected {expected}. Received: {name}={value!r}")
    return int(value)


def check_integer_tuple(values, name, minimum=1, min_length=1):
    """Returns `values` as a tuple of ints >= `minimum`, at least `min_length` long."""
    items = tuple(values) if isinstance(values, (list, tuple)) else None
    if items is None or len(items) < min_length or not all(
            _is_integer(v) and (minimum is None or v >= minimum) for v in items):
        raise ValueError(
            f"Expected {name} to be a sequence of at least {min_length} integer(s) >= "
            f"{minimum}. Received: {name}={values!r}")
    return tuple(int(v) for v in items)


def check_class_labels(labels, num_examples=None, num_classes=None, allow_one_hot=True,
                       name="labels"):
    """Returns class labels as an int64 vector of shape (n,).

    Accepts integers (or integral floats such as 3.0) of shape (n,) or (n, 1) and,
    with `allow_one_hot`, one-hot (or score) rows of shape (n, C) >= 2 columns, whose
    argmax is the label.

    Args:
        labels: the labels.
        num_examples: required length n (None = any n >= 1).
        num_classes: labels must lie in [0, num_classes) (None = any >= 0).
        allow_one_hot: accept (n, C) rows.
        name: argument name in messages.

    Raises:
        ValueError: wrong shape or length, NaN/inf, non-integral or negative values,
            values out of range.
    """
    array = np.asarray(labels)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    numeric = array.dtype != object and (np.issubdtype(array.dtype, np.number)
                                         or array.dtype == bool)
    one_hot = allow_one_hot and array.ndim == 2
    if not numeric or array.ndim not in ((1, 2) if allow_one_hot else (1,)):
        shapes = "(n,) integers or (n, C) one-hot rows" if allow_one_hot else "(n,) integers"
        raise ValueError(f"Expected {name} of shape {shapes}. "
                         f"Received: shape={array.shape}, dtype={array.dtype}")
    if num_examples is not None and array.shape[0] != num_examples:
        raise ValueError(f"Expected {name} of length {num_examples} (one per example). "
                         f"Received: {name} of shape {array.shape}")
    if array.shape[0] < 1:
        raise ValueError(f"Expected at least one label. Received: {name} of shape {array.shape}")
    if np.issubdtype(array.dtype, np.inexact):
        if not np.all(np.isfinite(array)):
            raise ValueError(f"Expected finite {name}. Received: NaN/inf in {name}")
        if not one_hot and not np.all(array == np.round(array)):
            bad = array[array != np.round(array)][0]
            raise ValueError(f"Expected integer class {name}. Received: non-integer "
                             f"values such as {bad!r}")
    vector = (np.argmax(array, axis=1) if one_hot else array).astype(np.int64)
    if vector.min() < 0:
        raise ValueError(f"Expected {name} >= 0. Received: min={vector.min()}")
    if num_classes is not None and vector.max() >= num_classes:
        raise ValueError(f"Expected {name} in [0, {num_classes}). "
                         f"Received: min={vector.min()}, max={vector.max()}")
    return vector

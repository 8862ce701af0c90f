"""The arguments of `MINE.fit_estimate`: their defaults, their checks, and the names a
wrapper may pass through (`MINELayerEstimator`, `error_bar_point`). No Keras import:
a learning-rate schedule is recognised by importing Keras only when the value given
is not a number.

Example:
    >>> from infodl.estimators.fit_arguments import fit_settings
    >>> settings = fit_settings(steps=400, eval_every=25)
    >>> settings["min_steps"], settings["steps_per_execution"], settings["patience"]
    (200, 5, 5)

Reference: Belghazi et al. 2018 (MINE), section 3.2 (the held-out estimate these
settings run).
"""

import math
import numbers

import numpy as np

from infodl import checks

# Defaults of `fit_estimate`, chosen on correlated Gaussians (docs/estimators.md).
DEFAULT_STEPS = 4000
DEFAULT_BATCH_SIZE = 256
DEFAULT_LEARNING_RATE = 1e-3
DEFAULT_VALIDATION_FRACTION = 0.2
DEFAULT_RESTARTS = 1
DEFAULT_VERBOSE = 1
# The default schedule decays the learning rate by a cosine to this fraction of it.
FINAL_LEARNING_RATE_FRACTION = 0.05
# Held-out evaluations every 200 steps, stop after 5 without a gain of more than
# 0.005 nats (the same 1000-step window as the previous 10 x 100; smaller gains are
# held-out noise): docs/estimators.md, "Speed".
DEFAULT_EVAL_EVERY = 200
DEFAULT_PATIENCE = 5
DEFAULT_MIN_DELTA = 0.005
# Early stopping never ends a fit before this fraction of its steps.
MIN_STEPS_FRACTION = 0.5
# Critic steps per compiled call (Keras `steps_per_execution`): the same step, with
# Keras' per-step Python work (callbacks, logs, dispatch) paid once per call;
# evaluations still land every `eval_every` steps (docs/estimators.md, "Speed").
DEFAULT_STEPS_PER_EXECUTION = 10


def fit_settings(steps=None, batch_size=None, validation_fraction=None, patience=None,
                 verbose=None, eval_every=None, learning_rate=None, restarts=None,
                 min_steps=None, steps_per_execution=None, min_delta=None,
                 fit_call_steps=None):
    """Checks the arguments of `fit_estimate` and fills in the defaults (a dict)."""
    steps = checks.check_integer(DEFAULT_STEPS if steps is None else steps, "steps")
    eval_every = checks.check_integer(
        DEFAULT_EVAL_EVERY if eval_every is None else eval_every, "eval_every")
    if not _is_schedule(learning_rate):
        learning_rate = checks.check_positive(
            DEFAULT_LEARNING_RATE if learning_rate is None else learning_rate,
            "learning_rate")
    return {
        "steps": steps,
        "batch_size": checks.check_integer(
            DEFAULT_BATCH_SIZE if batch_size is None else batch_size, "batch_size", minimum=2),
        "validation_fraction": checks.check_fraction(
            DEFAULT_VALIDATION_FRACTION if validation_fraction is None
            else validation_fraction, "validation_fraction", include_one=False),
        "patience": checks.check_integer(
            DEFAULT_PATIENCE if patience is None else patience, "patience"),
        "verbose": checks.check_integer(
            DEFAULT_VERBOSE if verbose is None
            else int(verbose) if isinstance(verbose, (bool, np.bool_)) else verbose,
            "verbose", minimum=0, maximum=2),
        "eval_every": eval_every,
        "steps_per_execution": execution_steps(checks.check_integer(
            DEFAULT_STEPS_PER_EXECUTION if steps_per_execution is None
            else steps_per_execution, "steps_per_execution"), eval_every, steps),
        "learning_rate": learning_rate,
        "restarts": checks.check_integer(
            DEFAULT_RESTARTS if restarts is None else restarts, "restarts"),
        "min_steps": checks.check_integer(
            int(MIN_STEPS_FRACTION * steps) if min_steps is None else min_steps,
            "min_steps", minimum=0),
        "min_delta": checks.check_real(
            DEFAULT_MIN_DELTA if min_delta is None else min_delta, "min_delta", minimum=0),
        "fit_call_steps": checks.check_integer(fit_call_steps, "fit_call_steps",
                                               allow_none=True),
    }


# The arguments of `fit_estimate` after the samples (those of `fit_settings`): the keys
# a wrapper's `fit_settings` dict may hold (`check_fit_arguments`).
FIT_ARGUMENTS = ("steps", "batch_size", "validation_fraction", "patience", "verbose",
                 "eval_every", "learning_rate", "restarts", "min_steps",
                 "steps_per_execution", "min_delta", "fit_call_steps")


def check_fit_arguments(settings, own, name="fit_settings"):
    """Checks the further `fit_estimate` arguments a wrapper passes through (a dict).

    Args:
        settings: None (every default of `fit_estimate`) or a dict of some of
            `FIT_ARGUMENTS` (e.g. eval_every, patience, min_delta, min_steps).
        own: {name: value} of the `fit_estimate` arguments the wrapper sets itself
            (from its own arguments): given again in `settings` they are an error.
        name: the wrapper's name of `settings`, for the messages.

    Returns:
        A copy of `settings` ({} for None), whose values `fit_settings` accepted
        together with `own`.

    Raises:
        ValueError: not a dict, a key that is not an argument of `fit_estimate` or
            one of `own`, or a bad value (`fit_settings`' message).
    """
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise ValueError(f"Expected {name} a dict of `fit_estimate` arguments or None. "
                         f"Received: {name}={settings!r}")
    if not set(settings) <= set(FIT_ARGUMENTS):
        raise ValueError(f"Expected {name} keys among ({', '.join(FIT_ARGUMENTS)}). "
                         f"Received: {name}={settings!r}")
    given_twice = [key for key in FIT_ARGUMENTS if key in settings and key in own]
    if given_twice:
        raise ValueError(f"Expected {name} without {', '.join(given_twice)} (set by their "
                         f"own arguments). Received: {name}={settings!r}")
    fit_settings(**own, **settings)
    return dict(settings)


def execution_steps(requested, eval_every, steps):
    """Steps per compiled call: the largest divisor of gcd(eval_every, steps) that is at
    most `requested`, so every evaluation and the last step end a call.

    Example: `execution_steps(10, 100, 4000)` is 10, `execution_steps(10, 25, 400)` 5.
    """
    common = math.gcd(eval_every, steps)
    return max(k for k in range(1, min(requested, common) + 1) if common % k == 0)


def _is_schedule(value):
    """Whether `value` is a Keras learning-rate schedule (Keras loads only for a value
    that is not a number)."""
    if isinstance(value, (numbers.Number, np.generic, str)):
        return False
    import keras

    return isinstance(value, keras.optimizers.schedules.LearningRateSchedule)

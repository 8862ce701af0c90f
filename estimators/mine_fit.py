"""`MINE.fit_estimate`: samples in, one held-out estimate out (and its record).

A `validation_fraction` of the pairs is held out and split in two halves A and B.
Every `eval_every` steps the bound on each half is computed (with fixed marginal
pairs) and the best critic of each half is kept; after `min_steps` steps, training
stops once the mean of the two has gained no more than `min_delta` nats over its last
counted best for `patience` evaluations (defaults: every 200 steps, 5 evaluations,
0.005 nats: a fit stops 1000 steps after its held-out curve flattens).
The result is cross-fitted,

    value = 1/2 [ bound_B(critic best on A) + bound_A(critic best on B) ],

each term scored on pairs that did not pick its critic, so picking the best of many
noisy evaluations does not bias it upward. With the quadratic companion each half
also picks which of the two critics reports. The inputs are standardized (`adapt`)
on the training pairs first. Splits, batch order and restarts all derive from the
estimator's `run_seed` (`MINE(seed=...)`, else drawn from NumPy's global generator:
`keras.utils.set_random_seed` makes a fit repeatable: bit for bit under JAX; under
TensorFlow up to float32 rounding, ~1e-7, as its CPU kernels' sums depend on buffer
alignment).

An uncompiled model (or one compiled by an earlier `fit_estimate`) gets Adam with a
cosine decay from `learning_rate` to 5 % of it over `steps`, compiled to run
`steps_per_execution` critic steps per call (Keras' per-step Python work is paid once
per call; evaluations still land every `eval_every` steps, and each Keras epoch is
rounded up to whole calls by a few more shuffled training pairs); a model compiled by
the user keeps its optimizer. Each restart is one Keras `fit` call over its epochs
(`held_out_fit.restart_batches`; `fit_call_steps` restores one call per epoch). With
`restarts=k` the fit is
repeated k times, each with its own split, shuffles and (after the first) freshly
initialised critic; the value is their mean and `last_fit.std` their spread. A
constant s or t (every sample equal) carries no information: the result is 0.0
without training.

`last_fit.trusted` is False (with `last_fit.reason`, and one warning) when the value
is negative, when restarts disagree beyond their spread, when the stopping rule
never fired, when the value is more than 0.1 nats below the radius bound (KSG between
the sides' log radii, a lower bound computed on the same pairs), when the MLP critic
carried the estimate alone in 7 or more input features on a value more than 0.1 nats
above the radius bound, or when the value is below the
Gaussian-copula estimate of the same pairs by more than max(0.1 nats, 10 %)
(`FitResult`). A negative value
is a valid lower bound: the critic found no dependence it could tell from noise; the
true I(S; T) >= 0 may be 0 or small.

Example:
    >>> from infodl.estimators import MINE
    >>> from infodl.estimators.mine_fit import fit_estimate
    >>> rng = np.random.default_rng(0)
    >>> s = rng.standard_normal((1000, 1)).astype("float32")
    >>> t = s + rng.standard_normal((1000, 1)).astype("float32")   # I = 0.35 nats
    >>> mine = MINE(hidden_units=(8,), seed=0)
    >>> value = fit_estimate(mine, s, t, steps=400, batch_size=64, eval_every=20,
    ...                      patience=3, min_delta=0.02, restarts=2, verbose=0)
    >>> value == mine.last_fit.value, value.std == mine.last_fit.std, len(mine.last_fit.values)
    (True, True, 2)
    >>> value.trusted   # positive, the restarts agree, both stopped early
    True

Reference: Belghazi et al. 2018 (MINE), section 3.2; P3 (Elad et al.) appendix C;
Chernozhukov et al. 2018 (cross-fitting).
"""

import time

import keras
import numpy as np

from infodl.estimators.estimate import Estimate
from infodl.estimators.fit_arguments import (  # noqa: F401 (re-exported)
    DEFAULT_BATCH_SIZE,
    DEFAULT_EVAL_EVERY,
    DEFAULT_LEARNING_RATE,
    DEFAULT_MIN_DELTA,
    DEFAULT_PATIENCE,
    DEFAULT_RESTARTS,
    DEFAULT_STEPS,
    DEFAULT_STEPS_PER_EXECUTION,
    DEFAULT_VALIDATION_FRACTION,
    DEFAULT_VERBOSE,
    FINAL_LEARNING_RATE_FRACTION,
    FIT_ARGUMENTS,
    MIN_STEPS_FRACTION,
    check_fit_arguments,
    execution_steps,
    fit_settings,
)
from infodl.estimators.fit_result import FitResult, copula_value, radius_bound
from infodl.estimators.held_out_fit import (
    EPOCH_STEPS,
    HeldOutMonitor,
    epoch_index,
    restart_batches,
)
from infodl.seeds import derive_seed

# The previous defaults (CHANGELOG.md), kept for side-by-side timing:
# `MINE(bound, **PREVIOUS_MINE_DEFAULTS).fit_estimate(s, t, **PREVIOUS_DEFAULTS)` is
# the previous default fit (benchmarks/estimator_speed.py).
PREVIOUS_DEFAULTS = {"steps": 4000, "batch_size": 512, "eval_every": 100, "patience": 10,
                     "min_steps": 2000, "learning_rate": 1e-3, "steps_per_execution": 1,
                     "min_delta": 0.0, "fit_call_steps": EPOCH_STEPS}
PREVIOUS_MINE_DEFAULTS = {"standardize": "whiten", "log_radius": False}




def is_constant(samples):
    """True when every sample equals the first (None is not constant)."""
    return samples is not None and bool(np.all(samples == samples[:1]))


def fit_estimate(mine, s, t=None, steps=None, batch_size=None, validation_fraction=None,
                 patience=None, verbose=None, eval_every=None, learning_rate=None, restarts=None,
                 min_steps=None, steps_per_execution=None, min_delta=None,
                 fit_call_steps=None):
    """Trains `mine`'s critic with early stopping on held-out pairs; returns their estimate.

    Args:
        mine: a `MINE` (or `ArchitectureAwareMINE`).
        s, t: paired samples (N, ...) (AA-MINE: x alone). A 1-D array is one feature;
            a 1-D integer array is class labels, one-hot encoded.
        steps: critic steps per restart (default 4000).
        batch_size: pairs per step (default 256).
        validation_fraction: held-out fraction, in (0, 1) (default 0.2).
        patience: evaluations without a new best before stopping (default 5).
        verbose: 1 (default) shows a progress bar, 0 nothing.
        eval_every: steps between held-out evaluations (default 200).
        learning_rate: peak learning rate (default 1e-3) or a schedule.
        restarts: number of independent fits averaged (default 1).
        min_steps: no early stop before this step (default steps / 2).
        steps_per_execution: critic steps per compiled call (default 10; lowered to
            a divisor of `eval_every` and `steps`); 1 is the previous default (one
            step per call). A model compiled by the user keeps its own.
        min_delta: the least gain (nats) of the held-out curve that counts as a new
            best for `patience` (default 0.005; 0 counts every gain, as before).
        fit_call_steps: None (default) trains each restart in one Keras `fit` call;
            an integer calls `fit` once per epoch of about that many steps, on NumPy
            arrays (the previous loop, with 500: the same batches, plus a `fit`
            call's fixed cost per epoch).

    Returns:
        The cross-fitted held-out bound (nats), the mean over restarts: an `Estimate`,
        a float that also carries `std` (the spread over restarts), `trusted` and
        `reason`; `mine.last_fit` (a `FitResult`) keeps the curves and the rest.

    Raises:
        ValueError: mismatched lengths, fewer pairs than a split needs, NaN/inf
            samples, inputs of another width than a fitted `mine`'s, or a bad argument.
    """
    started = time.perf_counter()
    s, t = mine.pair_sampler.validate(s, t)
    settings = fit_settings(steps, batch_size, validation_fraction, patience, verbose,
                            eval_every, learning_rate, restarts, min_steps,
                            steps_per_execution, min_delta, fit_call_steps)
    if mine.pair_sampler.carries_no_information(s, t):
        mine.last_fit = FitResult.from_restarts(
            [0.0], [()], [0], [0], time.perf_counter() - started)
        return Estimate(0.0)
    num_validation = int(round(len(s) * settings["validation_fraction"]))
    if num_validation < 4 or len(s) - num_validation < 2:
        raise ValueError("Expected at least 2 training and 4 held-out pairs. Received: "
                         f"{len(s)} pairs with validation_fraction="
                         f"{settings['validation_fraction']}")
    runs = [fit_once(mine, s, t, restart, num_validation, settings)
            for restart in range(settings["restarts"])]
    values, curves, steps_run, best_steps, chosen, halves, stopped = zip(*runs, strict=True)
    checks_of_pairs = {}
    if t is not None:  # MINE on given pairs (AA-MINE draws t inside: no radius bound)
        checks_of_pairs = {
            "input_features": int(np.prod(s.shape[1:])) + int(np.prod(t.shape[1:])),
            "companion": mine.companion is not None,
            "radius_bound": radius_bound(s, t), "copula_value": copula_value(s, t)}
    mine.last_fit = FitResult.from_restarts(
        values, curves, steps_run, best_steps, time.perf_counter() - started, chosen,
        half_values=halves, stopped_early=stopped, patience=settings["patience"],
        min_delta=settings["min_delta"], **checks_of_pairs)
    mine.last_fit.warn_if_untrusted()
    return Estimate(mine.last_fit.value, mine.last_fit.std, mine.last_fit.reason)


def fit_once(mine, s, t, restart, num_validation, settings):
    """One restart: split, (re)initialise, train, pick, report (cross-fitted).

    Returns:
        (value in nats, held-out curve, steps run, mean best step, chosen critics,
        the two halves' values, whether the stopping rule fired).
    """
    seed = derive_seed(mine.run_seed, "mine_restart", restart)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(s))
    train_index, validation_index = order[num_validation:], order[:num_validation]
    s_val, t_val = mine.pair_sampler.complete_arrays(
        s[validation_index], None if t is None else t[validation_index])
    half = num_validation // 2
    halves = ((s_val[:half], t_val[:half]), (s_val[half:], t_val[half:]))
    mine.ensure_built(s_val[:2], t_val[:2])
    if restart:
        reinitialize_critics(mine.critics, seed)
    for variable in (mine.log_moving_average, mine.companion_log_moving_average,
                     mine.moving_average_steps):
        variable.assign(0.0)
    mine.adapt(s[train_index], None if t is None else t[train_index])
    steps = settings["steps"]
    batch_size = min(settings["batch_size"], len(train_index))
    mine.infonce_batch_size = batch_size
    prepare_optimizer(mine, settings["learning_rate"], steps, restart,
                      settings["steps_per_execution"])
    monitor = HeldOutMonitor(mine, halves, steps, settings["eval_every"],
                             settings["patience"], settings["min_steps"],
                             settings["verbose"], seed=int(rng.integers(2**31)),
                             min_delta=settings["min_delta"])
    multiple = mine.steps_per_execution
    if settings["fit_call_steps"] is None:  # the whole restart in one Keras `fit` call
        batches = restart_batches(s, t, train_index, batch_size, rng,
                                  -(-steps // multiple) * multiple, multiple)
        mine.fit(batches, epochs=1, shuffle=False, verbose=0, callbacks=[monitor])
    while not monitor.done:  # one `fit` per epoch (the previous loop), orders from `rng`
        index = epoch_index(train_index, batch_size, s, t, rng, multiple,
                            settings["fit_call_steps"] or EPOCH_STEPS)
        mine.fit(s[index], None if t is None else t[index], batch_size=batch_size,
                 epochs=1, shuffle=False, verbose=0, callbacks=[monitor])
    # Cross-fitting: the critic picked on one half is scored on the other, and
    # the two scores are averaged (twice the reporting pairs, no selection bias).
    values = []
    for picked, other in ((0, 1), (1, 0)):
        monitor.restore(picked)
        values.append(mine.estimate(*halves[other]))
    chosen = tuple(("critic", "quadratic_companion")[c] for c in monitor.best_critic)
    return (float(np.mean(values)), monitor.curve, monitor.step,
            int(round(np.mean(monitor.best_step))), chosen, tuple(values),
            monitor.stopped_early)


def prepare_optimizer(mine, learning_rate, steps, restart, steps_per_execution=1):
    """Adam with the default cosine schedule, unless the user compiled the model.

    The optimizer state at the start of the call is kept and restored before
    each further restart; an auto-compiled model with the same schedule and
    `steps_per_execution` is not compiled again (its compiled step is reused, no
    retracing). A model compiled by the user keeps its optimizer and its own
    `steps_per_execution`.
    """
    user_optimizer = getattr(mine, "optimizer", None) is not None and not mine._auto_compiled
    if not user_optimizer:
        key = (learning_rate if isinstance(learning_rate, float) else id(learning_rate),
               steps, steps_per_execution)
        if mine._auto_compiled and getattr(mine, "_optimizer_key", None) == key:
            _restore_optimizer_state(mine)
            return
        if not isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
            learning_rate = keras.optimizers.schedules.CosineDecay(
                learning_rate, steps, alpha=FINAL_LEARNING_RATE_FRACTION)
        # XLA made these small steps slower with TensorFlow on CPU; JAX compiles.
        mine.compile(optimizer=keras.optimizers.Adam(learning_rate),
                     jit_compile=keras.backend.backend() != "tensorflow",
                     steps_per_execution=steps_per_execution)
        mine._auto_compiled, mine._optimizer_key = True, key
    elif restart:
        _restore_optimizer_state(mine)
        return
    if not mine.optimizer.built:
        mine.optimizer.build(mine.trainable_variables)
    mine._optimizer_state = [np.array(v.value) for v in mine.optimizer.variables]


def _restore_optimizer_state(mine):
    for variable, value in zip(mine.optimizer.variables, mine._optimizer_state, strict=True):
        variable.assign(value)


def reinitialize_critics(critics, seed):
    """Fresh initial weights for every kernel and bias of the critics (restarts)."""
    covered = set()
    layers = [layer for critic in critics for layer in critic._flatten_layers()]
    for index, layer in enumerate(layers):
        for name in ("kernel", "bias"):
            variable = getattr(layer, name, None)
            initializer = getattr(layer, f"{name}_initializer", None)
            if variable is None or initializer is None:
                continue
            config = initializer.get_config()
            if "seed" in config:
                config["seed"] = derive_seed(seed, "critic_kernel", index)
            fresh = initializer.__class__.from_config(config)
            variable.assign(fresh(variable.shape, variable.dtype))
            covered.add(id(variable))
    missing = [v.path for critic in critics for v in critic.trainable_variables
               if id(v) not in covered]
    if missing:
        raise ValueError("Expected a critic whose weights are kernels and biases with "
                         f"initializers (restarts > 1). Received: {missing}")

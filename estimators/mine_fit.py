"""How `MINE.fit_estimate` trains: its defaults and checks, one restart, the optimizer.

`MINE` (and `ArchitectureAwareMINE`) hold the critic and the bound; this module holds
the procedure that turns samples into one held-out estimate: split the pairs, start
from fresh critic weights on a restart, compile Adam with a cosine schedule unless the
user compiled the model, train with `HeldOutMonitor` and score each held-out half with
the critic picked on the other (cross-fitting).

Example:
    >>> settings = fit_settings(steps=2000, batch_size=None, validation_fraction=0.2,
    ...                         patience=None, verbose=0, eval_every=None,
    ...                         learning_rate=None, restarts=1, min_steps=None)
    >>> value, curve, steps_run, best_step, chosen = fit_once(mine, s, t, 0, 4000, settings)

Reference: Belghazi et al. 2018 (MINE), section 3.2; Chernozhukov et al. 2018
(cross-fitting).
"""

import keras
import numpy as np

from infodl import checks
from infodl.estimators.held_out_fit import HeldOutMonitor, epoch_index
from infodl.seeds import derive_seed

# Defaults of `fit_estimate`, chosen on correlated Gaussians (docs/estimators.md).
DEFAULT_STEPS = 4000
DEFAULT_BATCH_SIZE = 512
DEFAULT_LEARNING_RATE = 1e-3
# The default schedule decays the learning rate by a cosine to this fraction of it.
FINAL_LEARNING_RATE_FRACTION = 0.05
DEFAULT_EVAL_EVERY = 100
DEFAULT_PATIENCE = 10
# Early stopping never ends a fit before this fraction of its steps.
MIN_STEPS_FRACTION = 0.5


def fit_settings(steps, batch_size, validation_fraction, patience, verbose, eval_every,
                 learning_rate, restarts, min_steps):
    """Checks the arguments of `fit_estimate` and fills in the defaults (a dict)."""
    steps = checks.check_integer(DEFAULT_STEPS if steps is None else steps, "steps")
    if not isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        learning_rate = checks.check_positive(
            DEFAULT_LEARNING_RATE if learning_rate is None else learning_rate,
            "learning_rate")
    return {
        "steps": steps,
        "batch_size": checks.check_integer(
            DEFAULT_BATCH_SIZE if batch_size is None else batch_size, "batch_size", minimum=2),
        "validation_fraction": checks.check_fraction(
            validation_fraction, "validation_fraction", include_one=False),
        "patience": checks.check_integer(
            DEFAULT_PATIENCE if patience is None else patience, "patience"),
        "verbose": checks.check_integer(int(verbose) if isinstance(verbose, (bool, np.bool_))
                                        else verbose, "verbose", minimum=0, maximum=2),
        "eval_every": checks.check_integer(
            DEFAULT_EVAL_EVERY if eval_every is None else eval_every, "eval_every"),
        "learning_rate": learning_rate,
        "restarts": checks.check_integer(restarts, "restarts"),
        "min_steps": checks.check_integer(
            int(MIN_STEPS_FRACTION * steps) if min_steps is None else min_steps,
            "min_steps", minimum=0),
    }


def is_constant(samples):
    """True when every sample equals the first (None is not constant)."""
    return samples is not None and bool(np.all(samples == samples[:1]))


def fit_once(mine, s, t, restart, num_validation, settings):
    """One restart: split, (re)initialise, train, pick, report (cross-fitted).

    Returns:
        (value in nats, held-out curve, steps run, mean best step, chosen critics).
    """
    seed = derive_seed(mine.seed, "mine_restart", restart)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(s))
    train_index, validation_index = order[num_validation:], order[:num_validation]
    s_val, t_val = mine._complete_arrays(
        s[validation_index], None if t is None else t[validation_index])
    half = num_validation // 2
    halves = ((s_val[:half], t_val[:half]), (s_val[half:], t_val[half:]))
    mine._ensure_built(s_val[:2], t_val[:2])
    if restart:
        reinitialize_critics(mine.critics, seed)
    for variable in (mine.log_moving_average, mine.companion_log_moving_average,
                     mine.moving_average_steps):
        variable.assign(0.0)
    mine.adapt(s[train_index], None if t is None else t[train_index])
    steps = settings["steps"]
    batch_size = min(settings["batch_size"], len(train_index))
    mine.infonce_batch_size = batch_size
    prepare_optimizer(mine, settings["learning_rate"], steps, restart)
    train_index = epoch_index(train_index, batch_size, s, t, rng)
    monitor = HeldOutMonitor(mine, halves, steps, settings["eval_every"],
                             settings["patience"], settings["min_steps"],
                             settings["verbose"], seed=int(rng.integers(2**31)))
    mine.fit(s[train_index], None if t is None else t[train_index],
             batch_size=batch_size, epochs=-(-steps * batch_size // len(train_index)),
             shuffle=True, verbose=0, callbacks=[monitor])
    # Cross-fitting: the critic picked on one half is scored on the other, and
    # the two scores are averaged (twice the reporting pairs, no selection bias).
    values = []
    for picked, other in ((0, 1), (1, 0)):
        monitor.restore(picked)
        values.append(mine.estimate(*halves[other]))
    chosen = tuple(("critic", "quadratic_companion")[c] for c in monitor.best_critic)
    return (float(np.mean(values)), monitor.curve, monitor.step,
            int(round(np.mean(monitor.best_step))), chosen)


def prepare_optimizer(mine, learning_rate, steps, restart):
    """Adam with the default cosine schedule, unless the user compiled the model.

    The optimizer state at the start of the call is kept and restored before
    each further restart; an auto-compiled model with the same schedule is not
    compiled again (its compiled step is reused, no retracing).
    """
    user_optimizer = getattr(mine, "optimizer", None) is not None and not mine._auto_compiled
    if not user_optimizer:
        key = (learning_rate if isinstance(learning_rate, float) else id(learning_rate),
               steps)
        if mine._auto_compiled and getattr(mine, "_optimizer_key", None) == key:
            _restore_optimizer_state(mine)
            return
        if not isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
            learning_rate = keras.optimizers.schedules.CosineDecay(
                learning_rate, steps, alpha=FINAL_LEARNING_RATE_FRACTION)
        # XLA made these small steps slower with TensorFlow on CPU; JAX compiles.
        mine.compile(optimizer=keras.optimizers.Adam(learning_rate),
                     jit_compile=keras.backend.backend() != "tensorflow")
        mine._auto_compiled, mine._optimizer_key = True, key
    elif restart:
        _restore_optimizer_state(mine)
        return
    if not mine.optimizer.built:
        mine.optimizer.build(mine.trainable_variables)
    mine._optimizer_state = [np.array(v.value) for v in mine.optimizer.variables]


def _restore_optimizer_state(mine):
    for variable, value in zip(mine.optimizer.variables, mine._optimizer_state):
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

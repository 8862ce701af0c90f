"""MINE: mutual information neural estimation with the DV, NWJ or InfoNCE bound."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from estimators import mi_bounds
from estimators.critic import Critic

BOUNDS = ("dv", "nwj", "infonce")
_SEED_STATE_KEY = "seed_generator_state"


@keras.saving.register_keras_serializable(package="infodl")
class MINE(keras.Model):
    """Neural lower bound on I(S; T) (nats), trained by gradient ascent on a critic D.

    Donsker-Varadhan: I(S; T) >= E_P[D(s, t)] - log E_Q[e^D(s, t)], with P the joint
    and Q = P_S x P_T, whose samples pair each s with a t re-shuffled afresh at every
    call. Training follows the bias-corrected gradient of Belghazi et al.:
    grad = E_P[grad D] - E_Q[e^D grad D] / A, where A is a moving average of
    E_Q[e^D] kept in log space (log A <- logaddexp(log(decay) + log A,
    log(1 - decay) + log mean e^D)); the surrogate objective
    mean(D_P) - exp(log mean e^(D_Q) - stop_gradient(log A)) has this gradient.
    `bound="nwj"` uses E_P[D] - E_Q[e^(D - 1)]; `bound="infonce"` the batch-wise
    InfoNCE bound (at most log batch size), both trained on the bound itself.

    Bad input: NaN/inf samples, s and t of different lengths, or fewer than 2 pairs
    raise ValueError; a constant s or t gives 0.0 from `fit_estimate` (no training).

    Args:
        critic: a layer mapping [s, t] to n scores; default `Critic(hidden_units)`.
        bound: "dv", "nwj" or "infonce".
        hidden_units: widths of the default critic (P3 appendix C: 1500, 1500).
        ema_decay: weight of the old value in the moving average, in [0, 1).
        seed: seed of the shuffles (and of the noise in subclasses).
        **kwargs: standard model arguments (name, ...).

    Returns:
        Called on (s, t), the critic scores D(s, t); `estimate` / `fit_estimate`
        return the bound on held-out pairs as a float in nats.

    Example:
        >>> mine = MINE(hidden_units=(64, 64), seed=0)
        >>> mi_nats = mine.fit_estimate(s, t, steps=2000, learning_rate=1e-3)

    Reference: Belghazi et al. 2018 (MINE), eq. 10-12 and section 3.2;
    Poole et al. 2019, eq. 9 and 12; P3 (Elad et al.) eq. 6, appendix C.
    """

    def __init__(self, critic=None, bound="dv", hidden_units=(1500, 1500),
                 ema_decay=0.99, seed=None, **kwargs):
        super().__init__(**kwargs)
        if bound not in BOUNDS:
            raise ValueError(f"Expected bound in {BOUNDS}. Received: bound={bound!r}")
        if not 0 <= ema_decay < 1:
            raise ValueError(f"Expected 0 <= ema_decay < 1. Received: ema_decay={ema_decay}")
        if isinstance(critic, dict):
            critic = keras.saving.deserialize_keras_object(critic)
        self.bound = bound
        self.hidden_units = tuple(int(units) for units in hidden_units)
        self.ema_decay = float(ema_decay)
        self.seed = seed
        self._critic_given = critic is not None
        self.critic = critic if critic is not None else Critic(
            self.hidden_units, seed=seed, name="critic")
        self.seed_generator = keras.random.SeedGenerator(seed, name="shuffle_seed")
        self.log_moving_average = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="log_moving_average")
        self.moving_average_steps = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="moving_average_steps")
        self.infonce_batch_size = 256

    # --- the critic and the bound -------------------------------------------------
    def build(self, input_shape):
        first_shape, second_shape = input_shape
        if not self.critic.built:
            width = int(np.prod(self._feature_shape(first_shape)[1:]))
            self.critic.build([(None, width), (None, int(np.prod(second_shape[1:])))])

    def call(self, inputs, training=False):
        first, second = inputs
        features = self._first_input_features(first, training=training)
        return self.critic([mi_bounds.flatten_samples(features), mi_bounds.flatten_samples(second)], training=training)

    def _feature_shape(self, first_shape):
        return tuple(first_shape)

    def _first_input_features(self, first, training=False):
        return ops.convert_to_tensor(first)

    def _complete_pairs(self, first, second):
        if second is None:
            raise ValueError("Expected pairs (s, t) for MINE. Received: t=None")
        return first, second

    def lower_bound(self, s, t, training=False):
        """The chosen bound on one batch of pairs (nats), differentiable in the critic and t."""
        return self._bound_terms(s, t, training=training)[0]

    def _bound_terms(self, s, t, training=False):
        s, t = mi_bounds.check_pair_tensors(s, t)
        features = mi_bounds.flatten_samples(self._first_input_features(s, training=training))
        t = mi_bounds.flatten_samples(t)
        num = ops.shape(features)[0]
        if self.bound == "infonce":
            rows = ops.repeat(features, num, axis=0)
            columns = ops.tile(t, [num, 1])
            matrix = ops.reshape(self.critic([rows, columns], training=training), (num, num))
            return mi_bounds.info_nce(matrix), ops.diagonal(matrix), matrix
        joint = self.critic([features, t], training=training)
        permutation = keras.random.shuffle(ops.arange(num), seed=self.seed_generator)
        marginal = self.critic([features, ops.take(t, permutation, axis=0)], training=training)
        if self.bound == "dv":
            return mi_bounds.donsker_varadhan(joint, marginal), joint, marginal
        return mi_bounds.nguyen_wainwright_jordan(joint, marginal), joint, marginal

    def training_objective(self, s, t, training=True, update_moving_average=True):
        """(bound, surrogate): the surrogate's gradient is the bias-corrected DV gradient.

        For NWJ and InfoNCE the surrogate is the bound itself. With
        `update_moving_average` the log-space average of E_Q[e^D] takes one step.
        """
        value, joint, marginal = self._bound_terms(s, t, training=training)
        if self.bound != "dv":
            return value, value
        log_batch_mean = ops.stop_gradient(mi_bounds.log_mean_exp(marginal))
        started = self.moving_average_steps > 0
        updated = mi_bounds.update_log_moving_average(
            self.log_moving_average, log_batch_mean, self.ema_decay)
        log_average = ops.where(started, updated, log_batch_mean)
        if update_moving_average:
            self.log_moving_average.assign(log_average)
            self.moving_average_steps.assign_add(1.0)
        ratio = ops.exp(mi_bounds.log_mean_exp(marginal) - ops.stop_gradient(log_average))
        return value, ops.mean(joint) - ratio

    # --- training -----------------------------------------------------------------
    def train_step(self, data):
        """One critic step on a batch (s, t) (or x alone where t can be sampled)."""
        if getattr(self, "optimizer", None) is None:
            raise ValueError("Expected a compiled model. Call compile(optimizer=...) first.")
        first, second = self._complete_pairs(*mi_bounds.unpack_pairs(data))
        with tf.GradientTape() as tape:
            value, surrogate = self.training_objective(first, second, training=True)
            loss = -surrogate
        variables = self.critic.trainable_variables
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        return {"mi_nats": value}

    def fit(self, x=None, y=None, **kwargs):
        """Keras fit on pairs: `fit(s, t, ...)` or `fit((s, t), ...)`."""
        first, second = mi_bounds.unpack_pairs((x,) if y is None else (x, y))
        if not self.built and hasattr(first, "shape"):
            sample = None if second is None else np.asarray(second[:2])
            self._ensure_built(np.asarray(first[:2]), sample)
        return super().fit(x, y, **kwargs)

    def _ensure_built(self, first, second):
        if not self.built:
            self(self._complete_pairs(ops.convert_to_tensor(first, "float32"),
                                      None if second is None else
                                      ops.convert_to_tensor(second, "float32")))

    def _validated(self, s, t):
        return mi_bounds.check_pairs(s, t)

    # --- held-out estimates -------------------------------------------------------
    def estimate(self, s, t, batch_size=None):
        """The plain bound (not the training surrogate) on held-out pairs, in nats.

        DV / NWJ use all pairs (scores computed in chunks of `batch_size`, default
        4096) and one fresh shuffle; InfoNCE averages over batches of `batch_size`
        (default `infonce_batch_size`).
        """
        s, t = self._validated(s, t)
        s, t = self._complete_arrays(s, t)
        self._ensure_built(s[:2], t[:2])
        num = len(s)
        if self.bound == "infonce":
            size = min(num, batch_size or self.infonce_batch_size)
            values = [float(self.lower_bound(s[i:i + size], t[i:i + size]))
                      for i in range(0, num - size + 1, size)]
            return float(np.mean(values))
        size = batch_size or 4096
        permutation = np.asarray(keras.random.shuffle(ops.arange(num), seed=self.seed_generator))
        joint, marginal = [], []
        for start in range(0, num, size):
            chunk = slice(start, start + size)
            features = mi_bounds.flatten_samples(self._first_input_features(s[chunk]))
            joint.append(self.critic([features, mi_bounds.flatten_samples(t[chunk])]))
            marginal.append(self.critic([features, mi_bounds.flatten_samples(t[permutation[chunk]])]))
        joint, marginal = ops.concatenate(joint, 0), ops.concatenate(marginal, 0)
        if self.bound == "dv":
            return float(mi_bounds.donsker_varadhan(joint, marginal))
        return float(mi_bounds.nguyen_wainwright_jordan(joint, marginal))

    def _complete_arrays(self, s, t):
        return s, t

    def _carries_no_information(self, s, t):
        """True when s or t is constant (every sample equal): then I(S; T) = 0."""
        return _is_constant(s) or _is_constant(t)

    def fit_estimate(self, s, t=None, steps=5000, batch_size=256, validation_fraction=0.2,
                     patience=10, verbose=1, eval_every=100, learning_rate=1e-4):
        """Trains the critic with early stopping on held-out pairs; returns their estimate.

        A `validation_fraction` of the pairs is held out and split in two halves.
        Every `eval_every` steps the bound on the first half is computed; training
        stops after `patience` evaluations without improvement and the best critic
        weights are kept. The returned value is the bound on the second half, so
        picking the best of many noisy evaluations does not bias it upward.
        An uncompiled model is compiled with Adam(`learning_rate`) (P3: 1e-4).
        With `verbose=1` a `keras.utils.Progbar` shows the training bound and the
        held-out value at every evaluation.

        A constant s or t (every sample equal) carries no information: the result
        is 0.0 without training (on such pairs joint and marginal pairs coincide and
        every bound is <= 0 for any critic, by Jensen's inequality).

        Returns:
            The bound (nats) on the second held-out half, a float.

        Raises:
            ValueError: mismatched lengths, fewer pairs than a split needs, NaN/inf
                samples, or a bad argument (steps, batch_size, ...).
        """
        s, t = self._validated(s, t)
        _check_fit_arguments(steps, batch_size, validation_fraction, patience, eval_every)
        if self._carries_no_information(s, t):
            return 0.0
        rng = np.random.default_rng(self.seed)
        order = rng.permutation(len(s))
        num_validation = int(round(len(s) * validation_fraction))
        if num_validation < 4 or len(s) - num_validation < 2:
            raise ValueError("Expected at least 2 training and 4 held-out pairs. Received: "
                             f"{len(s)} pairs with validation_fraction={validation_fraction}")
        train_index, validation_index = order[num_validation:], order[:num_validation]
        s_val, t_val = self._complete_arrays(
            s[validation_index], None if t is None else t[validation_index])
        if getattr(self, "optimizer", None) is None:
            self.compile(optimizer=keras.optimizers.Adam(learning_rate))
        half = num_validation // 2
        self._ensure_built(s_val[:2], t_val[:2])
        if not self.optimizer.built:
            self.optimizer.build(self.critic.trainable_variables)
        step_function = tf.function(self.train_step)
        batch_size = min(batch_size, len(train_index))
        if self.bound == "infonce":
            self.infonce_batch_size = batch_size
        progress = keras.utils.Progbar(steps, verbose=verbose, stateful_metrics=["val_mi_nats"])
        best_value, best_weights, evaluations_without_gain = -np.inf, None, 0
        batches = iter(())
        for step in range(1, steps + 1):
            index = next(batches, None)
            if index is None:
                shuffled = rng.permutation(train_index)
                batches = iter(np.split(shuffled[:len(shuffled) // batch_size * batch_size],
                                        len(shuffled) // batch_size))
                index = next(batches)
            batch = s[index] if t is None else (s[index], t[index])
            logs = step_function(batch)
            if step % eval_every and step != steps:
                continue
            value = self.estimate(s_val[:half], t_val[:half])
            if value > best_value:
                best_value, best_weights = value, self.critic.get_weights()
                evaluations_without_gain = 0
            else:
                evaluations_without_gain += 1
            progress.update(step, [("mi_nats", float(logs["mi_nats"])), ("val_mi_nats", value)])
            if evaluations_without_gain >= patience:
                break
        self.critic.set_weights(best_weights)
        return self.estimate(s_val[half:], t_val[half:])

    # --- saving ---------------------------------------------------------------------
    def save_own_variables(self, store):
        super().save_own_variables(store)
        store[_SEED_STATE_KEY] = self.seed_generator.state.numpy()

    def load_own_variables(self, store):
        own = {key: store[key] for key in store.keys() if key != _SEED_STATE_KEY}
        super().load_own_variables(own)
        if _SEED_STATE_KEY in store.keys():
            self.seed_generator.state.assign(np.asarray(store[_SEED_STATE_KEY]))

    def get_config(self):
        config = super().get_config()
        config.update(
            critic=keras.saving.serialize_keras_object(self.critic) if self._critic_given else None,
            bound=self.bound, hidden_units=list(self.hidden_units),
            ema_decay=self.ema_decay, seed=self.seed)
        return config


def _is_constant(samples):
    return samples is not None and bool(np.all(samples == samples[:1]))


def _check_fit_arguments(steps, batch_size, validation_fraction, patience, eval_every):
    for name, value, low in (("steps", steps, 1), ("batch_size", batch_size, 2),
                             ("patience", patience, 1), ("eval_every", eval_every, 1)):
        if int(value) != value or value < low:
            raise ValueError(f"Expected an integer {name} >= {low}. Received: {name}={value}")
    if not 0 < validation_fraction < 1:
        raise ValueError("Expected 0 < validation_fraction < 1. "
                         f"Received: validation_fraction={validation_fraction}")

"""The two MINE critics of one IB term pair: D_y on (one-hot y, L) and AA-MINE's D_x.

For a representation L = F(x) (flattened) and noise eps ~ N(0, sigma^2 I):

    I(Y; L)       >= E_P[D_y(y, L)]          - log E_Q[e^D_y(y, L')]
    I(X; L + eps) >= E_P[D_x(F(x), L + eps)] - log E_Q[e^D_x(F(x), L' + eps')]

(Donsker-Varadhan, nats), where L' = F(x') for an independent draw x' (P3 appendix A:
"draw b samples X_J and b samples X_M"). D_x is the head of the architecture-aware
MINE: its first input is the critic's own copy F(x) of layers 1..i, so gradients to
the network flow only through L + eps, never through the copy (stop-gradient). Critic
steps follow the bias-corrected MINE gradient, with the moving average of E_Q[e^D] kept
in log space (`infodl.estimators.mi_bounds.update_log_moving_average`).

Both critics see L through a fixed input map, `InputStandardizer` of the estimators
(`adapt`, the identity until called; the trainers' `critic_standardize`, by default no
map, P3's raw values):

    D_y(y, M(L)),   D_x(M(F(x)), M_eps(L + eps))

where M is fitted to L on the pretraining samples and M_eps is the same kind of map for
L + eps, fitted on L alone: with "scale" (the IB's "unit") or "global",
M(L) = (L - m) / s and M_eps(L + eps) = (L + eps - m) / sqrt(s^2 + sigma^2), s per unit or
one value for all units (the root of their mean variance). An affine map is invertible
and the critic's first layer is affine, so the family of functions D is P3's; only the
conditioning of its training changes. The units of a fresh ReLU layer of MNIST sit at
~0.3 beside noise of std 1.4: on the raw values, at Adam lr 1e-4, D_x read
I(X; L + eps) as 0.04 bits after 1000 steps and 0.85 after 3000 where independent fits
give 1.5-1.8 (docs/ib_training.md).

The critic step is the estimators' bias-corrected DV step
(`infodl.estimators.mi_bounds.dv_training_surrogate`, as `MINE.training_objective`),
once per critic. Every setting of the estimators' parts (the critics' negative slope and
quadratic units, the moving average's decay, the input map) is passed explicitly, so
the IB does not follow a change of MINE's defaults.

Runs inside `tf.function` (the trainers compile k critic steps and one network step
into one graph); the math is `keras.ops` on `infodl.estimators.critic.Critic` layers.
"""

import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from infodl import checks
from infodl.estimators.critic import Critic
from infodl.estimators.input_standardizer import InputStandardizer
from infodl.estimators.mi_bounds import donsker_varadhan, dv_training_surrogate, log_mean_exp
from infodl.seeds import derive_seed
from infodl.training.ib_settings import IB_DEFAULTS

NATS_PER_BIT = math.log(2.0)
# The critics of every IB run so far: leaky ReLU slope 0.2, no quadratic units (written
# here so that a change of `Critic`'s defaults does not reach the IB).
IB_CRITIC_NEGATIVE_SLOPE = 0.2
IB_CRITIC_QUADRATIC_UNITS, IB_CRITIC_QUADRATIC_SCALE = 0, 1.0
# The IB's older name of the estimators' per-unit map.
INPUT_MAP_ALIASES = {"unit": "scale"}
# The maps whose variables are a shift and a scale per unit (`input_map()` lists them as
# "shift", "scale" and "noisy_scale", as runs from before `InputStandardizer` did).
SCALING_MAPS = ("scale", "global", "none")


class IBCritics:
    """D_y (MINE of I(Y; L)) and D_x (AA-MINE head of I(X; L + eps)) with their optimizer.

    Args:
        feature_dim: width of the flattened representation L.
        num_classes: number of classes (width of one-hot y).
        settings: an `IBTrainerSettings`; the critics read critic_hidden_units,
            noise_variance (sigma^2 of eps), critic_learning_rate (Adam),
            critic_ema_decay (the DV moving average) and critic_standardize (the input
            map `adapt` fits).
        seed: int; seeds of the two critics' initial weights.

    Example:
        >>> from infodl.training.ib_critics import IBCritics
        >>> from infodl.training.ib_settings import IBTrainerSettings
        >>> settings = IBTrainerSettings(critic_hidden_units=(32,))  # P3: 1500, 1500
        >>> critics = IBCritics(2, 2, settings, seed=0)
        >>> rng = np.random.default_rng(0)
        >>> y_onehot = np.eye(2, dtype="float32")[np.arange(64) % 2]
        >>> l_joint = 4.0 * y_onehot  # a representation L of 64 examples
        >>> l_marginal = l_joint[rng.permutation(64)]  # L of other examples: P_Y ⊗ P_L
        >>> eps, eps_m = rng.normal(0.0, 2.0 ** 0.5, (2, 64, 2)).astype("float32")  # σ² = 2
        >>> i_y, i_x = critics.critic_step(y_onehot, l_joint, l_marginal, eps, eps_m)
        >>> [bool(np.isfinite(float(value))) for value in (i_y, i_x)]  # nats, before the step
        [True, True]

    Reference: P3 (Elad et al.) eq. 6-7, §4 (AA-MINE), appendix A and C; Belghazi et al.
    2018 §3.2 (bias-corrected gradient).
    """

    def __init__(self, feature_dim, num_classes, settings=IB_DEFAULTS, seed=0):
        self.feature_dim = checks.check_integer(feature_dim, "feature_dim")
        self.num_classes = checks.check_integer(num_classes, "num_classes", minimum=2)
        self.noise_variance = settings.noise_variance
        self.noise_std = math.sqrt(self.noise_variance)
        self.ema_decay = settings.critic_ema_decay
        critic_settings = dict(hidden_units=settings.critic_hidden_units,
                               negative_slope=IB_CRITIC_NEGATIVE_SLOPE,
                               quadratic_units=IB_CRITIC_QUADRATIC_UNITS,
                               quadratic_scale=IB_CRITIC_QUADRATIC_SCALE)
        self.label_critic = Critic(seed=derive_seed(seed, "ib_label_critic"),
                                   name="label_critic", **critic_settings)
        self.input_critic = Critic(seed=derive_seed(seed, "ib_input_critic"),
                                   name="input_critic", **critic_settings)
        self.label_critic.build([(None, self.num_classes), (None, self.feature_dim)])
        self.input_critic.build([(None, self.feature_dim), (None, self.feature_dim)])
        # The input maps (identity until `adapt`): M of L and M_eps of L + eps. Kept out
        # of `trackables` (checkpoints of runs from before the map still restore);
        # `input_map` / `set_input_map` carry them.
        mode = INPUT_MAP_ALIASES.get(settings.critic_standardize, settings.critic_standardize)
        self.input_map_mode = mode
        self.clean_map = InputStandardizer(mode, noise_variance=0.0, log_radius=False,
                                           name="clean_map")
        self.noisy_map = InputStandardizer(mode, noise_variance=self.noise_variance,
                                           log_radius=False, name="noisy_map")
        for input_map in (self.clean_map, self.noisy_map):
            input_map.build((None, self.feature_dim))
        # log of the moving averages of E_Q[e^D] of (D_y, D_x), and whether they started
        self.log_averages = tf.Variable(tf.zeros(2), trainable=False, name="log_averages")
        self.averages_started = tf.Variable(False, trainable=False, name="averages_started")
        self.optimizer = keras.optimizers.Adam(settings.critic_learning_rate)
        self.optimizer.build(self.trainable_variables)

    @property
    def trainable_variables(self):
        return self.label_critic.trainable_variables + self.input_critic.trainable_variables

    def trackables(self):
        """The objects a checkpoint must hold to resume these critics exactly."""
        return {"label_critic": self.label_critic, "input_critic": self.input_critic,
                "critic_optimizer": self.optimizer, "log_averages": self.log_averages,
                "averages_started": self.averages_started}

    # --- the input map ------------------------------------------------------------------
    def adapt(self, features):
        """Fits the input maps M (of L) and M_eps (of L + eps) to samples of L.

        Args:
            features: (n, ...) samples of the representation L (NumPy or tensor).

        Example:
            >>> from infodl.training.ib_critics import IBCritics
            >>> from infodl.training.ib_settings import IBTrainerSettings
            >>> settings = IBTrainerSettings(critic_hidden_units=(8,), critic_standardize="unit")
            >>> critics = IBCritics(2, 2, settings, seed=0)
            >>> critics.adapt(np.array([[0.0, 5.0], [2.0, 5.0]]))  # unit 2 is constant
            >>> [round(v, 3) for v in critics.input_map()["noisy_scale"]]  # sqrt(s² + σ²)
            [1.732, 1.414]
            >>> critics.input_map()["shift"], critics.input_map()["scale"]  # m, s (1: constant)
            ([1.0, 5.0], [1.0, 1.0])
        """
        values = np.asarray(features, "float64").reshape(len(features), -1)
        self.clean_map.adapt(values)
        self.noisy_map.adapt(values)

    def input_map(self):
        """The input maps as JSON lists (the history): for "scale", "global" and "none"
        {"shift", "scale", "noisy_scale"} (m, s and sqrt(s^2 + sigma^2) per unit, the
        format of runs from before `InputStandardizer`), otherwise {"mode", "clean",
        "noisy"} (each map's variables)."""
        if self.input_map_mode not in SCALING_MAPS:
            return {"mode": self.input_map_mode,
                    "clean": [np.asarray(v).tolist() for v in self.clean_map.weights],
                    "noisy": [np.asarray(v).tolist() for v in self.noisy_map.weights]}
        if self.input_map_mode == "none":
            zeros, ones = [0.0] * self.feature_dim, [1.0] * self.feature_dim
            return {"shift": zeros, "scale": ones, "noisy_scale": ones}
        return {"shift": [float(v) for v in np.asarray(self.clean_map.shift)],
                "scale": [float(v) for v in 1.0 / np.asarray(self.clean_map.transform,
                                                             "float64")],
                "noisy_scale": [float(v) for v in 1.0 / np.asarray(self.noisy_map.transform,
                                                                   "float64")]}

    def set_input_map(self, input_map):
        """Restores an `input_map()`; None keeps the identity (runs from before the map)."""
        if input_map is None:
            return
        if "mode" in input_map:
            for layer, key in ((self.clean_map, "clean"), (self.noisy_map, "noisy")):
                layer.set_weights([np.asarray(v, "float32") for v in input_map[key]])
            return
        values = {name: np.asarray(input_map[name], "float64")
                  for name in ("shift", "scale", "noisy_scale")}
        for name, value in values.items():
            if value.shape != (self.feature_dim,):
                raise ValueError(f"Expected an input map of {self.feature_dim} units. "
                                 f"Received: {name} of shape {value.shape}")
        if self.input_map_mode == "none":
            if np.any(values["shift"]) or np.any(values["scale"] != 1) \
                    or np.any(values["noisy_scale"] != 1):
                raise ValueError("Expected the identity input map with critic_standardize="
                                 "'none'. Received: a fitted map (shift, scale)")
            return
        for layer, scale in ((self.clean_map, values["scale"]),
                             (self.noisy_map, values["noisy_scale"])):
            layer.set_weights([values["shift"].astype("float32"),
                               (1.0 / scale).astype("float32")])

    def _clean(self, features):
        return self.clean_map(features)

    def _noisy(self, noisy_features):
        return self.noisy_map(noisy_features)

    # --- averaged weights (critic pretraining) -----------------------------------------
    def start_average(self):
        """Starts an exponential moving average of the critics' weights at their values now.

        The average (Polyak-Ruppert averaging, as an exponential moving average) is kept
        beside the weights: `update_average` moves it, `swap_average` exchanges the two
        (held-out evaluation of the average), `load_average` makes it the weights. Not in
        `trackables`: critic pretraining, its only user, is not checkpointed.
        """
        if not hasattr(self, "averaged_variables"):
            self.averaged_variables = [
                tf.Variable(variable, trainable=False, name=f"average_{k}")
                for k, variable in enumerate(self.trainable_variables)]
        for average, variable in self._average_pairs():
            average.assign(variable)

    def _average_pairs(self):
        return zip(self.averaged_variables, self.trainable_variables, strict=True)

    def update_average(self, decay):
        """average <- decay * average + (1 - decay) * weights (after a critic step)."""
        for average, variable in self._average_pairs():
            average.assign(decay * average + (1.0 - decay) * variable)

    def swap_average(self):
        """Exchanges the weights and their average (call again to swap back)."""
        for average, variable in self._average_pairs():
            weights = tf.identity(variable)
            variable.assign(average)
            average.assign(weights)

    def load_average(self):
        """Sets the weights to their average (the end of an averaged pretraining)."""
        for average, variable in self._average_pairs():
            variable.assign(average)

    # --- scores and steps --------------------------------------------------------------
    def scores(self, labels, features, marginal_features, noise, marginal_noise,
               label_rows=None, input_rows=None):
        """Joint and marginal scores (D_y_P, D_y_Q, D_x_P, D_x_Q) of one batch.

        `label_rows` / `input_rows` (static ints): D_y / D_x score only the first rows of
        the batch (None = all), so each critic can train on a batch size of its own.
        """
        y_rows, x_rows = slice(label_rows), slice(input_rows)
        copy = self._clean(ops.stop_gradient(features[x_rows]))  # the critic's copy of 1..i
        return (self.label_critic([labels[y_rows], self._clean(features[y_rows])]),
                self.label_critic([labels[y_rows], self._clean(marginal_features[y_rows])]),
                self.input_critic([copy, self._noisy(features[x_rows] + noise[x_rows])]),
                self.input_critic([copy, self._noisy(marginal_features[x_rows]
                                                     + marginal_noise[x_rows])]))

    def bounds(self, labels, features, marginal_features, noise, marginal_noise):
        """(I(Y; L), I(X; L + eps)) Donsker-Varadhan values of one batch, in nats.

        Differentiable in `features` and `marginal_features` (the network step).
        """
        y_joint, y_marginal, x_joint, x_marginal = self.scores(
            labels, features, marginal_features, noise, marginal_noise)
        return donsker_varadhan(y_joint, y_marginal), donsker_varadhan(x_joint, x_marginal)

    def critic_step(self, labels, features, marginal_features, noise, marginal_noise,
                    label_rows=None, input_rows=None):
        """One Adam step of both critics on the bias-corrected DV gradient.

        Args:
            labels, features, marginal_features, noise, marginal_noise: one batch.
            label_rows, input_rows: D_y / D_x train on the first rows only (None = all).

        Returns:
            (I(Y; L), I(X; L + eps)) of the batch before the step, in nats.
        """
        features = ops.stop_gradient(features)
        marginal_features = ops.stop_gradient(marginal_features)
        with tf.GradientTape() as tape:
            y_joint, y_marginal, x_joint, x_marginal = self.scores(
                labels, features, marginal_features, noise, marginal_noise, label_rows,
                input_rows)
            log_marginals = ops.stack([log_mean_exp(y_marginal), log_mean_exp(x_marginal)])
            label_term, label_average = dv_training_surrogate(
                y_joint, log_marginals[0], self.log_averages[0], self.averages_started,
                self.ema_decay)
            input_term, input_average = dv_training_surrogate(
                x_joint, log_marginals[1], self.log_averages[1], self.averages_started,
                self.ema_decay)
            loss = -(label_term + input_term)
        variables = self.trainable_variables
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        self.log_averages.assign(ops.stack([label_average, input_average]))
        self.averages_started.assign(True)
        joint = ops.stack([ops.mean(y_joint), ops.mean(x_joint)])
        values = joint - log_marginals
        return values[0], values[1]

    def heldout_bounds(self, labels, features, noise, marginal_noise, permutations):
        """DV values on held-out samples with fixed noise and marginal pairings, in nats.

        Args:
            labels: (n, classes) one-hot labels.
            features: (n, d) flattened representation.
            noise: (n, d) noise of the joint pairs.
            marginal_noise: (S, n, d) noise of the S marginal pairings.
            permutations: (S, n) int indices; pairing s matches sample j with
                features[permutations[s, j]].

        Returns:
            (I(Y; L), I(X; L + eps)) in nats: joint means over n pairs, marginal
            log-mean-exp over S * n pairs.
        """
        num_shuffles = ops.shape(permutations)[0]
        shuffled = ops.take(features, ops.reshape(permutations, (-1,)), axis=0)
        tiled_labels = ops.tile(labels, [num_shuffles, 1])
        tiled_features = ops.tile(features, [num_shuffles, 1])
        flat_noise = ops.reshape(marginal_noise, (-1, self.feature_dim))
        y_joint = self.label_critic([labels, self._clean(features)])
        y_marginal = self.label_critic([tiled_labels, self._clean(shuffled)])
        x_joint = self.input_critic([self._clean(features), self._noisy(features + noise)])
        x_marginal = self.input_critic([self._clean(tiled_features),
                                        self._noisy(shuffled + flat_noise)])
        return donsker_varadhan(y_joint, y_marginal), donsker_varadhan(x_joint, x_marginal)


def heldout_pairings(num_samples, feature_dim, noise_std, num_shuffles=4, seed=0):
    """Fixed noise and marginal pairings for `IBCritics.heldout_bounds` (NumPy).

    Each pairing is a random permutation without fixed points (a cyclic shift of a
    random order), so no marginal pair is a joint pair.

    Returns:
        (noise (n, d), marginal_noise (S, n, d), permutations (S, n)) as float32/int64.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(num_samples)
    shifts = rng.permutation(np.arange(1, num_samples))[:num_shuffles]
    permutations = np.empty((len(shifts), num_samples), "int64")
    for row, shift in enumerate(shifts):
        permutations[row, order] = np.roll(order, -int(shift))
    noise = rng.normal(0.0, noise_std, (num_samples, feature_dim)).astype("float32")
    marginal_noise = rng.normal(0.0, noise_std, (len(shifts), num_samples, feature_dim))
    return noise, marginal_noise.astype("float32"), permutations

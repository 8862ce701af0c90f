"""MINE: mutual information neural estimation with the DV, NWJ or InfoNCE bound."""

import time

import keras
import numpy as np
from keras import ops

from infodl.estimators import held_out_bounds, mi_bounds
from infodl.estimators.critic import Critic
from infodl.estimators.fit_result import FitResult
from infodl.estimators.mine_fit import DEFAULT_BATCH_SIZE, fit_once, fit_settings, is_constant
from infodl.estimators.separable_critic import SeparableCritic
from infodl.estimators.standardization import (GAUSSIANIZE_KNOTS, STANDARDIZE, gaussianized,
                                               normal_knots, quantile_knots, standardized,
                                               standardizing_transform, whitens)
from infodl import checks
from infodl.choices import MINE_BOUNDS
from infodl.seeds import derive_seed

BOUNDS = MINE_BOUNDS
CRITICS = ("concat", "separable")
# Defaults of `MINE` (those of `fit_estimate` are in `mine_fit`), chosen on correlated
# Gaussians (see benchmarks/estimator_accuracy.py and docs/estimators.md).
DEFAULT_HIDDEN_UNITS = (256, 256)
DEFAULT_EMBEDDING_DIM = 32
# Quadratic units of the companion critic w.z + b + sum_k a_k (v_k.z + c_k)^2.
COMPANION_QUADRATIC_UNITS = 64
COMPANION_QUADRATIC_SCALE = 1.0
# Marginal pairs per held-out sample in `estimate` (DV / NWJ, concatenation critic);
# the evaluations that pick the critic during `fit_estimate` use
# `held_out_fit.SELECTION_SHUFFLES`.
DEFAULT_ESTIMATE_SHUFFLES = 32
_SEED_STATE_KEY = "seed_generator_state"


@keras.saving.register_keras_serializable(package="infodl")
class MINE(keras.Model):
    """Neural lower bound on I(S; T) (nats), trained by gradient ascent on a critic D.

    Donsker-Varadhan: I(S; T) >= E_P[D(s, t)] - log E_Q[e^D(s, t)], with P the joint
    and Q = P_S x P_T, whose samples pair each s with a t re-shuffled afresh at every
    step. Training follows the bias-corrected gradient of Belghazi et al.:
    grad = E_P[grad D] - E_Q[e^D grad D] / A, where A is a moving average of
    E_Q[e^D] kept in log space (log A <- logaddexp(log(decay) + log A,
    log(1 - decay) + log mean e^D)); the surrogate objective
    mean(D_P) - exp(log mean e^(D_Q) - stop_gradient(log A)) has this gradient.
    `bound="nwj"` uses E_P[D] - E_Q[e^(D - 1)]; `bound="infonce"` the batch-wise
    InfoNCE bound (at most log batch size), both trained on the bound itself.

    Critics: "concat" (`Critic`, an MLP on [s, t]) or "separable" (`SeparableCritic`,
    f(s) . g(t), whose batch^2 scores are one matrix product; with it DV / NWJ take
    every off-diagonal pair of a batch as a marginal sample). Default: separable
    for InfoNCE, concatenation for DV and NWJ. A default critic gets a
    `quadratic_companion`, trained beside it on the same batches: a critic with
    no hidden layer, w.z + b + sum_k a_k (v_k.z + c_k)^2 on z = [s, t] (concat), or
    bilinear f(s) . g(t) with linear f, g (separable). It is exact for jointly
    Gaussian pairs, whose log density ratio is a quadratic form, and learns from few
    samples where the MLP's own estimation noise costs several percent (d = 10,
    I <= 2 nats); the MLP wins where the ratio is sharp or not quadratic.
    `fit_estimate` picks, on held-out pairs, which of the two (and which step) to
    report; `selected_critic` records the choice (0 = critic, 1 = companion).

    With `standardize="whiten"` (default) each side is mapped to zero mean and
    identity covariance, x -> (x - mean) Sigma^(-1/2) (per-feature scaling above
    256 features, or with "scale"), from training statistics (`adapt`, called by
    `fit_estimate`): an invertible map of s and of t, which leaves I(S; T)
    unchanged and spares the critic badly scaled or correlated inputs.
    `standardize="gaussianize"` first maps each feature by a strictly increasing
    piecewise-linear map fitted to its training quantiles to (nearly) standard normal
    marginals (`standardization.gaussianized`), then whitens: also invertible, and
    far more accurate where marginals are heavy-tailed or skewed (docs/estimators.md).

    Training runs through Keras' own per-backend step (the objective is the loss
    in `compute_loss`), so it works under the TensorFlow and the JAX backend.

    Bad input: NaN/inf samples, s and t of different lengths, or fewer than 2 pairs
    raise ValueError; a constant s or t gives 0.0 from `fit_estimate` (no training).

    Args:
        critic: None (default for the bound), "concat", "separable", or a layer
            mapping [s, t] to n scores (with an optional `pairwise_scores(s, t)`).
        bound: "dv", "nwj" or "infonce".
        hidden_units: widths of the default critic's hidden layers (each encoder's
            for "separable"); default (256, 256); P3 appendix C: `PAPER_CRITIC_HIDDEN_UNITS`.
        ema_decay: weight of the old value in the moving average, in [0, 1).
        seed: seed of the critic weights, the shuffles and the held-out split.
        standardize: "whiten" (default), "scale", "gaussianize" or "none" (True /
            False also work): how the critic inputs are standardized with training
            statistics; "gaussianize" for non-Gaussian marginals (heavy tails, skew).
        embedding_dim: width of f(s) and g(t) of the separable critic.
        quadratic_companion: train the quadratic companion critic beside the
            critic (default: True for the built-in critics, False for a layer).
        **kwargs: standard model arguments (name, ...).

    Returns:
        Called on (s, t), the critic scores D(s, t); `estimate` / `fit_estimate`
        return the bound on held-out pairs as a float in nats.

    Example:
        >>> mine = MINE(bound="dv", seed=0)
        >>> mi_nats = mine.fit_estimate(s, t)      # defaults: ~4000 steps
        >>> mine.last_fit.curves[0][-1]            # (step, held-out value)
        >>> paper = MINE(hidden_units=PAPER_CRITIC_HIDDEN_UNITS)  # P3's 1500-1500 critic

    Reference: Belghazi et al. 2018 (MINE), eq. 10-12 and section 3.2;
    Poole et al. 2019, eq. 9 and 12; P3 (Elad et al.) eq. 6, appendix C.
    """

    def __init__(self, critic=None, bound="dv", hidden_units=None, ema_decay=0.99, seed=None,
                 standardize="whiten", embedding_dim=DEFAULT_EMBEDDING_DIM,
                 quadratic_companion=None, **kwargs):
        super().__init__(**kwargs)
        self.bound = checks.check_choice(bound, "bound", BOUNDS)
        self.ema_decay = checks.check_real(ema_decay, "ema_decay", minimum=0, maximum=1,
                                           exclusive_maximum=True)
        self.seed = checks.check_integer(seed, "seed", minimum=None, allow_none=True)
        self.hidden_units = checks.check_integer_tuple(
            DEFAULT_HIDDEN_UNITS if hidden_units is None else hidden_units, "hidden_units",
            min_length=0)
        self.embedding_dim = checks.check_integer(embedding_dim, "embedding_dim")
        if standardize is True or standardize is None or standardize is False:
            standardize = {True: "whiten", None: "none", False: "none"}[standardize]
        self.standardize = checks.check_choice(standardize, "standardize", STANDARDIZE)
        if isinstance(critic, dict):
            critic = keras.saving.deserialize_keras_object(critic)
        if critic is None or isinstance(critic, str):
            kind = critic or ("separable" if self.bound == "infonce" else "concat")
            self.critic_type = checks.check_choice(kind, "critic", CRITICS)
            self._critic_given = critic is not None
            self.critic = self._default_critic()
        else:
            self.critic_type, self._critic_given = None, True
            self.critic = critic
        if quadratic_companion is None:
            quadratic_companion = self.critic_type is not None
        self.quadratic_companion = bool(quadratic_companion)
        self.companion = None
        if self.quadratic_companion:
            companion_seed = derive_seed(self.seed, "companion_critic")
            # No hidden layer: its batch^2 pair scores are one matrix product.
            self.companion = Critic((), quadratic_units=COMPANION_QUADRATIC_UNITS,
                                    quadratic_scale=COMPANION_QUADRATIC_SCALE,
                                    seed=companion_seed, name="quadratic_companion")
        self.seed_generator = keras.random.SeedGenerator(self.seed, name="shuffle_seed")
        # Which critic `call` and `estimate` use: 0 = `critic`, 1 = the companion.
        self.selected_critic = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="selected_critic")
        self.log_moving_average = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="log_moving_average")
        self.companion_log_moving_average = self.add_weight(
            shape=(), initializer="zeros", trainable=False,
            name="companion_log_moving_average")
        self.moving_average_steps = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="moving_average_steps")
        self.bound_tracker = keras.metrics.Mean(name="mi_nats")
        self.infonce_batch_size = DEFAULT_BATCH_SIZE
        self.last_fit = None
        self._objective_mode = False
        self._auto_compiled = False

    def _default_critic(self):
        if self.critic_type == "separable":
            return SeparableCritic(self.hidden_units, embedding_dim=self.embedding_dim,
                                   seed=self.seed, name="critic")
        return Critic(self.hidden_units, seed=self.seed, name="critic")

    # --- the critic and the bound -------------------------------------------------
    def build(self, input_shape):
        first_shape, second_shape = self._input_shapes(input_shape)
        first_width = int(np.prod(self._feature_shape(first_shape)[1:]))
        second_width = int(np.prod(second_shape[1:])) if len(second_shape) > 1 else 1
        self.first_knots = self.second_knots = None
        if self.standardize == "gaussianize":
            self.first_knots = self._knots(first_width, "first")
            self.second_knots = self._knots(second_width, "second")
        if self.standardize != "none":
            self.first_shift, self.first_transform = self._standardizer(first_width, "first")
            self.second_shift, self.second_transform = self._standardizer(
                second_width, "second")
        for critic in self.critics:
            if not critic.built:
                critic.build([(None, first_width), (None, second_width)])

    @property
    def critics(self):
        """[critic] or [critic, quadratic companion]: every critic that is trained."""
        return [self.critic] + ([] if self.companion is None else [self.companion])

    def _selected_index(self):
        return int(round(float(self.selected_critic))) if self.companion is not None else 0

    def _standardizer(self, width, name):
        """(shift, transform): a (d, d) whitening matrix or a (d,) per-feature scale."""
        shift = self.add_weight(shape=(width,), initializer="zeros", trainable=False,
                                name=f"{name}_shift")
        if whitens(self.standardize, width):
            transform = self.add_weight(shape=(width, width), initializer="identity",
                                        trainable=False, name=f"{name}_whitening")
        else:
            transform = self.add_weight(shape=(width,), initializer="ones", trainable=False,
                                        name=f"{name}_scale")
        return shift, transform

    def _knots(self, width, name):
        """(K, d) knots of the Gaussianizing map; before `adapt` the map is the identity."""
        def identity_knots(shape, dtype=None):
            return ops.cast(ops.tile(normal_knots(shape[0])[:, None], (1, shape[1])), dtype)
        return self.add_weight(shape=(GAUSSIANIZE_KNOTS, width), initializer=identity_knots,
                               trainable=False, name=f"{name}_knots")

    def _input_shapes(self, input_shape):
        first_shape, second_shape = input_shape
        return tuple(first_shape), tuple(second_shape)

    def call(self, inputs, training=False):
        if self._objective_mode:
            return inputs  # inside train_step / test_step: the loss is computed from x, y
        first, second = self._complete_pairs(*self._split_inputs(inputs))
        pairs = [self._first_features(first, training=training), self._second_features(second)]
        scores = self.critic(pairs, training=training)
        if self.companion is None:
            return scores
        return ops.where(self.selected_critic > 0.5, self.companion(pairs), scores)

    def _split_inputs(self, inputs):
        first, second = inputs
        return first, second

    def _feature_shape(self, first_shape):
        return tuple(first_shape)

    def _first_input_features(self, first, training=False):
        return ops.convert_to_tensor(first)

    def _first_features(self, first, training=False):
        """Flattened (and standardized) critic input of the first variable."""
        features = mi_bounds.flatten_samples(self._first_input_features(first, training))
        if self.first_knots is not None:
            features = gaussianized(features, self.first_knots)
        if self.standardize != "none":
            features = standardized(features, self.first_shift, self.first_transform)
        return features

    def _second_features(self, second):
        values = mi_bounds.flatten_samples(second)
        if self.second_knots is not None:
            values = gaussianized(values, self.second_knots)
        if self.standardize != "none":
            values = standardized(values, self.second_shift, self.second_transform)
        return values

    def _complete_pairs(self, first, second):
        if second is None:
            raise ValueError("Expected pairs (s, t) for MINE. Received: t=None")
        return first, second

    def lower_bound(self, s, t, training=False):
        """The bound of the selected critic on one batch of pairs (nats),
        differentiable in the critic and t."""
        return self._bound_terms(s, t, training=training)[self._selected_index()][0]

    def _bound_terms(self, s, t, training=False):
        """Per critic: (bound, joint scores, log mean e^D over the marginal pairs)."""
        s, t = mi_bounds.check_pair_tensors(s, t)
        if not self.built:
            self(self._complete_pairs(s[:2], t[:2]))
        features, t = self._first_features(s, training=training), self._second_features(t)
        permutation = None
        terms = []
        for critic in self.critics:
            if self.bound == "infonce":
                matrix = held_out_bounds.pairwise_scores(critic, features, t)
                terms.append((mi_bounds.info_nce(matrix), ops.diagonal(matrix), None))
                continue
            if getattr(critic, "separable", False):
                matrix = critic.pairwise_scores(features, t)
                joint = ops.diagonal(matrix)
                log_marginal = mi_bounds.log_mean_exp_off_diagonal(matrix)
            else:
                if permutation is None:  # one shuffle per step, shared by the critics
                    permutation = keras.random.shuffle(ops.arange(ops.shape(features)[0]),
                                                       seed=self.seed_generator)
                joint = critic([features, t], training=training)
                marginal = critic([features, ops.take(t, permutation, axis=0)],
                                  training=training)
                log_marginal = mi_bounds.log_mean_exp(marginal)
            if self.bound == "dv":
                value = ops.mean(joint) - log_marginal
            else:
                value = ops.mean(joint) - ops.exp(log_marginal - 1.0)
            terms.append((value, joint, log_marginal))
        return terms

    def training_objective(self, s, t, training=True, update_moving_average=True):
        """(bound, surrogate): the surrogate's gradient is the bias-corrected DV gradient.

        For NWJ and InfoNCE the surrogate is the bound itself. With
        `update_moving_average` the log-space average of E_Q[e^D] takes one step.
        With a quadratic companion both critics train (the surrogate is the sum of
        theirs) and `bound` is the selected critic's. Usable in any custom gradient
        loop (tf.GradientTape, jax.grad).
        """
        terms = self._bound_terms(s, t, training=training)
        averages = [self.log_moving_average, self.companion_log_moving_average]
        surrogate = 0.0
        started = self.moving_average_steps > 0
        for (value, joint, log_marginal), average in zip(terms, averages):
            if self.bound != "dv":
                surrogate = surrogate + value
                continue
            log_batch_mean = ops.stop_gradient(log_marginal)
            updated = mi_bounds.update_log_moving_average(average, log_batch_mean,
                                                          self.ema_decay)
            log_average = ops.where(started, updated, log_batch_mean)
            if update_moving_average:
                average.assign(log_average)
            ratio = ops.exp(log_marginal - ops.stop_gradient(log_average))
            surrogate = surrogate + ops.mean(joint) - ratio
        if update_moving_average and self.bound == "dv":
            self.moving_average_steps.assign_add(1.0)
        values = [value for value, _, _ in terms]
        if len(values) == 1:
            return values[0], surrogate
        return ops.where(self.selected_critic > 0.5, values[1], values[0]), surrogate

    # --- training: Keras' own train_step with the objective as the loss ----------------
    def train_step(self, *args):
        """One critic step on a batch (s, t) (or x alone where t can be sampled).

        Keras' backend step (TensorFlow: GradientTape; JAX: value_and_grad of the
        stateless call) differentiates `compute_loss`, which returns -surrogate.
        """
        if getattr(self, "optimizer", None) is None:
            raise ValueError("Expected a compiled model. Call compile(optimizer=...) first.")
        return self._in_objective_mode(super().train_step, *args)

    def test_step(self, *args):
        """The bound on a batch, without a moving-average update (Keras `evaluate`)."""
        return self._in_objective_mode(super().test_step, *args)

    def _in_objective_mode(self, step, *args):
        self._objective_mode = True
        try:
            return step(*args)
        finally:
            self._objective_mode = False

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """-surrogate of the batch (x, y) plus the critic's regularization losses."""
        if not self._objective_mode:
            return super().compute_loss(x, y, y_pred, sample_weight, training)
        first, second = self._complete_pairs(*mi_bounds.unpack_pairs(
            (x,) if y is None else (x, y)))
        value, surrogate = self.training_objective(
            first, second, training=training, update_moving_average=training)
        self.bound_tracker.update_state(ops.stop_gradient(value))
        loss = -surrogate
        for extra in self.losses:
            loss = loss + ops.cast(ops.sum(extra), loss.dtype)
        return loss

    def fit(self, x=None, y=None, **kwargs):
        """Keras fit on pairs: `fit(s, t, ...)` or `fit((s, t), ...)`; logs `mi_nats`."""
        self._build_from_data(x, y)
        return super().fit(x, y, **kwargs)

    def evaluate(self, x=None, y=None, **kwargs):
        """Keras evaluate on pairs: the mean bound over batches as `mi_nats`."""
        self._build_from_data(x, y)
        return super().evaluate(x, y, **kwargs)

    def _build_from_data(self, x, y):
        first, second = mi_bounds.unpack_pairs((x,) if y is None else (x, y))
        if not self.built and hasattr(first, "shape"):
            sample = None if second is None else np.asarray(second[:2])
            self._ensure_built(np.asarray(first[:2]), sample)

    def _ensure_built(self, first, second):
        if not self.built:
            first = ops.convert_to_tensor(first, "float32")
            second = None if second is None else ops.convert_to_tensor(second, "float32")
            self(self._complete_pairs(first, second))

    def _validated(self, s, t):
        return mi_bounds.check_pairs(s, t)

    def adapt(self, s, t=None):
        """Sets the input standardization from samples (called by `fit_estimate`).

        "whiten": x -> (x - mean) W with W = Sigma^(-1/2) (symmetric, eigenvalues
        floored at 1e-6 of the largest), so each side has identity covariance;
        "scale": x -> (x - mean) / std per feature (a constant feature keeps scale 1);
        "gaussianize": the knots of each feature's monotone map to normal marginals
        (training quantiles), then "whiten" on the mapped samples.
        All are invertible maps of s and of t: I(S; T) is unchanged. With
        standardize="none" this does nothing.
        """
        s, t = self._validated(s, t)
        s, t = self._complete_arrays(s, t)
        self._ensure_built(s[:2], t[:2])
        if self.standardize == "none":
            return
        first = self._first_feature_array(s).reshape(len(s), -1).astype("float64")
        second = np.asarray(t, "float64").reshape(len(t), -1)
        for values, knots, shift, transform in (
                (first, self.first_knots, self.first_shift, self.first_transform),
                (second, self.second_knots, self.second_shift, self.second_transform)):
            if knots is not None:
                knots.assign(quantile_knots(values, knots.shape[0]))
                values = ops.convert_to_numpy(gaussianized(
                    ops.convert_to_tensor(values, "float32"), knots)).astype("float64")
            shift.assign(values.mean(axis=0).astype("float32"))
            transform.assign(standardizing_transform(
                values, len(transform.shape) == 2).astype("float32"))

    def _first_feature_array(self, s):
        return np.asarray(s)

    # --- held-out estimates -------------------------------------------------------
    def estimate(self, s, t, batch_size=None, num_shuffles=None, seed=None):
        """The plain bound (not the training surrogate) on held-out pairs, in nats.

        DV / NWJ: the joint term over all pairs; the marginal term over
        `num_shuffles` (default 32) derangements of t (each s_i paired with
        t_j, j != i, of a random order shifted by distinct offsets), or, with a
        separable critic, over all n(n - 1) pairs i != j. InfoNCE: the mean bound
        over blocks of `batch_size` pairs (separable: 1024; concatenation: the
        training batch size). The selected critic is used (see `critics`).

        Args:
            s, t: held-out pairs (AA-MINE: x, and t drawn when omitted).
            batch_size: rows per network / critic call (default 4096 / 16384), or
                the InfoNCE block size.
            num_shuffles: derangements for the marginal term (concatenation critic).
            seed: None draws the marginal pairs from the model's seed generator;
                an integer fixes them (same pairs at every call).

        Returns:
            float, the bound in nats.
        """
        return self.estimate_each_critic(s, t, batch_size, num_shuffles, seed)[
            self._selected_index()]

    def estimate_each_critic(self, s, t, batch_size=None, num_shuffles=None, seed=None):
        """`estimate` of every critic of `critics` on the same pairs (a list of floats)."""
        s, t = self._validated(s, t)
        s, t = self._complete_arrays(s, t)
        self._ensure_built(s[:2], t[:2])
        num = len(s)
        count = min(num - 1, DEFAULT_ESTIMATE_SHUFFLES if num_shuffles is None
                    else checks.check_integer(num_shuffles, "num_shuffles"))
        order, shifts = held_out_bounds.marginal_order(num, count, seed, self.seed_generator)
        size = batch_size or held_out_bounds.FEATURE_CHUNK
        features = ops.concatenate([self._first_features(s[i:i + size])
                                    for i in range(0, num, size)], axis=0)
        targets = self._second_features(t)
        return [held_out_bounds.critic_bound(
            critic, self.bound, features, targets, order, shifts, batch_size,
            self.infonce_batch_size) for critic in self.critics]

    def _complete_arrays(self, s, t):
        return s, t

    def _carries_no_information(self, s, t):
        """True when s or t is constant (every sample equal): then I(S; T) = 0."""
        return is_constant(s) or is_constant(t)

    def fit_estimate(self, s, t=None, steps=None, batch_size=None, validation_fraction=0.2,
                     patience=None, verbose=1, eval_every=None, learning_rate=None,
                     restarts=1, min_steps=None):
        """Trains the critic with early stopping on held-out pairs; returns their estimate.

        A `validation_fraction` of the pairs is held out and split in two halves
        A and B. Every `eval_every` steps the bound on each half is computed (with
        fixed marginal pairs) and the best critic of each half is kept; after
        `min_steps` steps, training stops once the mean of the two has reached no
        new best for `patience` evaluations. The result is cross-fitted:

            value = 1/2 [ bound_B(critic best on A) + bound_A(critic best on B) ],

        each term scored on pairs that did not pick its critic, so picking the best
        of many noisy evaluations does not bias it upward, and all held-out pairs
        report (`estimate` with 32 marginal pairs per sample). With the quadratic
        companion, each half picks the better of the two critics as well.
        The inputs are standardized (`adapt`) on the training pairs first.
        The batch order comes from Keras' `fit` (shuffled with the global seed:
        `keras.utils.set_random_seed` makes a fit repeatable).

        An uncompiled model (or one compiled by an earlier `fit_estimate`) gets
        Adam with a cosine decay from `learning_rate` to 5 % of it over `steps`;
        a model compiled by the user keeps its optimizer.

        With `restarts=k` the fit is repeated k times, each with its own held-out
        split, shuffles and (after the first) freshly initialised critic; the
        return value is the mean and `last_fit.std` their spread.
        `last_fit` (a `FitResult`) also keeps the per-restart values, the held-out
        curves, the steps run and the wall time.

        A constant s or t (every sample equal) carries no information: the result
        is 0.0 without training (on such pairs joint and marginal pairs coincide and
        every bound is <= 0 for any critic, by Jensen's inequality).

        Args:
            s, t: paired samples (N, ...) (AA-MINE: x alone).
            steps: critic steps per restart (default 4000).
            batch_size: pairs per step (default 512).
            validation_fraction: held-out fraction, in (0, 1).
            patience: evaluations without a new best before stopping (default 10).
            verbose: 1 shows a progress bar, 0 nothing.
            eval_every: steps between held-out evaluations (default 100).
            learning_rate: peak learning rate (default 1e-3) or a schedule.
            restarts: number of independent fits averaged (default 1).
            min_steps: no early stop before this step (default steps / 2).

        Returns:
            The cross-fitted held-out bound (nats), a float (the mean over restarts).

        Example:
            >>> mine = MINE(bound="dv")
            >>> mine.fit_estimate(s, t)                 # the defaults, ~4000 steps
            >>> mine.fit_estimate(s, t, restarts=3)     # mean of 3 fits
            >>> mine.last_fit.std, mine.last_fit.values, mine.last_fit.seconds

        Reference: Belghazi et al. 2018 (MINE), section 3.2; P3 appendix C.

        Raises:
            ValueError: mismatched lengths, fewer pairs than a split needs, NaN/inf
                samples, or a bad argument (steps, batch_size, ...).
        """
        started = time.perf_counter()
        s, t = self._validated(s, t)
        settings = fit_settings(steps, batch_size, validation_fraction, patience, verbose,
                                 eval_every, learning_rate, restarts, min_steps)
        if self._carries_no_information(s, t):
            self.last_fit = FitResult.from_restarts(
                [0.0], [()], [0], [0], time.perf_counter() - started)
            return 0.0
        num_validation = int(round(len(s) * settings["validation_fraction"]))
        if num_validation < 4 or len(s) - num_validation < 2:
            raise ValueError("Expected at least 2 training and 4 held-out pairs. Received: "
                             f"{len(s)} pairs with validation_fraction={validation_fraction}")
        runs = [fit_once(self, s, t, restart, num_validation, settings)
                for restart in range(settings["restarts"])]
        values, curves, steps_run, best_steps, chosen = zip(*runs)
        self.last_fit = FitResult.from_restarts(values, curves, steps_run, best_steps,
                                                time.perf_counter() - started, chosen)
        return self.last_fit.value

    # --- saving ---------------------------------------------------------------------
    def save_own_variables(self, store):
        super().save_own_variables(store)
        store[_SEED_STATE_KEY] = np.asarray(self.seed_generator.state.value)

    def load_own_variables(self, store):
        own = {key: store[key] for key in store.keys() if key != _SEED_STATE_KEY}
        super().load_own_variables(own)
        if _SEED_STATE_KEY in store.keys():
            self.seed_generator.state.assign(np.asarray(store[_SEED_STATE_KEY]))

    def get_config(self):
        config = super().get_config()
        if self.critic_type is not None:
            critic = self.critic_type if self._critic_given else None
        else:
            critic = keras.saving.serialize_keras_object(self.critic)
        config.update(critic=critic, bound=self.bound, hidden_units=list(self.hidden_units),
                      ema_decay=self.ema_decay, seed=self.seed, standardize=self.standardize,
                      embedding_dim=self.embedding_dim,
                      quadratic_companion=self.quadratic_companion)
        return config


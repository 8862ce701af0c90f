"""MINE: mutual information neural estimation with the DV, NWJ or InfoNCE bound."""

import keras
import numpy as np
from keras import ops

from infodl import checks
from infodl.choices import MINE_BOUNDS
from infodl.estimators import held_out_bounds, mi_bounds, mine_fit
from infodl.estimators.critic_pair import CriticPair
from infodl.estimators.input_standardizer import InputStandardizer
from infodl.estimators.pair_sampler import PairSampler
from infodl.estimators.standardization import STANDARDIZE

BOUNDS = MINE_BOUNDS
# Defaults of `MINE` (those of `fit_estimate` are in `mine_fit`), chosen on correlated
# Gaussians (see benchmarks/estimator_accuracy.py and docs/estimators.md).
DEFAULT_HIDDEN_UNITS = (256, 256)
DEFAULT_EMBEDDING_DIM = 32
# Marginal pairs per held-out sample in `estimate` (DV / NWJ, concatenation critic).
DEFAULT_ESTIMATE_SHUFFLES = 32
_SEED_STATE_KEY = "seed_generator_state"
_OWN_VARIABLES = 3  # the moving averages and their step count


@keras.saving.register_keras_serializable(package="infodl")
class MINE(keras.Model):
    """Neural lower bound on I(S; T) (nats), trained by gradient ascent on a critic D.

    Donsker-Varadhan: I(S; T) >= E_P[D(s, t)] - log E_Q[e^D(s, t)], with P the joint
    and Q = P_S x P_T, whose samples pair each s with a t re-shuffled at every step.
    Training follows the bias-corrected gradient of Belghazi et al.:
    grad = E_P[grad D] - E_Q[e^D grad D] / A, A a moving average of E_Q[e^D] kept
    in log space; the surrogate mean(D_P) - exp(log mean e^(D_Q) - stop_gradient(log A))
    has this gradient. `bound="nwj"` uses E_P[D] - E_Q[e^(D - 1)], `bound="infonce"`
    the batch-wise InfoNCE bound (at most log batch size), trained on the bound itself.

    Composed of a `CriticPair` (the "concat" MLP on [s, t] or "separable" f(s) . g(t)
    critic, and a quadratic companion exact for Gaussian pairs; held-out pairs pick
    which reports), one `InputStandardizer` per side (invertible: I(S; T) unchanged)
    and a `PairSampler` (`ArchitectureAwareMINE` supplies its own). A 1-D array is one
    feature; 1-D integer labels are one-hot encoded (the estimate of their one-hot
    rows). A negative estimate is a valid lower-bound value: no dependence was found.

    Args:
        critic: None (default for the bound), "concat", "separable", or a layer
            mapping [s, t] to n scores (with an optional `pairwise_scores(s, t)`).
        bound: "dv", "nwj" or "infonce".
        hidden_units: widths of the default critic's hidden layers; default (256, 256);
            P3 appendix C: `PAPER_CRITIC_HIDDEN_UNITS`.
        ema_decay: weight of the old value in the moving average, in [0, 1).
        seed: seed of the critic weights, shuffles and held-out splits; None draws
            one from NumPy's global generator (`keras.utils.set_random_seed` fixes it).
        standardize: the invertible map of each side before the critic: "auto"
            (default: features whose marginal fails a normality check go to normal
            marginals by their training quantiles, the others stay as they are, then
            whitening), "whiten" (affine: (x - mean) Sigma^(-1/2), the previous
            default), "gaussianize" (every feature to normal marginals, then
            whitening), "scale" or "none" (`infodl.estimators.standardization`).
        embedding_dim: width of f(s) and g(t) of the separable critic.
        quadratic_companion: train the companion critic beside the critic (default:
            True for the built-in critics, False for a layer).
        log_radius: append to each side its log radius log(1 + |z|^2), z the features
            scaled by their training mean and std, before the map (`InputStandardizer`;
            a function of the side, so I(S; T) is unchanged): the dependence of
            heavy-tailed joints (multivariate t) lives in the radius, which an MLP on
            the coordinates does not find from a few thousand pairs (docs/estimators.md,
            "The log radius"). None (default): True for the built-in critics, False for
            a layer (it sees the inputs' own widths) and for `ArchitectureAwareMINE`.
        **kwargs: standard model arguments (name, ...).

    Returns:
        Called on (s, t), the critic scores D(s, t); `estimate` / `fit_estimate`
        return the bound on held-out pairs as a float in nats.

    Example:
        >>> from infodl.estimators import MINE
        >>> rng = np.random.default_rng(0)
        >>> s = rng.standard_normal((400, 1)).astype("float32")
        >>> t = s + 0.5 * rng.standard_normal((400, 1)).astype("float32")
        >>> mine = MINE(hidden_units=(16,), seed=0)
        >>> value = mine.fit_estimate(s, t, steps=800, batch_size=64, eval_every=20,
        ...                           patience=5, min_delta=0.005, verbose=0)
        >>> 0.7 < value < 0.9, value.trusted   # I = 1/2 log 5 = 0.80 nats
        (True, True)

    Reference: Belghazi et al. 2018 (MINE), eq. 10-12 and section 3.2;
    Poole et al. 2019, eq. 9 and 12; P3 (Elad et al.) eq. 6, appendix C.
    """

    def __init__(self, critic=None, bound="dv", hidden_units=None, ema_decay=0.99, seed=None,
                 standardize="auto", embedding_dim=DEFAULT_EMBEDDING_DIM,
                 quadratic_companion=None, log_radius=None, **kwargs):
        super().__init__(**kwargs)
        self.bound = checks.check_choice(bound, "bound", BOUNDS)
        self.ema_decay = checks.check_real(ema_decay, "ema_decay", minimum=0, maximum=1,
                                           exclusive_maximum=True)
        self.seed = checks.check_integer(seed, "seed", minimum=None, allow_none=True)
        # The seed every stream derives from: seed, or a draw that set_random_seed fixes.
        self.run_seed = int(np.random.randint(2**31 - 1) if seed is None else seed)
        self.hidden_units = checks.check_integer_tuple(
            DEFAULT_HIDDEN_UNITS if hidden_units is None else hidden_units, "hidden_units",
            min_length=0)
        self.embedding_dim = checks.check_integer(embedding_dim, "embedding_dim")
        if standardize is True or standardize is None or standardize is False:
            standardize = {True: "whiten", None: "none", False: "none"}[standardize]
        self.standardize = checks.check_choice(standardize, "standardize", STANDARDIZE)
        self._critic_given = critic is not None
        self.critic_pair, self.critic_type = CriticPair.for_mine(
            critic, self.bound, self.hidden_units, self.embedding_dim, self.run_seed,
            quadratic_companion)
        self.quadratic_companion = self.companion is not None
        self.log_radius = checks.check_bool(
            (critic is None or isinstance(critic, str)) if log_radius is None else log_radius,
            "log_radius")
        self.first_standardizer = InputStandardizer(standardize, log_radius=self.log_radius,
                                                    name="first_standardizer")
        self.second_standardizer = InputStandardizer(standardize, log_radius=self.log_radius,
                                                     name="second_standardizer")
        self.pair_sampler = PairSampler()
        self.seed_generator = keras.random.SeedGenerator(self.run_seed, name="shuffle_seed")
        self.log_moving_average, self.companion_log_moving_average, self.moving_average_steps = (
            self.add_weight(shape=(), initializer="zeros", trainable=False, name=name)
            for name in ("log_moving_average", "companion_log_moving_average",
                         "moving_average_steps"))
        self.bound_tracker = keras.metrics.Mean(name="mi_nats")
        self.infonce_batch_size = mine_fit.DEFAULT_BATCH_SIZE
        self.last_fit = None
        self.input_widths = None
        self._auto_compiled = False

    # --- the parts (the critics also keep their paths of older files) -------------
    critic = property(lambda self: self.critic_pair.critic, doc="The critic.")
    companion = property(lambda self: self.critic_pair.companion,
                         doc="The quadratic companion critic, or None.")
    critics = property(lambda self: self.critic_pair.critics,
                       doc="[critic] or [critic, companion]: every critic that is trained.")
    selected_critic = property(lambda self: self.critic_pair.selected,
                               doc="0 = `critic` reports, 1 = the companion (a variable).")

    def build(self, input_shape):
        self.input_widths = self.pair_sampler.widths(input_shape)
        self.first_standardizer.build((None, self.input_widths[0]))
        self.second_standardizer.build((None, self.input_widths[1]))
        self.critic_pair.build([(None, width + self.log_radius) for width in self.input_widths])

    def critic_inputs(self, first, second, training=False):
        """[standardized features of the first variable, standardized second]."""
        return [self.first_standardizer(self.pair_sampler.features(first, training)),
                self.second_standardizer(second)]

    def call(self, inputs, training=False):
        first, second = self.pair_sampler.complete(*self.pair_sampler.split(inputs))
        return self.critic_pair(self.critic_inputs(first, second, training), training=training)

    # --- the bound ------------------------------------------------------------------
    def lower_bound(self, s, t, training=False):
        """The selected critic's bound on one batch of pairs (nats), differentiable."""
        return self.bound_terms(s, t, training)[self.critic_pair.selected_index()][0]

    def bound_terms(self, s, t, training=False):
        """Per critic: (bound, joint scores, log mean e^D over the marginal pairs)."""
        s, t = mi_bounds.check_pair_tensors(s, t)
        self.ensure_built(s[:2], t[:2])
        features, t = self.critic_inputs(s, t, training)
        return self.critic_pair.batch_bounds(self.bound, features, t, self._shuffle, training)

    def _shuffle(self, num):
        return keras.random.shuffle(ops.arange(num), seed=self.seed_generator)

    def training_objective(self, s, t, training=True, update_moving_average=True):
        """(bound, surrogate): the surrogate's gradient is the bias-corrected DV gradient.

        For NWJ and InfoNCE the surrogate is the bound itself. With
        `update_moving_average` the log-space average of E_Q[e^D] takes one step.
        With a quadratic companion both critics train (the surrogate is the sum of
        theirs) and `bound` is the selected critic's. Usable in any custom gradient
        loop (tf.GradientTape, jax.grad).
        """
        terms = self.bound_terms(s, t, training=training)
        averages = [self.log_moving_average, self.companion_log_moving_average]
        surrogate, started = 0.0, self.moving_average_steps > 0
        for (value, joint, log_marginal), average in zip(terms, averages[:len(terms)],
                                                          strict=True):
            if self.bound != "dv":
                surrogate = surrogate + value
                continue
            term, log_average = mi_bounds.dv_training_surrogate(
                joint, log_marginal, average, started, self.ema_decay)
            if update_moving_average:
                average.assign(log_average)
            surrogate = surrogate + term
        if update_moving_average and self.bound == "dv":
            self.moving_average_steps.assign_add(1.0)
        return self.critic_pair.pick([value for value, _, _ in terms]), surrogate

    # --- training: Keras' own steps, with the objective as the loss ---------------
    def train_step(self, *args):
        """One critic step on a batch (s, t) (or x alone where t can be sampled): Keras'
        backend step differentiates `compute_loss`, which returns -surrogate."""
        if getattr(self, "optimizer", None) is None:
            raise ValueError("Expected a compiled model. Call compile(optimizer=...) first.")
        return super().train_step(*args[:-1], _as_model_input(args[-1]))

    def test_step(self, *args):
        """The bound on a batch, without a moving-average update (Keras `evaluate`)."""
        return super().test_step(*args[:-1], _as_model_input(args[-1]))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """-surrogate of the batch x = (s, t) (or x alone) plus the regularization losses;
        `y_pred` (the scores of `call`) is not needed."""
        first, second = self.pair_sampler.complete(*self.pair_sampler.split(x))
        value, surrogate = self.training_objective(
            first, second, training=training, update_moving_average=training)
        self.bound_tracker.update_state(ops.stop_gradient(value))
        loss = -surrogate
        for extra in self.losses:
            loss = loss + ops.cast(ops.sum(extra), loss.dtype)
        return loss

    def fit(self, x=None, y=None, **kwargs):
        """Keras fit on pairs (s, t) (AA-MINE: x); logs `mi_nats`."""
        self._build_from_data(x, y)
        return super().fit(x, y, **kwargs)

    def evaluate(self, x=None, y=None, **kwargs):
        """Keras evaluate on pairs: the mean bound over batches as `mi_nats`."""
        self._build_from_data(x, y)
        return super().evaluate(x, y, **kwargs)

    def _build_from_data(self, x, y):
        first, second = mi_bounds.unpack_pairs((x,) if y is None else (x, y))
        if hasattr(first, "shape"):
            self.ensure_built(np.asarray(first[:2]),
                              None if second is None else np.asarray(second[:2]))

    def ensure_built(self, first, second):
        """Builds on two pairs; a built model refuses inputs of other widths."""
        if self.built:
            widths = self.pair_sampler.widths(tuple(first.shape) if second is None
                                              else [tuple(first.shape), tuple(second.shape)])
            if tuple(widths) != tuple(self.input_widths):
                raise ValueError(f"Expected inputs of widths {tuple(self.input_widths)}, those "
                                 "this MINE was built on (make a new MINE for other data). "
                                 f"Received: widths {tuple(widths)}")
            return
        first = ops.convert_to_tensor(first, "float32")
        second = None if second is None else ops.convert_to_tensor(second, "float32")
        self(self.pair_sampler.complete(first, second))

    def adapt(self, s, t=None):
        """Fits the input standardization to samples (`InputStandardizer.adapt` of each
        side; called by `fit_estimate`). I(S; T) is unchanged."""
        s, t = self.pair_sampler.complete_arrays(*self.pair_sampler.validate(s, t))
        self.ensure_built(s[:2], t[:2])
        self.first_standardizer.adapt(self.pair_sampler.feature_array(s))
        self.second_standardizer.adapt(t)

    # --- held-out estimates -------------------------------------------------------
    def estimate(self, s, t, batch_size=None, num_shuffles=None, seed=None):
        """The plain bound (not the surrogate) of the selected critic on held-out pairs
        (s, t) (AA-MINE: t drawn when omitted), a float in nats: `critic_bound` with
        `num_shuffles` (default 32) derangements of t for the marginal term, chunks
        or InfoNCE blocks of `batch_size`, and marginal pairs fixed by an integer
        `seed` (None: drawn from the model's seed generator)."""
        return self.estimate_each_critic(s, t, batch_size, num_shuffles, seed)[
            self.critic_pair.selected_index()]

    def estimate_each_critic(self, s, t, batch_size=None, num_shuffles=None, seed=None):
        """`estimate` of every critic of `critics` on the same pairs (a list of floats)."""
        s, t = self.pair_sampler.complete_arrays(*self.pair_sampler.validate(s, t))
        self.ensure_built(s[:2], t[:2])
        count = min(len(s) - 1, DEFAULT_ESTIMATE_SHUFFLES if num_shuffles is None
                    else checks.check_integer(num_shuffles, "num_shuffles"))
        order, shifts = held_out_bounds.marginal_order(len(s), count, seed,
                                                       self.seed_generator)
        size = batch_size or held_out_bounds.FEATURE_CHUNK
        features = ops.concatenate(
            [self.first_standardizer(self.pair_sampler.features(s[i:i + size]))
             for i in range(0, len(s), size)], axis=0)
        targets = self.second_standardizer(t)
        return [held_out_bounds.critic_bound(critic, self.bound, features, targets, order,
                                             shifts, batch_size, self.infonce_batch_size)
                for critic in self.critics]

    def fit_estimate(self, s, t=None, **settings):
        """Trains the critic with early stopping on held-out pairs and returns their
        cross-fitted estimate in nats (an `Estimate`: a float, the mean over restarts,
        with `std` and `trusted`); arguments (steps, batch_size, restarts, ...) and the
        record `last_fit` (a `FitResult`) are those of `mine_fit.fit_estimate`."""
        return mine_fit.fit_estimate(self, s, t, **settings)

    # --- saving ---------------------------------------------------------------------
    def save_own_variables(self, store):
        super().save_own_variables(store)
        store[_SEED_STATE_KEY] = np.asarray(self.seed_generator.state.value)

    def load_own_variables(self, store):
        seed_state = store[_SEED_STATE_KEY] if _SEED_STATE_KEY in store.keys() else None
        keys = sorted((key for key in store.keys() if key != _SEED_STATE_KEY), key=int)
        if len(keys) > _OWN_VARIABLES:  # saved before the split (#17): the parts' too
            legacy = [np.asarray(store[key]) for key in keys]
            self.critic_pair.assign_variables(legacy[:1])
            legacy = legacy[1 + _OWN_VARIABLES:]
            knots = 2 if self.standardize == "gaussianize" else 0
            self.first_standardizer.assign_variables(legacy[:knots // 2] + legacy[knots:][:2])
            self.second_standardizer.assign_variables(legacy[knots // 2:knots]
                                                      + legacy[knots:][2:])
            keys = keys[1:1 + _OWN_VARIABLES]
        super().load_own_variables({str(i): store[key] for i, key in enumerate(keys)})
        if seed_state is not None:
            self.seed_generator.state.assign(np.asarray(seed_state))

    def get_config(self):
        config = super().get_config()
        critic = self.critic_type if self._critic_given else None
        if self.critic_type is None:
            critic = keras.saving.serialize_keras_object(self.critic)
        config.update(critic=critic, bound=self.bound, hidden_units=list(self.hidden_units),
                      ema_decay=self.ema_decay, seed=self.seed, standardize=self.standardize,
                      embedding_dim=self.embedding_dim,
                      quadratic_companion=self.quadratic_companion, log_radius=self.log_radius)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # A file saved before the log radius existed was fitted without it.
        return super().from_config({"log_radius": False, **config}, custom_objects)


def _as_model_input(data):
    """A Keras batch -> ((s, t),) or (x,): `call` sees the pairs as one input."""
    first, second = mi_bounds.unpack_pairs(data)
    return (first,) if second is None else ((first, second),)

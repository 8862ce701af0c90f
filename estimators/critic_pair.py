"""MINE's critic and its quadratic companion, with the choice of which one reports."""

import keras
from keras import ops

from infodl import checks
from infodl.estimators import held_out_bounds, mi_bounds
from infodl.estimators.critic import Critic, log_mean_exp_off_diagonal_product
from infodl.estimators.separable_critic import SeparableCritic
from infodl.seeds import derive_seed

CRITICS = ("concat", "separable")
# Quadratic units of the companion critic w.z + b + sum_k a_k (v_k.z + c_k)^2.
COMPANION_QUADRATIC_UNITS = 64
COMPANION_QUADRATIC_SCALE = 1.0


@keras.saving.register_keras_serializable(package="infodl")
class CriticPair(keras.layers.Layer):
    """A critic D and an optional quadratic companion Q, both trained; one reports.

        scores(s, t) = Q(s, t) if selected == 1 else D(s, t)

    The companion has no hidden layer: Q(z) = w.z + b + sum_k a_k (v_k.z + c_k)^2 on
    z = [s, t], exact for jointly Gaussian pairs (whose log density ratio is a
    quadratic form) and learnt from few samples; the MLP critic wins where the ratio
    is sharp or not quadratic. `MINE.fit_estimate` picks on held-out pairs which one
    reports (`select`).

    Args:
        critic: a layer mapping [s, t] to n scores (optionally with
            `pairwise_scores(s, t)` and `separable`).
        companion: None, or a second critic (`companion_critic(seed)`).
        **kwargs: standard layer arguments (name, ...).

    Returns:
        Called on [s, t], the selected critic's n scores.

    Example:
        >>> from infodl.estimators import Critic
        >>> from infodl.estimators.critic_pair import CriticPair, companion_critic
        >>> pair = CriticPair(Critic((4,), seed=0), companion_critic(seed=0))
        >>> pair.selected_index(), len(pair.critics)
        (0, 2)
        >>> pair.select(1)
        >>> pair.selected_index()
        1
        >>> tuple(pair([np.zeros((3, 2)), np.ones((3, 1))]).shape)
        (3,)

    Reference: Belghazi et al. 2018 (MINE), section 3; P3 (Elad et al.) appendix C.
    """

    def __init__(self, critic, companion=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(critic, dict):
            critic = keras.saving.deserialize_keras_object(critic)
        if isinstance(companion, dict):
            companion = keras.saving.deserialize_keras_object(companion)
        self.critic, self.companion = critic, companion
        # Which critic reports: 0 = `critic`, 1 = the companion.
        self.selected = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                        name="selected_critic")
        self.restored_by_owner = False

    @classmethod
    def for_mine(cls, critic, bound, hidden_units, embedding_dim, seed, companion=None):
        """(pair, critic type) of `MINE`'s arguments: critic None (the bound's default:
        "separable" for InfoNCE, else "concat"), a type, a layer or its config; the
        companion by default for the built-in critics."""
        if isinstance(critic, dict):
            critic = keras.saving.deserialize_keras_object(critic)
        kind = None
        if critic is None or isinstance(critic, str):
            kind = checks.check_choice(
                critic or ("separable" if bound == "infonce" else "concat"), "critic", CRITICS)
            critic = default_critic(kind, hidden_units, embedding_dim, seed)
        companion = kind is not None if companion is None else bool(companion)
        return cls(critic, companion_critic(seed) if companion else None,
                   name="critic_pair"), kind

    @property
    def critics(self):
        """[critic] or [critic, companion]: every critic that is trained."""
        return [self.critic] + ([] if self.companion is None else [self.companion])

    def selected_index(self):
        """0 (the critic) or 1 (the companion), as a Python int (eager)."""
        return int(round(float(self.selected))) if self.companion is not None else 0

    def select(self, index):
        """Makes critic `index` (0 or 1) the one that reports."""
        self.selected.assign(float(index))

    def pick(self, values):
        """The selected one of per-critic `values` (traceable: a `where`)."""
        if len(values) == 1:
            return values[0]
        return ops.where(self.selected > 0.5, values[1], values[0])

    def batch_bounds(self, bound, features, targets, shuffle, training=False):
        """Per critic: (bound, joint scores, log mean e^D over the marginal pairs) on a
        batch of (standardized) pairs, in nats.

        InfoNCE: from the n x n matrix of scores. DV / NWJ: a `separable` critic takes
        the n(n - 1) off-diagonal pairs as marginal samples; the others the pairs
        (features_i, targets_pi(i)) of one permutation pi = shuffle(n), shared.
        """
        permutation, terms = None, []
        for critic in self.critics:
            if bound == "infonce":
                matrix = held_out_bounds.pairwise_scores(critic, features, targets)
                terms.append((mi_bounds.info_nce(matrix), ops.diagonal(matrix), None))
                continue
            if getattr(critic, "separable", False) and hasattr(critic, "pairwise_factors"):
                # The matrix as left right^T: the same bound, a cheaper step (critic.py).
                left, right = critic.pairwise_factors(features, targets)
                joint, log_marginal = (ops.sum(left * right, axis=-1),
                                       log_mean_exp_off_diagonal_product(left, right))
            elif getattr(critic, "separable", False):
                matrix = critic.pairwise_scores(features, targets)
                joint, log_marginal = (ops.diagonal(matrix),
                                       mi_bounds.log_mean_exp_off_diagonal(matrix))
            else:
                if permutation is None:
                    permutation = shuffle(ops.shape(features)[0])
                joint = critic([features, targets], training=training)
                log_marginal = mi_bounds.log_mean_exp(critic(
                    [features, ops.take(targets, permutation, axis=0)], training=training))
            value = ops.mean(joint) - (log_marginal if bound == "dv"
                                       else ops.exp(log_marginal - 1.0))
            terms.append((value, joint, log_marginal))
        return terms

    def build(self, input_shape):
        for critic in self.critics:
            if not critic.built:
                critic.build(input_shape)

    def call(self, pairs, training=False):
        return self.pick([critic(pairs, training=training) for critic in self.critics])

    def assign_variables(self, values):
        """Sets `selected` from an owner's store (files that predate this layer)."""
        self.selected.assign(values[0])
        self.restored_by_owner = True

    def load_own_variables(self, store):
        if self.restored_by_owner and not list(store.keys()):
            return
        super().load_own_variables(store)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0],)

    def get_config(self):
        config = super().get_config()
        config.update(critic=keras.saving.serialize_keras_object(self.critic),
                      companion=keras.saving.serialize_keras_object(self.companion))
        return config


def default_critic(kind, hidden_units, embedding_dim, seed):
    """The built-in critic: "concat" (`Critic`) or "separable" (`SeparableCritic`)."""
    kind = checks.check_choice(kind, "critic", CRITICS)
    if kind == "separable":
        return SeparableCritic(hidden_units, embedding_dim=embedding_dim, seed=seed,
                               name="critic")
    return Critic(hidden_units, seed=seed, name="critic")


def companion_critic(seed):
    """The companion critic: no hidden layer, so its batch^2 pair scores are one
    matrix product; seeded by the `companion_critic` stream of `seed`."""
    return Critic((), quadratic_units=COMPANION_QUADRATIC_UNITS,
                  quadratic_scale=COMPANION_QUADRATIC_SCALE,
                  seed=derive_seed(seed, "companion_critic"), name="quadratic_companion")

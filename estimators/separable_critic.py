"""A separable MINE / InfoNCE critic: D(s, t) = f(s) . g(t), two MLP encoders."""

import keras
from keras import ops

from infodl import checks
from infodl.seeds import derive_seed


def _mlp(hidden_units, output_units, negative_slope, seed, name):
    """Dense layers with LeakyReLU between them and a linear output layer."""

    def initializer(index):
        return keras.initializers.GlorotUniform(derive_seed(seed, "critic_kernel", index))

    layers = [keras.layers.Dense(units, kernel_initializer=initializer(index),
                                 name=f"{name}_hidden_{index}")
              for index, units in enumerate(hidden_units)]
    layers.append(keras.layers.Dense(output_units, kernel_initializer=initializer(
        len(hidden_units)), name=f"{name}_embedding"))
    return layers


@keras.saving.register_keras_serializable(package="infodl")
class SeparableCritic(keras.layers.Layer):
    """Statistics network D(s, t) = f(s) . g(t): one MLP encoder per input.

    D(s, t) = sum_k f_k(s) g_k(t),  f, g = MLPs with LeakyReLU hidden layers and a
    linear `embedding_dim`-wide output.

    Each sample passes its encoder once, so the n x n matrix of scores of every
    (s_i, t_j) in a batch is one matrix product f(S) g(T)^T (`pairwise_scores`):
    InfoNCE then costs what DV costs with a concatenation critic, and the n(n - 1)
    off-diagonal entries serve DV / NWJ as marginal samples. The log density ratio
    of jointly Gaussian (s, t) is a quadratic form, separable with a few features.

    Args:
        hidden_units: widths of the hidden layers of each encoder.
        embedding_dim: integer >= 1, width of f(s) and g(t).
        negative_slope: slope of LeakyReLU for negative inputs.
        seed: seed of the Glorot-uniform initial weights (None = random).
        **kwargs: standard layer arguments (name, dtype, ...).

    Returns:
        Called on [s, t] (shapes (n, d_s) and (n, d_t)), the n scores D(s_i, t_i).

    Example:
        >>> from infodl.estimators import SeparableCritic
        >>> critic = SeparableCritic(hidden_units=(64, 64), embedding_dim=16, seed=0)
        >>> matrix = critic.pairwise_scores(np.zeros((8, 2)), np.ones((8, 3)))
        >>> tuple(matrix.shape)
        (8, 8)

    Reference: Poole et al. 2019, "On variational bounds of mutual information",
    section 2.3 and 4 (separable critics); Oord et al. 2018 (CPC).
    """

    # MINE reads this: its pairwise scores are one matrix product, not n^2 passes.
    separable = True

    def __init__(self, hidden_units=(256, 256), embedding_dim=32, negative_slope=0.2,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = checks.check_integer_tuple(hidden_units, "hidden_units",
                                                       min_length=0)
        self.embedding_dim = checks.check_integer(embedding_dim, "embedding_dim")
        self.negative_slope = checks.check_non_negative(negative_slope, "negative_slope")
        self.seed = seed
        self.first_encoder = _mlp(self.hidden_units, self.embedding_dim,
                                  self.negative_slope, seed, "first")
        self.second_encoder = _mlp(self.hidden_units, self.embedding_dim, self.negative_slope,
                                   derive_seed(seed, "separable_second_encoder"), "second")

    def build(self, input_shape):
        encoders = (self.first_encoder, self.second_encoder)
        for encoder, shape in zip(encoders, input_shape, strict=True):
            width = int(shape[-1])
            for layer in encoder:
                layer.build((None, width))
                width = layer.units

    def _encode(self, encoder, values):
        hidden = values
        for layer in encoder[:-1]:
            hidden = ops.leaky_relu(layer(hidden), negative_slope=self.negative_slope)
        return encoder[-1](hidden)

    def embeddings(self, inputs):
        """(f(s), g(t)), each of shape (n, embedding_dim)."""
        first, second = inputs
        if not self.built:  # pairwise_scores may come before any call
            self.build([tuple(first.shape), tuple(second.shape)])
        return (self._encode(self.first_encoder, first),
                self._encode(self.second_encoder, second))

    def pairwise_factors(self, first, second):
        """(f(s), g(t)): `pairwise_scores` = f(S) g(T)^T (MINE's DV / NWJ step uses
        the factors, `critic.log_mean_exp_off_diagonal_product`)."""
        return self.embeddings([first, second])

    def pairwise_scores(self, first, second):
        """The (n, m) matrix D(s_i, t_j) = f(s_i) . g(t_j), one matrix product."""
        first_embedding, second_embedding = self.embeddings([first, second])
        return ops.matmul(first_embedding, ops.transpose(second_embedding))

    def call(self, inputs):
        first_embedding, second_embedding = self.embeddings(inputs)
        return ops.sum(first_embedding * second_embedding, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0],)

    def get_config(self):
        config = super().get_config()
        config.update(hidden_units=list(self.hidden_units), embedding_dim=self.embedding_dim,
                      negative_slope=self.negative_slope, seed=self.seed)
        return config

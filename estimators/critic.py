"""The MINE critic: an MLP on the concatenation of its two inputs."""

import keras
from keras import ops

from infodl import checks
from infodl.paper_constants import PAPER_CRITIC_HIDDEN_UNITS
from infodl.seeds import derive_seed


@keras.saving.register_keras_serializable(package="infodl")
class Critic(keras.layers.Layer):
    """Statistics network D(s, t) of MINE: an MLP on the concatenation [s, t].

    D(s, t) = w_out^T h_L + b_out + c sum_k a_k (v_k^T z + e_k)^2,
    h_k = LeakyReLU(W_k h_(k-1) + b_k),  h_0 = z = [s, t]

    The quadratic units (off by default) add a quadratic form in z; with no hidden
    layer the critic is exactly a quadratic form, the log density ratio of jointly
    Gaussian (s, t), and its pair matrix needs no n * m passes (`separable`).

    Every pair is one MLP pass, so the n x n scores InfoNCE needs cost n^2 passes
    (`pairwise_scores`); `SeparableCritic` gets them from one matrix product.

    Args:
        hidden_units: widths of the hidden layers (P3 appendix C: `PAPER_CRITIC_HIDDEN_UNITS`).
        negative_slope: slope of LeakyReLU for negative inputs (0.2, the
            `tf.nn.leaky_relu` default the P3 code used).
        seed: seed of the Glorot-uniform initial weights (None = random).
        quadratic_units: number K >= 0 of quadratic units (a_k start at 0).
        quadratic_scale: c > 0, a fixed factor on the quadratic term.
        **kwargs: standard layer arguments (name, dtype, ...).

    Returns:
        Called on [s, t] (shapes (n, d_s) and (n, d_t)), a tensor of n scores.

    Example:
        >>> from infodl.estimators import Critic
        >>> critic = Critic(hidden_units=(64, 64), seed=0)
        >>> tuple(critic([np.zeros((8, 2)), np.ones((8, 3))]).shape)
        (8,)
        >>> gaussian = Critic((), quadratic_units=64, seed=0)      # a quadratic form
        >>> s, t = np.ones((5, 2), "float32"), np.zeros((4, 3), "float32")
        >>> tuple(gaussian.pairwise_scores(s, t).shape)             # one matrix product
        (5, 4)

    Reference: P3 (Elad et al.) appendix C; Belghazi et al. 2018, section 3.
    """

    def __init__(self, hidden_units=PAPER_CRITIC_HIDDEN_UNITS, negative_slope=0.2, seed=None,
                 quadratic_units=0, quadratic_scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = checks.check_integer_tuple(hidden_units, "hidden_units",
                                                       min_length=0)
        self.negative_slope = checks.check_non_negative(negative_slope, "negative_slope")
        self.seed = seed

        def initializer(index):
            return keras.initializers.GlorotUniform(derive_seed(seed, "critic_kernel", index))

        self.hidden_layers = [
            keras.layers.Dense(units, kernel_initializer=initializer(index), name=f"hidden_{index}")
            for index, units in enumerate(hidden_units)]
        self.output_layer = keras.layers.Dense(
            1, kernel_initializer=initializer(len(hidden_units)), name="score")
        self.quadratic_units = checks.check_integer(quadratic_units, "quadratic_units",
                                                    minimum=0)
        self.quadratic_scale = checks.check_positive(quadratic_scale, "quadratic_scale")
        if self.quadratic_units:
            self.quadratic_layer = keras.layers.Dense(
                self.quadratic_units, kernel_initializer=initializer(len(hidden_units) + 1),
                name="quadratic")
            self.quadratic_output = keras.layers.Dense(
                1, use_bias=False, kernel_initializer="zeros", name="quadratic_score")

    def build(self, input_shape):
        first_shape, second_shape = input_shape
        width = int(first_shape[-1]) + int(second_shape[-1])
        for layer in self.hidden_layers:
            layer.build((None, width))
            width = layer.units
        self.output_layer.build((None, width))
        if self.quadratic_units:
            self.quadratic_layer.build((None, int(first_shape[-1]) + int(second_shape[-1])))
            self.quadratic_output.build((None, self.quadratic_units))

    @property
    def separable(self):
        """Without hidden layers the score is a quadratic form in [s, t], whose (n, m)
        matrix of pairs `pairwise_scores` computes by algebra (no n * m passes)."""
        return not self.hidden_units

    def pairwise_scores(self, first, second):
        """The (n, m) matrix D(s_i, t_j) of every s_i with every t_j.

        With hidden layers: n * m MLP passes. Without: writing the quadratic units as
        v_k.z + c_k = u_ik + w_jk (u from s_i, w from t_j),
        D_ij = lin(s_i) + lin(t_j) + sum_k a_k (u_ik^2 + w_jk^2 + 2 u_ik w_jk),
        one matrix product.
        """
        if self.separable:
            return self._quadratic_pairwise_scores(first, second)
        num_first, num_second = ops.shape(first)[0], ops.shape(second)[0]
        rows = ops.repeat(first, num_second, axis=0)
        columns = ops.tile(second, [num_first, 1])
        return ops.reshape(self([rows, columns]), (num_first, num_second))

    def pairwise_factors(self, first, second):
        """(left, right) with `pairwise_scores(s, t)` = left right^T (no hidden layers).

        With u_i = V s_i + c, w_j = V' t_j (the quadratic units' parts of s_i and t_j)
        and lin the linear score, D_ij = p_i + q_j + 2 sum_k a_k u_ik w_jk, where
        p_i = lin(s_i) + sum_k a_k u_ik^2 and q_j = lin(t_j) + sum_k a_k w_jk^2; so
        left_i = [2 a * u_i, p_i, 1] and right_j = [w_j, 1, q_j]: the n x m matrix
        is one product of (n, K + 2) and (m, K + 2) factors, with no elementwise
        pass over it (`log_mean_exp_off_diagonal_product`).
        """
        if not self.separable:
            raise ValueError("Expected a critic without hidden layers (pairwise_factors). "
                             f"Received: hidden_units={self.hidden_units}")
        if not self.built:
            self.build([tuple(first.shape), tuple(second.shape)])
        width = int(first.shape[-1])
        kernel, bias = self.output_layer.kernel, self.output_layer.bias
        first_score = ops.matmul(first, kernel[:width]) + bias
        second_score = ops.matmul(second, kernel[width:])
        left, right = [], []
        if self.quadratic_units:
            weights = self.quadratic_scale * self.quadratic_output.kernel[:, 0]
            first_part = (ops.matmul(first, self.quadratic_layer.kernel[:width])
                          + self.quadratic_layer.bias)
            second_part = ops.matmul(second, self.quadratic_layer.kernel[width:])
            first_score = first_score + ops.matmul(ops.square(first_part), weights[:, None])
            second_score = second_score + ops.matmul(ops.square(second_part), weights[:, None])
            left, right = [2.0 * first_part * weights], [second_part]
        left = ops.concatenate(left + [first_score, ops.ones_like(first_score)], axis=-1)
        right = ops.concatenate(right + [ops.ones_like(second_score), second_score], axis=-1)
        return left, right

    def _quadratic_pairwise_scores(self, first, second):
        if not self.built:
            self.build([tuple(first.shape), tuple(second.shape)])
        width = int(first.shape[-1])
        kernel, bias = self.output_layer.kernel, self.output_layer.bias
        scores = (ops.matmul(first, kernel[:width]) + bias
                  + ops.transpose(ops.matmul(second, kernel[width:])))
        if self.quadratic_units:
            weights = self.quadratic_scale * self.quadratic_output.kernel[:, 0]
            first_part = (ops.matmul(first, self.quadratic_layer.kernel[:width])
                          + self.quadratic_layer.bias)
            second_part = ops.matmul(second, self.quadratic_layer.kernel[width:])
            scores = (scores + ops.matmul(ops.square(first_part), weights[:, None])
                      + ops.transpose(ops.matmul(ops.square(second_part), weights[:, None]))
                      + 2.0 * ops.matmul(first_part * weights, ops.transpose(second_part)))
        return scores

    def call(self, inputs):
        first, second = inputs
        inputs = hidden = ops.concatenate([first, second], axis=-1)
        for layer in self.hidden_layers:
            hidden = ops.leaky_relu(layer(hidden), negative_slope=self.negative_slope)
        score = self.output_layer(hidden)
        if self.quadratic_units:
            score = score + self.quadratic_scale * self.quadratic_output(
                ops.square(self.quadratic_layer(inputs)))
        return ops.squeeze(score, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0],)

    def get_config(self):
        config = super().get_config()
        config.update(hidden_units=list(self.hidden_units),
                      negative_slope=self.negative_slope, seed=self.seed,
                      quadratic_units=self.quadratic_units,
                      quadratic_scale=self.quadratic_scale)
        return config


@ops.custom_gradient
def log_mean_exp_off_diagonal_product(left, right):
    """log of the mean of e^(M_ij) over the entries i != j of M = left right^T.

        L = max + log sum_{i != j} e^(M_ij - max) - log(n (n - 1)),
        dL/dleft = P right,  dL/dright = P^T left,
        P_ij = e^(M_ij - L) / (n (n - 1)) for i != j,  P_ii = 0

    The value of `mi_bounds.log_mean_exp_off_diagonal(left @ right.T)` (the same
    masked log-sum-exp); the gradient is written out, so the training step makes
    two n x n products and no autodiff pass over the n x n matrix (2-2.7 ms of a
    default MINE step of 14-16 ms, docs/estimators.md "Speed").

    Args:
        left: (n, k) tensor, n >= 2.
        right: (n, k) tensor.

    Returns:
        Scalar tensor.

    Example:
        >>> from infodl.estimators.critic import log_mean_exp_off_diagonal_product
        >>> left, right = np.zeros((3, 2), "float32"), np.ones((3, 2), "float32")
        >>> round(float(log_mean_exp_off_diagonal_product(left, right)), 6)
        0.0

    Reference: Poole et al. 2019, section 2.3 (the off-diagonal pairs as samples of
    the product of marginals); Belghazi et al. 2018 (MINE), eq. 10.
    """
    scores = ops.matmul(left, ops.transpose(right))
    num = ops.shape(scores)[0]
    eye = ops.eye(num, dtype=scores.dtype)
    scores = ops.where(eye > 0, ops.full_like(scores, -float("inf")), scores)
    largest = ops.stop_gradient(ops.max(scores))
    exponentials = ops.exp(scores - largest)
    total = ops.sum(exponentials)
    value = largest + ops.log(total) - ops.log(ops.cast(num * (num - 1), scores.dtype))

    def gradient(*args, upstream=None):
        if upstream is None:
            (upstream,) = args
        weights = exponentials * (upstream / total)
        return (ops.matmul(weights, right), ops.matmul(ops.transpose(weights), left))

    return value, gradient

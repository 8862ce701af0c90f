"""The MINE critic: an MLP on the concatenation of its two inputs."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="infodl")
class Critic(keras.layers.Layer):
    """Statistics network D(s, t) of MINE: an MLP on the concatenation [s, t].

    D(s, t) = w_out^T h_L + b_out,  h_k = LeakyReLU(W_k h_(k-1) + b_k),  h_0 = [s, t]

    Args:
        hidden_units: widths of the hidden layers (P3 appendix C: (1500, 1500)).
        negative_slope: slope of LeakyReLU for negative inputs (0.2, the
            `tf.nn.leaky_relu` default the P3 code used).
        seed: seed of the Glorot-uniform initial weights (None = random).
        **kwargs: standard layer arguments (name, dtype, ...).

    Returns:
        Called on [s, t] (shapes (n, d_s) and (n, d_t)), a tensor of n scores.

    Example:
        >>> critic = Critic(hidden_units=(64, 64))
        >>> scores = critic([np.zeros((8, 2)), np.ones((8, 3))])  # shape (8,)

    Reference: P3 (Elad et al.) appendix C; Belghazi et al. 2018, section 3.
    """

    def __init__(self, hidden_units=(1500, 1500), negative_slope=0.2, seed=None, **kwargs):
        super().__init__(**kwargs)
        hidden_units = tuple(int(units) for units in hidden_units)
        if any(units < 1 for units in hidden_units):
            raise ValueError(
                f"Expected hidden_units >= 1. Received: hidden_units={hidden_units}")
        if negative_slope < 0:
            raise ValueError(
                f"Expected negative_slope >= 0. Received: negative_slope={negative_slope}")
        self.hidden_units = hidden_units
        self.negative_slope = float(negative_slope)
        self.seed = seed

        def initializer(index):
            return keras.initializers.GlorotUniform(None if seed is None else seed + index)

        self.hidden_layers = [
            keras.layers.Dense(units, kernel_initializer=initializer(index), name=f"hidden_{index}")
            for index, units in enumerate(hidden_units)]
        self.output_layer = keras.layers.Dense(
            1, kernel_initializer=initializer(len(hidden_units)), name="score")

    def build(self, input_shape):
        first_shape, second_shape = input_shape
        width = int(first_shape[-1]) + int(second_shape[-1])
        for layer in self.hidden_layers:
            layer.build((None, width))
            width = layer.units
        self.output_layer.build((None, width))

    def call(self, inputs):
        first, second = inputs
        hidden = ops.concatenate([first, second], axis=-1)
        for layer in self.hidden_layers:
            hidden = ops.leaky_relu(layer(hidden), negative_slope=self.negative_slope)
        return ops.squeeze(self.output_layer(hidden), axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0],)

    def get_config(self):
        config = super().get_config()
        config.update(hidden_units=list(self.hidden_units),
                      negative_slope=self.negative_slope, seed=self.seed)
        return config

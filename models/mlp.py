"""Fully connected networks: the 12-10-7-5-4-3-2 information-plane net and friends.

Each layer computes T_k = act_k(W_k T_{k-1} + b_k), T_0 = X; the last layer is the
classifier (softmax by default). Kernels are drawn, as in IDNNs and Saxe et al.'s
code, from a normal of standard deviation 1 / sqrt(fan_in) truncated at two standard
deviations; biases start at zero.
"""

import math

import keras

from infodl.checks import check_choice, check_integer, check_integer_tuple
from infodl.choices import ACTIVATIONS, OUTPUT_ACTIVATIONS
from infodl.seeds import derive_seed


def build_mlp(input_dim, layer_sizes=(10, 7, 5, 4, 3, 2), activation="tanh",
              last_hidden_activation=None, output_activation="softmax", seed=None,
              name="mlp"):
    """Build a keras.Sequential MLP with named layers `hidden_1..hidden_K` and `output`.

    T_k = activation(W_k T_{k-1} + b_k) for the hidden layers, with
    `last_hidden_activation` (if given) on the last hidden layer only, and
    output = output_activation(W T_K + b).

    Args:
        input_dim: int > 0, the input width (12 for the 12-bit task).
        layer_sizes: widths of the hidden layers followed by the output width;
            default (10, 7, 5, 4, 3, 2) gives the 12-10-7-5-4-3-2 net of IDNNs.
        activation: hidden activation, e.g. "tanh" or "relu".
        last_hidden_activation: None (same as `activation`) or the activation of the
            last hidden layer alone, e.g. "sigmoid" with a ReLU body or "relu" with a
            tanh body (P1 §1.3.2's "compressive last layer" argument).
        output_activation: activation of the output layer ("softmax" by default).
        seed: int or None; the kernel of layer k uses seed + k.
        name: model name.

    Returns:
        A keras.Sequential built on an Input of shape (input_dim,).

    Example:
        model = build_mlp(12, (10, 7, 5, 4, 3, 2), activation="relu",
                          last_hidden_activation="sigmoid", seed=0)

    Reference: Shwartz-Ziv & Tishby 2017 sec. 3.1; Saxe et al. 2018 sec. 2; P1 §1.3.2.
    """
    input_dim = check_integer(input_dim, "input_dim")
    layer_sizes = check_integer_tuple(layer_sizes, "layer_sizes")
    check_choice(activation, "activation", ACTIVATIONS)
    check_choice(last_hidden_activation, "last_hidden_activation", ACTIVATIONS, allow_none=True)
    check_choice(output_activation, "output_activation", OUTPUT_ACTIVATIONS)
    seed = check_integer(seed, "seed", minimum=None, allow_none=True)

    layers = [keras.Input(shape=(input_dim,), name="inputs")]
    fan_in = input_dim
    num_hidden = len(layer_sizes) - 1
    for index, width in enumerate(layer_sizes):
        is_output = index == num_hidden
        if is_output:
            layer_activation, layer_name = output_activation, "output"
        else:
            is_last_hidden = index == num_hidden - 1
            layer_activation = (last_hidden_activation
                                if is_last_hidden and last_hidden_activation is not None
                                else activation)
            layer_name = f"hidden_{index + 1}"
        initializer = keras.initializers.TruncatedNormal(
            mean=0.0, stddev=1.0 / math.sqrt(fan_in),
            seed=derive_seed(seed, "dense_kernel", index))
        layers.append(keras.layers.Dense(
            width, activation=layer_activation, kernel_initializer=initializer,
            bias_initializer="zeros", name=layer_name))
        fan_in = width
    return keras.Sequential(layers, name=name)

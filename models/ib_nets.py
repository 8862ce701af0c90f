"""The networks of P3's IB experiments (P3 §5, appendix B): MNIST MLPs and CIFAR-10 conv nets.

Every network takes raw pixel values (float, 0..255) of shape (H, W, C), scales them
in its first layer (`input_scaling`: x / 255, or per-channel standardization with the
training statistics for CIFAR) and ends in a linear layer `logits`:

    mlp_512_512        784-512-512-10 ReLU                 (layer-wise, P3 Table 1)
    mlp_600_400        784-600-400-10 ReLU                 (end-to-end, P3 Table 3)
    convnet_16         CONV16x3 (pool after each) + FC512-512-10  (layer-wise, Table 2)
    convnet_48_96_192  CONV48-48-96-96-192-192 (pool every 2nd, dropout 0.25)
                       + FC512-FC512 (dropout 0.5) + FC10   (end-to-end, Table 3)

Hidden layers are named `hidden_1..` (conv blocks also `pool_j`, `dropout_j`). With
`post_trained_logits=True` (layer-wise IB training) the net's last layer of 10 units is
a linear layer `features` = L_K and one more linear layer `logits` follows it, which
is post-trained with cross-entropy after the IB layers are frozen (P3 §5: "no
non-linear activation between the last layer of the net and the post-trained layer").
"""

import keras
import numpy as np

from infodl.checks import check_choice, check_integer, check_non_negative
from infodl.choices import IB_NETWORKS
from infodl.models.convnet import END_TO_END_FILTERS, LAYERWISE_FILTERS, conv_stack
from infodl.seeds import derive_seed

# network -> (conv filters, pool_every, conv dropout, dense widths, dense dropout)
LAYOUTS = {
    "mlp_512_512": ((), 1, 0.0, (512, 512), 0.0),
    "mlp_600_400": ((), 1, 0.0, (600, 400), 0.0),
    "convnet_16": (LAYERWISE_FILTERS, 1, 0.0, (512, 512), 0.0),
    "convnet_48_96_192": (END_TO_END_FILTERS, 2, 0.25, (512, 512), 0.5),
}


def build_ib_network(network, input_shape, num_classes=10, post_trained_logits=False,
                     input_mean=None, input_std=None, weight_decay=0.0, seed=None):
    """Builds one of P3's networks as a functional Keras model.

    h_0 = scale(x); conv blocks (if any); flatten; h_k = ReLU(W_k h_(k-1) + b_k) for
    the dense widths; then either logits = W h + b (cross-entropy nets), or
    features = W h + b (num_classes units, linear) and logits = V features + c.

    Args:
        network: one of `infodl.choices.IB_NETWORKS`.
        input_shape: (H, W, C) of one image.
        num_classes: classes (the width of `features` and `logits`).
        post_trained_logits: add the linear `features` layer before `logits` (P3
            layer-wise training, where `logits` is post-trained).
        input_mean, input_std: per-channel statistics of the raw training pixels;
            None scales by 1/255 instead.
        weight_decay: wd >= 0; adds wd * sum(w^2) / 2 over every kernel to the loss
            (the cross-entropy + weight decay baseline; P3 Fig. 3b).
        seed: int or None; kernels are drawn with seed + layer index.

    Returns:
        A functional `keras.Model` named after the network.

    Example:
        >>> from infodl.models.ib_nets import build_ib_network
        >>> model = build_ib_network("mlp_512_512", (28, 28, 1), post_trained_logits=True)
        >>> [layer.name for layer in model.layers][-4:]
        ['hidden_1', 'hidden_2', 'features', 'logits']

    Reference: P3 (Elad et al.) §4-5, Tables 1-3 and appendix C.
    """
    check_choice(network, "network", IB_NETWORKS)
    weight_decay = check_non_negative(weight_decay, "weight_decay")
    regularizer = keras.regularizers.L2(weight_decay / 2) if weight_decay else None
    num_classes = check_integer(num_classes, "num_classes", minimum=2)
    if seed is not None:
        seed = check_integer(seed, "seed", minimum=0)
    filters, pool_every, conv_dropout, widths, dense_dropout = LAYOUTS[network]
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    if input_mean is None:
        hidden = keras.layers.Rescaling(1.0 / 255.0, name="input_scaling")(inputs)
    else:
        std = np.maximum(np.asarray(input_std, "float64"), 1e-6)
        hidden = keras.layers.Normalization(
            axis=-1, mean=np.asarray(input_mean, "float64"), variance=std ** 2,
            name="input_scaling")(inputs)
    count = 0
    if filters:
        hidden, count = conv_stack(hidden, filters, pool_every, conv_dropout, seed,
                                   kernel_regularizer=regularizer)
    hidden = keras.layers.Flatten(name="flatten")(hidden)
    names = [f"hidden_{count + k + 1}" for k in range(len(widths))]
    names += ["features", "logits"] if post_trained_logits else ["logits"]
    for offset, name in enumerate(names):
        dense = name.startswith("hidden_")
        hidden = keras.layers.Dense(
            widths[offset] if dense else num_classes, activation="relu" if dense else None,
            kernel_initializer=keras.initializers.GlorotUniform(
                derive_seed(seed, "dense_kernel", count + offset)),
            kernel_regularizer=regularizer, name=name)(hidden)
        if dense and dense_dropout > 0:
            hidden = keras.layers.Dropout(
                dense_dropout, seed=derive_seed(seed, "dense_dropout", offset),
                name=f"dropout_fc_{offset + 1}")(hidden)
    logits = hidden
    return keras.Model(inputs, logits, name=network)


def input_statistics(images):
    """Per-channel mean and std of raw images (N, H, W, C), as float64 arrays."""
    images = np.asarray(images)
    channels = images.reshape(-1, images.shape[-1])
    mean = channels.mean(axis=0, dtype="float64")
    std = np.array([channels[:, c].std(dtype="float64") for c in range(channels.shape[1])])
    return mean, std

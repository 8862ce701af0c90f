"""The convolutional stacks of P3's CIFAR-10 networks (layer-wise and end-to-end).

Each convolution is `Conv2D(filters, 3x3, same padding, ReLU)` named `hidden_k`; a 2x2
max-pool `pool_j` follows every `pool_every`-th convolution, and with dropout a
`Dropout` layer `dropout_j` follows each pool:

    layer-wise (P3 §5, Table 2):  CONV16-pool-CONV16-pool-CONV16-pool
    end-to-end (P3 appendix B/C): CONV48-CONV48-pool-CONV96-CONV96-pool-CONV192-CONV192-pool,
                                  dropout 0.25 after each pool

The dense part (FC512-FC512-FC10) is added by `infodl.models.ib_nets.build_ib_network`.
"""

import keras

from infodl.checks import check_integer, check_integer_tuple, check_real
from infodl.seeds import derive_seed

LAYERWISE_FILTERS = (16, 16, 16)
END_TO_END_FILTERS = (48, 48, 96, 96, 192, 192)
KERNEL_SIZE = 3


def conv_stack(inputs, filters, pool_every=1, dropout_rate=0.0, seed=None,
               kernel_regularizer=None):
    """Applies the conv layers `hidden_1..hidden_n` with pooling (and dropout) to `inputs`.

    h_k = ReLU(conv3x3(h_(k-1))), then after every `pool_every`-th conv
    h <- maxpool2x2(h) (`pool_j`) and h <- dropout(h) (`dropout_j`, when rate > 0).

    Args:
        inputs: a Keras tensor (batch, H, W, C).
        filters: output channels of each convolution, e.g. (16, 16, 16).
        pool_every: convolutions between two 2x2 max-pools (1 = after each conv).
        dropout_rate: dropout after each pool, in [0, 1) (P3 end-to-end: 0.25).
        seed: int or None; the kernel of conv k is drawn with seed + k.
        kernel_regularizer: optional Keras regularizer of every conv kernel.

    Returns:
        (output tensor, number of conv layers), so dense layers can continue the
        numbering `hidden_{n+1}, ...`.

    Example:
        >>> from infodl.models.convnet import conv_stack
        >>> x = keras.Input((32, 32, 3))
        >>> h, count = conv_stack(x, (16, 16, 16))        # P3 Table 2 conv part
        >>> h.shape, count  # three 2×2 max-pools: 32 -> 4
        ((None, 4, 4, 16), 3)

    Reference: P3 (Elad et al.) §5 (Table 2) and appendix C (Table 3 CIFAR-10 net).
    """
    filters = check_integer_tuple(filters, "filters")
    pool_every = check_integer(pool_every, "pool_every")
    dropout_rate = check_real(dropout_rate, "dropout_rate", minimum=0, maximum=1,
                              exclusive_maximum=True)
    hidden, pools = inputs, 0
    for index, width in enumerate(filters):
        hidden = keras.layers.Conv2D(
            width, KERNEL_SIZE, padding="same", activation="relu",
            kernel_initializer=keras.initializers.GlorotUniform(
                derive_seed(seed, "conv_kernel", index)),
            kernel_regularizer=kernel_regularizer, name=f"hidden_{index + 1}")(hidden)
        if (index + 1) % pool_every == 0:
            pools += 1
            hidden = keras.layers.MaxPooling2D(2, name=f"pool_{pools}")(hidden)
            if dropout_rate > 0:
                hidden = keras.layers.Dropout(
                    dropout_rate, seed=derive_seed(seed, "conv_dropout", pools),
                    name=f"dropout_{pools}")(hidden)
    return hidden, len(filters)

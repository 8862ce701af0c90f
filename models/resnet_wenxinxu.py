"""The ResNet-32 of wenxinxu/resnet-in-tensorflow, the network P1 measured (§3.3, Fig. 5).

It differs from the tensorflow/models ResNet of `infodl.models.resnet` (P2's) in five ways:
plain ReLU; a conv → BN → ReLU first layer; the first unit's first convolution sees
the stem's output without BN-ReLU; Xavier (Glorot-uniform) convolution kernels; and
batch normalization that always uses the statistics of the batch it is given, in
training and evaluation alike (the original keeps no moving averages).
"""

import keras
from keras import ops

from infodl.checks import check_integer_tuple, check_non_negative
from infodl.models.pre_activation_unit import PreActivationUnit
from infodl.models.regularized_logits import RegularizedLogits
from infodl.paper_constants import L1_EVERY

BN_EPSILON = 1e-3          # resnet.py: BN_EPSILON = 0.001
UNITS_PER_STAGE = 5        # 6n + 2 = 32 layers (hyper_parameters.py's default n is 18)
WIDTHS = (16, 16, 32, 64)  # stem, stages 1-3


@keras.saving.register_keras_serializable(package="infodl")
class BatchStatisticsNormalization(keras.layers.Layer):
    """Batch normalization with the batch's own statistics, always (no moving averages).

        y = gamma · (x - mean_B(x)) / sqrt(var_B(x) + epsilon) + beta

    with the mean and the (biased) variance over every axis but the channels, of the
    batch being processed, whatever `training` is. So the output for one example
    depends on the other examples of its batch, also at inference: this is
    wenxinxu's `batch_normalization_layer` (`tf.nn.moments` + `tf.nn.batch_normalization`),
    used by the training and the validation graph alike. Two weights per channel
    (gamma = 1, beta = 0 at start), none of them decayed.

    Args:
        epsilon: added to the variance (1e-3 in the original).

    Returns:
        A tensor of the input's shape.

    Example:
        >>> from infodl.models.resnet_wenxinxu import BatchStatisticsNormalization
        >>> bn = BatchStatisticsNormalization()
        >>> y = np.asarray(bn(keras.random.normal((8, 4, 4, 16), seed=0)))
        >>> np.round(y.mean(axis=(0, 1, 2))[:3], 4), np.round(y.std(axis=(0, 1, 2))[:3], 2)
        (array([0., 0., 0.], dtype=float32), array([1., 1., 1.], dtype=float32))

    Reference: wenxinxu/resnet-in-tensorflow resnet.py (batch_normalization_layer); P1 §3.3.
    """

    def __init__(self, epsilon=BN_EPSILON, **kwargs):
        super().__init__(**kwargs)
        if not epsilon > 0:
            raise ValueError(f"Expected epsilon > 0. Received: epsilon={epsilon}")
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        channels = int(input_shape[-1])
        self.gamma = self.add_weight(name="gamma", shape=(channels,), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

    def call(self, inputs, training=None):
        del training  # the batch's statistics in every mode, as the original
        values = ops.cast(inputs, "float32")  # float32 statistics under mixed precision
        axes = list(range(len(values.shape) - 1))
        mean, variance = ops.moments(values, axes=axes)
        scale = ops.cast(self.gamma, "float32") * ops.rsqrt(variance + self.epsilon)
        outputs = (values - mean) * scale + ops.cast(self.beta, "float32")
        return ops.cast(outputs, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return dict(super().get_config(), epsilon=self.epsilon)


@keras.saving.register_keras_serializable(package="infodl")
class WenxinxuResidualUnit(PreActivationUnit):
    """wenxinxu's `residual_block`: y = s(x) + L(x), ReLU, Xavier kernels, batch-stat BN.

        L(x) = conv3x3(relu(BN(conv3x3_stride(relu(BN(x))))))
        first unit of the network (`first_block=True`): conv3x3(x) in place of
        conv3x3_stride(relu(BN(x))) — its input already went through BN-ReLU in the stem.

    The stride is 2 exactly when the unit doubles the channels; then
    s(x) = avg_pool_2x2(x) with the channels zero-padded by in_channels / 2 on each
    side ("option A"), else s(x) = x. The shortcut always starts from x itself (no
    shared activation); nothing follows the addition. `residual_parts(x, training)`
    returns (s(x), L(x)) for `infodl.callbacks.BlockRatioLogger`; `track_block_ratio` keeps
    the training batch's norms as `PreActivationUnit` does.

    Args:
        filters: output channels (equal to, or twice, the input's).
        strides: 1, or 2 when the channels double (checked when built).
        first_block: the network's very first unit (no BN-ReLU before its first conv).
        weight_decay: wd of `tf.contrib.layers.l2_regularizer`, wd · Σw²/2 per kernel.
        bn_epsilon: epsilon of the batch normalizations.
        stage, unit, track_block_ratio: as in `PreActivationUnit`.

    Returns:
        A tensor of shape (batch, H / strides, W / strides, filters).

    Example:
        >>> from infodl.models.resnet_wenxinxu import WenxinxuResidualUnit
        >>> unit = WenxinxuResidualUnit(32, strides=2, stage=2, unit=0)
        >>> s, branch = unit.residual_parts(keras.random.normal((4, 16, 16, 16)))
        >>> tuple(s.shape), tuple(branch.shape)
        ((4, 8, 8, 32), (4, 8, 8, 32))

    Reference: wenxinxu/resnet-in-tensorflow resnet.py (residual_block); P1 §3.3.
    """

    def __init__(self, filters, strides=1, first_block=False, **kwargs):
        for fixed in ("activate_before_residual", "use_shortcut", "leaky_slope",
                      "bn_momentum"):
            kwargs.pop(fixed, None)  # fixed by the original; present in saved configs
        super().__init__(filters, strides=strides, **kwargs)
        self.first_block = bool(first_block)
        if self.first_block and self.strides != 1:
            raise ValueError("Expected strides=1 for the first block (its first "
                             f"convolution has stride 1). Received: strides={strides}")
        self.bn1 = None if self.first_block else self._batch_norm("bn1")
        self.conv1 = self._conv(self.filters, 3, self.strides, "conv1")
        self.bn2 = self._batch_norm("bn2")
        self.conv2 = self._conv(self.filters, 3, 1, "conv2")

    def _conv(self, width, kernel, stride, name):
        """A bias-free 'same' convolution with Xavier-uniform kernels and wd."""
        return keras.layers.Conv2D(
            width, kernel, strides=stride, padding="same", use_bias=False,
            kernel_initializer="glorot_uniform",
            kernel_regularizer=self._kernel_regularizer, name=name)

    def _batch_norm(self, name):
        return BatchStatisticsNormalization(epsilon=self.bn_epsilon, name=name)

    def _activate(self, x):
        return ops.relu(x)

    def _build_layers(self, input_shape):
        in_filters = int(input_shape[-1])
        doubles = self.filters == 2 * in_filters
        if not (doubles or self.filters == in_filters):
            raise ValueError("Expected the unit to keep or double the channels. "
                             f"Received: {in_filters} -> {self.filters}")
        if self.strides != (2 if doubles else 1):
            raise ValueError(f"Expected strides={2 if doubles else 1} for channels "
                             f"{in_filters} -> {self.filters} (stride 2 exactly when they "
                             f"double). Received: strides={self.strides}")
        self.in_filters = in_filters
        if self.bn1 is not None:
            self.bn1.build(input_shape)
        self.conv1.build(input_shape)
        inner_shape = self.conv1.compute_output_shape(input_shape)
        self.bn2.build(inner_shape)
        self.conv2.build(inner_shape)

    def _shortcut(self, x):
        if self.filters == self.in_filters:
            return x
        pooled = ops.average_pool(x, 2, 2, padding="valid")
        half = self.in_filters // 2
        return ops.pad(pooled, [[0, 0], [0, 0], [0, 0], [half, half]])

    def residual_parts(self, inputs, training=False):
        """Returns (s(x), L(x))."""
        if not self.built:
            self.build(tuple(inputs.shape))
        x = inputs if self.bn1 is None else self._activate(self.bn1(inputs))
        x = self.conv1(x)
        branch = self.conv2(self._activate(self.bn2(x)))
        return self._shortcut(inputs), branch

    def compute_output_shape(self, input_shape):
        return self.conv1.compute_output_shape(input_shape)[:-1] + (self.filters,)

    def get_config(self):
        config = super().get_config()
        for fixed in ("activate_before_residual", "use_shortcut", "leaky_slope",
                      "bn_momentum"):
            config.pop(fixed)
        return dict(config, first_block=self.first_block)


def build_resnet_wenxinxu(num_classes=10, input_shape=(32, 32, 3), regularizer="info",
                          alpha1=0.0, alpha2=0.0, l1_method="proximal", l1_every=L1_EVERY,
                          weight_decay=2e-4, dropout_rate=None, track_block_ratio=False,
                          synchronized_batch_norm=False):
    """Builds wenxinxu's ResNet-32 (`inference(x, n=5)`) with a regularized logits layer.

    image → conv0: conv3x3(16) → BN → ReLU → 3 stages of 5 `WenxinxuResidualUnit`s
    (16, 32, 64 channels; stride 2 at the first unit of stages 2 and 3) → BN → ReLU →
    global average pool = F(x) (layer "features") → `RegularizedLogits` = w (layer
    "logits", P2's regularizer; `regularizer="none"` for the original plain fc layer).
    Every batch normalization uses the current batch's statistics, also at inference.
    Units are named `conv{stage}_{unit}` after the original variable scopes and carry
    `stage`/`unit` for `BlockRatioLogger` (`block_ratio/stage{s}_unit{u}`).

    Differences from the original kept on purpose: weight decay is on every kernel
    (conv and fc) but not on the fc bias (the original decays its 10 biases too).

    Args:
        num_classes: classes of the logits layer.
        input_shape: image shape (H, W, C).
        regularizer, alpha1, alpha2, l1_method, l1_every: see `RegularizedLogits`.
        weight_decay: wd of hyper_parameters.py (2e-4), as wd · Σw²/2 per kernel.
        dropout_rate: must be None or 0 (the original has no dropout).
        track_block_ratio: units keep the training batch's ||L(x)||, ||x||, ||s(x)||.
        synchronized_batch_norm: must be False (its batch norm always uses the
            statistics of its own batch: one replica).

    Returns:
        A `keras.Model` with inputs {"image": (H, W, C) float32, "label": () int32,
        optional} and logits as output.

    Example:
        >>> from infodl.models.resnet_wenxinxu import build_resnet_wenxinxu
        >>> model = build_resnet_wenxinxu(num_classes=10)
        >>> model.count_params()
        464156
        >>> logits = model({"image": np.zeros((2, 32, 32, 3), "float32"), "label": None})
        >>> tuple(logits.shape)
        (2, 10)

    Reference: wenxinxu/resnet-in-tensorflow (resnet.py, hyper_parameters.py); P1 §3.3.
    """
    check_non_negative(weight_decay, "weight_decay")
    if synchronized_batch_norm:
        raise ValueError("Expected one replica for resnet32_wenxinxu, whose batch norm "
                         "always uses the statistics of its own batch. Received: "
                         "synchronized_batch_norm=True (a multi-replica strategy)")
    if dropout_rate not in (None, 0, 0.0):
        raise ValueError("Expected dropout_rate=None or 0: wenxinxu's ResNet has no "
                         f"dropout. Received: dropout_rate={dropout_rate}")
    shape = check_integer_tuple(input_shape, "input_shape", min_length=3)
    if len(shape) != 3:
        raise ValueError("Expected input_shape=(height, width, channels). "
                         f"Received: input_shape={input_shape!r}")
    l2 = keras.regularizers.L2(weight_decay / 2.0) if weight_decay else None
    image = keras.Input(shape=shape, name="image")
    label = keras.Input(shape=(), dtype="int32", name="label", optional=True)
    x = keras.layers.Conv2D(WIDTHS[0], 3, padding="same", use_bias=False,
                            kernel_initializer="glorot_uniform", kernel_regularizer=l2,
                            name="conv0")(image)
    x = BatchStatisticsNormalization(name="conv0_bn")(x)
    x = keras.layers.ReLU(name="conv0_relu")(x)
    for stage in range(1, 4):
        for unit in range(UNITS_PER_STAGE):
            doubles = unit == 0 and stage > 1
            x = WenxinxuResidualUnit(
                WIDTHS[stage], strides=2 if doubles else 1,
                first_block=stage == 1 and unit == 0, weight_decay=weight_decay,
                bn_epsilon=BN_EPSILON, stage=stage, unit=unit,
                track_block_ratio=track_block_ratio, name=f"conv{stage}_{unit}")(x)
    x = BatchStatisticsNormalization(name="fc_bn")(x)
    x = keras.layers.ReLU(name="fc_relu")(x)
    features = keras.layers.GlobalAveragePooling2D(name="features")(x)
    logits = RegularizedLogits(
        num_classes, regularizer=regularizer, alpha1=alpha1, alpha2=alpha2,
        l1_method=l1_method, l1_every=l1_every, weight_decay=weight_decay,
        dtype="float32", name="logits")(features, labels=label)  # float32 in mixed precision
    return keras.Model({"image": image, "label": label}, logits, name="resnet32_wenxinxu")


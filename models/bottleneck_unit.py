"""The bottleneck residual unit of the original TensorFlow CIFAR ResNet (ResNet-164)."""

import keras

from infodl.models.pre_activation_unit import PreActivationUnit


@keras.saving.register_keras_serializable(package="infodl")
class BottleneckUnit(PreActivationUnit):
    """Pre-activation bottleneck unit y = s(x) + L(x) (1×1, 3×3, 1×1 convolutions).

    L(x) = conv1x1(act(BN(conv3x3(act(BN(conv1x1_stride(act(BN(x))))))))) with inner width
    filters / 4 and act the leaky ReLU; s(x) is the identity, or a strided 1×1
    projection convolution when the channel count changes (as in the original
    `_bottleneck_residual`). Same `residual_parts()` API as `ResidualUnit`.

    Args:
        filters: output channels (a multiple of 4).
        strides: stride of the first convolution and of the projection.
        activate_before_residual: share BN + activation between branch and shortcut.
        use_shortcut: False drops the shortcut.
        leaky_slope, weight_decay, bn_momentum, bn_epsilon, stage, unit: as in `ResidualUnit`.

    Returns:
        A tensor of shape (batch, H / strides, W / strides, filters).

    Example:
        >>> from infodl.models.bottleneck_unit import BottleneckUnit
        >>> unit = BottleneckUnit(64, stage=1, unit=0)
        >>> y = unit(keras.random.normal((2, 8, 8, 16)))
        >>> tuple(y.shape)  # inner width 64 / 4 = 16, projection shortcut 16 -> 64
        (2, 8, 8, 64)

    Reference: He et al. 2016; tensorflow/models research/resnet `_bottleneck_residual`.
    """

    def __init__(self, filters, **kwargs):
        if int(filters) < 4 or int(filters) % 4:
            raise ValueError(
                f"Expected filters to be a positive multiple of 4. Received: filters={filters}")
        super().__init__(filters, **kwargs)
        inner = self.filters // 4
        self.bns = [self._batch_norm(f"bn{i}") for i in (1, 2, 3)]
        self.convs = [self._conv(inner, 1, self.strides, "conv1"),
                      self._conv(inner, 3, 1, "conv2"),
                      self._conv(self.filters, 1, 1, "conv3")]
        self.projection = self._conv(self.filters, 1, self.strides, "project")

    def _build_layers(self, input_shape):
        self.in_filters = int(input_shape[-1])
        shape = tuple(input_shape)
        for bn, conv in zip(self.bns, self.convs, strict=True):
            bn.build(shape)
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
        self.needs_projection = self.in_filters != self.filters or self.strides != 1
        if self.needs_projection:
            self.projection.build(tuple(input_shape))

    def residual_parts(self, inputs, training=False):
        """Returns (s(x), L(x)); s(x) is None when the unit has no shortcut."""
        if not self.built:
            self.build(tuple(inputs.shape))
        x = inputs
        shortcut_input = inputs
        for i, (bn, conv) in enumerate(zip(self.bns, self.convs, strict=True)):
            x = self._activate(bn(x, training=training))
            if i == 0 and self.activate_before_residual:
                shortcut_input = x
            x = conv(x)
        if not self.use_shortcut:
            return None, x
        shortcut = self.projection(shortcut_input) if self.needs_projection else shortcut_input
        return shortcut, x

    def compute_output_shape(self, input_shape):
        return self.convs[0].compute_output_shape(input_shape)[:-1] + (self.filters,)

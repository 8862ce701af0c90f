"""The pre-activation residual unit of the original TensorFlow CIFAR ResNet."""

import keras
from keras import ops

from infodl.models.pre_activation_unit import PreActivationUnit


@keras.saving.register_keras_serializable(package="infodl")
class ResidualUnit(PreActivationUnit):
    """Pre-activation residual unit y = s(x) + L(x) of tensorflow/models `research/resnet`.

    The branch is L(x) = conv3x3(act(BN(conv3x3_stride(act(BN(x)))))) with act the
    leaky ReLU (slope 0.1). The shortcut s(x) is the identity, or, when the channel
    count changes, the "option A" shortcut: average pooling with the unit's stride
    followed by zero-padding of the channels. With `activate_before_residual=True`
    (first unit of the first stage) the shortcut starts from act(BN(x)) instead of x.
    No activation follows the addition. `use_shortcut=False` gives the PlainNet unit
    y = L(x).

    The two parts are exposed by `residual_parts()` so that the ratio
    ||L(x)|| / ||s(x)|| of P1 §3.3 can be measured on any trained model.

    Args:
        filters: output channels of the unit.
        strides: stride of the first convolution (and of the shortcut pooling).
        activate_before_residual: share BN + activation between branch and shortcut.
        use_shortcut: False drops the shortcut (PlainNet).
        leaky_slope: negative slope of the leaky ReLU.
        dropout_rate: dropout between the two convolutions (Wide ResNet); 0 disables.
        weight_decay: L2 coefficient of the original code, wd · Σw²/2 per kernel.
        bn_momentum, bn_epsilon: batch-norm moving-average decay and epsilon.
        stage, unit: position in the network (`unit_{stage}_{unit}` in the original).

    Returns:
        A tensor of shape (batch, H / strides, W / strides, filters).

    Example:
        >>> from infodl.models.residual_unit import ResidualUnit
        >>> unit = ResidualUnit(32, strides=2, stage=2, unit=0)
        >>> x = keras.random.normal((4, 8, 8, 16), seed=0)
        >>> y = unit(x)
        >>> s, branch = unit.residual_parts(x)  # option-A shortcut: pooled, zero-padded
        >>> tuple(y.shape), np.allclose(y, s + branch, atol=1e-5)
        ((4, 4, 4, 32), True)

    Reference: He et al. 2016 (identity mappings); P1 §3.3; P2 appendix D.
    """

    def __init__(self, filters, strides=1, dropout_rate=0.0, **kwargs):
        super().__init__(filters, strides=strides, **kwargs)
        if not 0.0 <= dropout_rate < 1.0:
            raise ValueError(
                f"Expected 0 <= dropout_rate < 1. Received: dropout_rate={dropout_rate}")
        self.dropout_rate = float(dropout_rate)
        self.bn1 = self._batch_norm("init_bn")
        self.conv1 = self._conv(self.filters, 3, self.strides, "conv1")
        self.bn2 = self._batch_norm("bn2")
        self.dropout = (keras.layers.Dropout(self.dropout_rate, name="dropout")
                        if self.dropout_rate else None)
        self.conv2 = self._conv(self.filters, 3, 1, "conv2")

    def _build_layers(self, input_shape):
        in_filters = int(input_shape[-1])
        self.in_filters = in_filters
        self.bn1.build(input_shape)
        self.conv1.build(input_shape)
        inner_shape = self.conv1.compute_output_shape(input_shape)
        self.bn2.build(inner_shape)
        self.conv2.build(inner_shape)
        self.pad_channels = self.filters - in_filters
        if self.pad_channels < 0 or self.pad_channels % 2:
            raise ValueError(
                "The option-A shortcut zero-pads channels evenly: expected an even, "
                f"non-negative channel increase. Received: {in_filters} -> {self.filters}")

    def _shortcut(self, x):
        if self.in_filters == self.filters and self.strides == 1:
            return x
        if self.strides > 1:
            x = ops.average_pool(x, self.strides, self.strides, padding="valid")
        half = self.pad_channels // 2
        return ops.pad(x, [[0, 0], [0, 0], [0, 0], [half, half]])

    def residual_parts(self, inputs, training=False):
        """Returns (s(x), L(x)); s(x) is None when the unit has no shortcut."""
        if not self.built:
            self.build(tuple(inputs.shape))
        activated = self._activate(self.bn1(inputs, training=training))
        shortcut_input = activated if self.activate_before_residual else inputs
        x = self.conv1(activated)
        x = self._activate(self.bn2(x, training=training))
        if self.dropout is not None:
            x = self.dropout(x, training=training)
        branch = self.conv2(x)
        shortcut = self._shortcut(shortcut_input) if self.use_shortcut else None
        return shortcut, branch

    def compute_output_shape(self, input_shape):
        return self.conv1.compute_output_shape(input_shape)[:-1] + (self.filters,)

    def get_config(self):
        return dict(super().get_config(), dropout_rate=self.dropout_rate)


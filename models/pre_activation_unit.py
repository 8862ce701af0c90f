"""What the residual and bottleneck units of the original ResNet code have in common."""

import keras
from keras import ops

from infodl.checks import check_integer, check_non_negative
from infodl.models.initializers import conv_initializer


class PreActivationUnit(keras.layers.Layer):
    """Base of the pre-activation units y = s(x) + L(x): arguments, convolutions, call.

    Subclasses build their layers in `__init__` with `self._conv(...)` and
    `self._batch_norm(...)` and implement `residual_parts(inputs, training)`, which
    returns (s(x), L(x)) with s(x) None when `use_shortcut=False`. The output is
    s(x) + L(x), or L(x) alone without a shortcut; no activation follows the addition.

    Args:
        filters: output channels of the unit.
        strides: stride of the first convolution (and of the shortcut).
        activate_before_residual: share BN + activation between branch and shortcut.
        use_shortcut: False drops the shortcut (PlainNet).
        leaky_slope: negative slope of the leaky ReLU.
        weight_decay: L2 coefficient of the original code, wd · Σw²/2 per kernel.
        bn_momentum, bn_epsilon: batch-norm moving-average decay and epsilon.
        stage, unit: position in the network (`unit_{stage}_{unit}` in the original).
        track_block_ratio: keep, in a non-trainable weight `training_batch_norms`, the
            norms (||L(x)||, ||x||, ||s(x)||) over the whole training batch of the last
            training-mode call (P1 §3.3 measured the ratio this way at every step);
            read by `infodl.callbacks.BlockRatioLogger(source="train_batch")`. It adds two
            reductions per step and changes nothing else.
        synchronized_batch_norm: batch-norm statistics over the whole global batch under
            a tf.distribute strategy (Keras' `synchronized=True`), so that r replicas of
            batch b train like one batch of r·b.
    """

    def __init__(self, filters, strides=1, activate_before_residual=False,
                 use_shortcut=True, leaky_slope=0.1, weight_decay=0.0,
                 bn_momentum=0.9, bn_epsilon=1e-3, stage=None, unit=None,
                 track_block_ratio=False, synchronized_batch_norm=False, **kwargs):
        super().__init__(**kwargs)
        self.filters = check_integer(filters, "filters")
        self.strides = check_integer(strides, "strides")
        weight_decay = check_non_negative(weight_decay, "weight_decay")
        self.activate_before_residual = bool(activate_before_residual)
        self.use_shortcut = bool(use_shortcut)
        self.leaky_slope = float(leaky_slope)
        self.weight_decay = float(weight_decay)
        self.bn_momentum = float(bn_momentum)
        self.bn_epsilon = float(bn_epsilon)
        self.stage = stage
        self.unit = unit
        self.track_block_ratio = bool(track_block_ratio)
        self.synchronized_batch_norm = bool(synchronized_batch_norm)
        self._kernel_regularizer = (
            keras.regularizers.L2(self.weight_decay / 2.0) if self.weight_decay else None)

    def _conv(self, width, kernel, stride, name):
        """A bias-free 'same' convolution with the original initializer and wd."""
        return keras.layers.Conv2D(
            width, kernel, strides=stride, padding="same", use_bias=False,
            kernel_initializer=conv_initializer(),
            kernel_regularizer=self._kernel_regularizer, name=name)

    def _batch_norm(self, name):
        return keras.layers.BatchNormalization(
            momentum=self.bn_momentum, epsilon=self.bn_epsilon,
            synchronized=self.synchronized_batch_norm, name=name)

    def _activate(self, x):
        return ops.leaky_relu(x, negative_slope=self.leaky_slope)

    def build(self, input_shape):
        self._build_layers(tuple(input_shape))
        if self.track_block_ratio:
            self.training_batch_norms = self.add_weight(
                name="training_batch_norms", shape=(3,), initializer="zeros",
                trainable=False, aggregation="only_first_replica")

    def _build_layers(self, input_shape):
        raise NotImplementedError

    def residual_parts(self, inputs, training=False):
        raise NotImplementedError

    def call(self, inputs, training=None):
        shortcut, branch = self.residual_parts(inputs, training=training)
        if self.track_block_ratio and training:
            denominator = inputs if shortcut is None else shortcut
            self.training_batch_norms.assign(ops.stack(
                [_norm(branch), _norm(inputs), _norm(denominator)]))
        return branch if shortcut is None else shortcut + branch

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters, strides=self.strides,
            activate_before_residual=self.activate_before_residual,
            use_shortcut=self.use_shortcut, leaky_slope=self.leaky_slope,
            weight_decay=self.weight_decay, bn_momentum=self.bn_momentum,
            bn_epsilon=self.bn_epsilon, stage=self.stage, unit=self.unit,
            track_block_ratio=self.track_block_ratio,
            synchronized_batch_norm=self.synchronized_batch_norm)
        return config


def _norm(tensor):
    """Square root of the sum of squares of every entry of the tensor (float32)."""
    return ops.sqrt(ops.sum(ops.square(ops.cast(tensor, "float32"))))

"""Weight initializers of the original TensorFlow ResNet code, as Keras initializers."""

import keras


def conv_initializer(seed=None):
    """Normal(0, sqrt(2 / (k·k·out_channels))): the original `_conv` initializer (He, fan-out)."""
    return keras.initializers.VarianceScaling(
        scale=2.0, mode="fan_out", distribution="untruncated_normal", seed=seed)


def dense_initializer(seed=None):
    """Uniform(±sqrt(3 / fan_in)): the original `uniform_unit_scaling_initializer(1.0)`."""
    return keras.initializers.VarianceScaling(
        scale=1.0, mode="fan_in", distribution="uniform", seed=seed)

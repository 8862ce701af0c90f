"""The CIFAR ResNet family of tensorflow/models `research/resnet`, as Keras functional models."""

import functools

import keras

from infodl.checks import check_choice, check_non_negative
from infodl.models.architectures import ARCHITECTURES
from infodl.models.bottleneck_unit import BottleneckUnit
from infodl.models.initializers import conv_initializer
from infodl.models.regularized_logits import RegularizedLogits
from infodl.models.residual_unit import ResidualUnit
from infodl.paper_constants import L1_EVERY

STAGE_STRIDES = (1, 2, 2)
ACTIVATE_BEFORE_RESIDUAL = (True, False, False)


def build_resnet(architecture="resnet32", num_classes=10, input_shape=(32, 32, 3),
                 regularizer="info", alpha1=0.0, alpha2=0.0, l1_method="proximal",
                 l1_every=L1_EVERY, weight_decay=2e-4, leaky_slope=0.1, dropout_rate=None,
                 bn_momentum=0.9, bn_epsilon=1e-3, track_block_ratio=False,
                 synchronized_batch_norm=False):
    """Builds a CIFAR ResNet v1 (pre-activation units) with a regularized logits layer.

    image → conv3x3(16) → 3 stages of residual units (stride 2 at the first unit of
    stages 2 and 3) → BN → leaky ReLU → global average pool = F(x) (layer "features")
    → RegularizedLogits = w (layer "logits"). Units are named `unit_{stage}_{unit}`.

    Args:
        architecture: one of `ARCHITECTURES` (resnet20/32/56/110/164, plainnet32, wrn28_10).
        num_classes: classes of the logits layer.
        input_shape: image shape (H, W, C).
        regularizer, alpha1, alpha2, l1_method, l1_every: see `RegularizedLogits`.
        weight_decay: the original wd (2e-4), applied as wd · Σw²/2 to every kernel.
        leaky_slope: slope of the leaky ReLU (0.1 in the original code).
        dropout_rate: dropout between the two convolutions of a unit (None = the
            architecture's, 0 for all; Zagoruyko & Komodakis' WRN recipe uses 0.3).
        bn_momentum, bn_epsilon: batch-norm settings (0.9, 1e-3 as in the original).
        track_block_ratio: units keep the training batch's ||L(x)||, ||x||, ||s(x)||
            (for `BlockRatioLogger(source="train_batch")`).
        synchronized_batch_norm: batch-norm statistics over the global batch under a
            tf.distribute strategy.

    Returns:
        A `keras.Model` with inputs {"image": (H, W, C) float32, "label": () int32,
        optional} and logits as output. Pass `{"image": x, "label": None}` for inference.

    Example:
        >>> from infodl.models.resnet import build_resnet
        >>> model = build_resnet("resnet32", num_classes=10, alpha2=0.03)
        >>> model.count_params()   # ≈ 0.47 M
        466428
        >>> images = np.zeros((2, 32, 32, 3), "float32")
        >>> logits = model({"image": images, "label": None}, training=False)
        >>> tuple(logits.shape)
        (2, 10)

    Reference: He et al. 2016; tensorflow/models research/resnet resnet_model.py; P2 §4.
    """
    check_choice(architecture, "architecture", tuple(ARCHITECTURES))
    weight_decay = check_non_negative(weight_decay, "weight_decay")
    spec = ARCHITECTURES[architecture]
    dropout = spec.dropout_rate if dropout_rate is None else dropout_rate
    l2 = keras.regularizers.L2(weight_decay / 2.0) if weight_decay else None
    common = dict(leaky_slope=leaky_slope, weight_decay=weight_decay,
                  bn_momentum=bn_momentum, bn_epsilon=bn_epsilon,
                  use_shortcut=spec.use_shortcut, track_block_ratio=track_block_ratio,
                  synchronized_batch_norm=synchronized_batch_norm)
    if spec.bottleneck:
        if dropout:
            raise ValueError("Dropout is not supported in bottleneck units. "
                             f"Received: dropout_rate={dropout}")
        unit_class = BottleneckUnit
    else:
        unit_class = ResidualUnit
        common["dropout_rate"] = dropout

    image = keras.Input(shape=input_shape, name="image")
    label = keras.Input(shape=(), dtype="int32", name="label", optional=True)
    x = keras.layers.Conv2D(spec.widths[0], 3, padding="same", use_bias=False,
                            kernel_initializer=conv_initializer(), kernel_regularizer=l2,
                            name="init_conv")(image)
    for stage in range(3):
        for unit in range(spec.units_per_stage):
            first = unit == 0
            x = unit_class(
                spec.widths[stage + 1],
                strides=STAGE_STRIDES[stage] if first else 1,
                activate_before_residual=ACTIVATE_BEFORE_RESIDUAL[stage] and first,
                stage=stage + 1, unit=unit, name=f"unit_{stage + 1}_{unit}", **common)(x)
    x = keras.layers.BatchNormalization(momentum=bn_momentum, epsilon=bn_epsilon,
                                        synchronized=synchronized_batch_norm,
                                        name="final_bn")(x)
    x = keras.layers.LeakyReLU(negative_slope=leaky_slope, name="final_act")(x)
    features = keras.layers.GlobalAveragePooling2D(name="features")(x)
    logits = RegularizedLogits(
        num_classes, regularizer=regularizer, alpha1=alpha1, alpha2=alpha2,
        l1_method=l1_method, l1_every=l1_every, weight_decay=weight_decay,
        dtype="float32", name="logits")(features, labels=label)  # float32 under mixed precision
    return keras.Model({"image": image, "label": label}, logits, name=architecture)



def build_network(model_name, **kwargs):
    """Builds any network of `infodl.choices.MODELS` by name (see `build_resnet`).

    Args:
        model_name: e.g. "resnet32", "wrn28_10", "resnet32_wenxinxu".
        **kwargs: arguments of `build_resnet` (or of `build_resnet_wenxinxu`).

    Returns:
        The `keras.Model` with inputs {"image", "label"} and logits as output.
    """
    return network_builder(model_name)(**kwargs)


def network_builder(model_name):
    """The function that builds `model_name` from the arguments of `build_resnet` (after
    its `architecture`): `build_resnet_wenxinxu`, or `build_resnet` for that name.

    Example:
        >>> from infodl.models.resnet import network_builder
        >>> network_builder("resnet32_wenxinxu").__name__
        'build_resnet_wenxinxu'
    """
    if model_name == "resnet32_wenxinxu":
        from infodl.models.resnet_wenxinxu import build_resnet_wenxinxu

        return build_resnet_wenxinxu
    return functools.partial(build_resnet, model_name)

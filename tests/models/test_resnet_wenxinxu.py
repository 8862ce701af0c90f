"""wenxinxu's ResNet-32 (P1 §3.3): size, layer order and batch-statistics BN vs the original.

The expected numbers are derived from wenxinxu/resnet-in-tensorflow's resnet.py
(`inference(x, n=5)`), not from the Keras model: every `create_variables` /
`tf.get_variable` call of the original is one term of the parameter count below, and
the NumPy forward passes follow its `residual_block` line by line.
"""

import glob
import os

import keras
import numpy as np
import pytest

from infodl.callbacks.block_ratio import BlockRatioLogger
from infodl.choices import MODELS
from infodl.models.model_probe import residual_units
from infodl.models.resnet import build_network
from infodl.models.resnet_wenxinxu import (
    BatchStatisticsNormalization,
    WenxinxuResidualUnit,
    build_resnet_wenxinxu,
)
from tests.models.saving import assert_reloads_with_same_outputs

EPSILON = 1e-3
N = 5  # residual blocks per stage: 6n + 2 = 32 layers


def original_parameter_count(n=N, classes=10):
    """Every variable of wenxinxu's `inference(x, n)`, by hand (3×3 kernels, no conv bias).

    conv0: kernel 3·3·3·16 + BN (beta, gamma) 2·16.
    A block with input c_in and output c: [BN 2·c_in, unless first_block] + conv1
    9·c_in·c + BN 2·c + conv2 9·c·c.
    fc: BN 2·64 + fc_weights 64·classes + fc_bias classes.
    """
    def block(c_in, c, first=False):
        return (0 if first else 2 * c_in) + 9 * c_in * c + 2 * c + 9 * c * c

    stage1 = block(16, 16, first=True) + (n - 1) * block(16, 16)
    stage2 = block(16, 32) + (n - 1) * block(32, 32)
    stage3 = block(32, 64) + (n - 1) * block(64, 64)
    return 27 * 16 + 2 * 16 + stage1 + stage2 + stage3 + 2 * 64 + 64 * classes + classes


def test_parameter_count_matches_the_original():
    # 432 + 32 + 23 328 + 88 160 + 351 424 + 778 = 464 154
    assert original_parameter_count() == 464_154
    model = build_resnet_wenxinxu(num_classes=10)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 464_154
    # the only other weights: two scalars of the regularizer's last-term trackers
    others = [w.path for w in model.non_trainable_weights]
    assert others == ["logits/last_alpha1_term", "logits/last_alpha2_term"]
    assert len(residual_units(model)) == 15
    assert build_resnet_wenxinxu(num_classes=100).count_params() - model.count_params() \
        == 90 * 65


def test_layer_order_matches_inference():
    model = build_resnet_wenxinxu()
    names = [layer.name for layer in model.layers if layer.name not in ("image", "label")]
    units = [f"conv{s}_{u}" for s in (1, 2, 3) for u in range(N)]
    assert names == ["conv0", "conv0_bn", "conv0_relu", *units, "fc_bn", "fc_relu",
                     "features", "logits"]
    assert model.get_layer("conv0").kernel.shape == (3, 3, 3, 16)
    for unit in residual_units(model):
        first, doubles = unit.name == "conv1_0", unit.unit == 0 and unit.stage > 1
        c = (16, 32, 64)[unit.stage - 1]
        c_in = c // 2 if doubles else c
        shapes = [tuple(w.shape) for w in unit.weights]
        # creation order = call order: [BN(c_in)], conv1 (stride), BN(c), conv2
        expected = ([] if first else [(c_in,), (c_in,)]) + [
            (3, 3, c_in, c), (c,), (c,), (3, 3, c, c)]
        assert shapes == expected, unit.name
        assert unit.strides == (2 if doubles else 1) and unit.first_block == first
        assert (unit.stage, unit.unit) == (int(unit.name[4]), int(unit.name[6]))
    assert model.get_layer("features").output.shape == (None, 64)
    assert model.get_layer("logits").kernel.shape == (64, 10)


# ------------------------------------------------------------------ NumPy reference
def batch_norm(x, gamma, beta):
    """tf.nn.moments over all axes but channels + tf.nn.batch_normalization."""
    mean = x.mean(axis=(0, 1, 2))
    variance = x.var(axis=(0, 1, 2))
    return (x - mean) / np.sqrt(variance + EPSILON) * gamma + beta


def relu(x):
    return np.maximum(x, 0.0)


def conv_same(x, kernel, stride):
    """tf.nn.conv2d(padding='SAME'): pad total max((o-1)s+k-n, 0), the extra at the end."""
    batch, height, width, _ = x.shape
    out_h, out_w = -(-height // stride), -(-width // stride)
    pad_h = max((out_h - 1) * stride + 3 - height, 0)
    pad_w = max((out_w - 1) * stride + 3 - width, 0)
    padded = np.pad(x, [(0, 0), (pad_h // 2, pad_h - pad_h // 2),
                        (pad_w // 2, pad_w - pad_w // 2), (0, 0)])
    out = np.zeros((batch, out_h, out_w, kernel.shape[-1]))
    for i in range(3):
        for j in range(3):
            window = padded[:, i:i + stride * out_h:stride, j:j + stride * out_w:stride]
            out += window @ kernel[i, j]
    return out


def residual_block_numpy(x, weights, first_block):
    """resnet.py residual_block: conv1 [bn_relu_conv], conv2 bn_relu_conv, avg-pool + pad."""
    weights = [np.asarray(w, np.float64) for w in weights]
    c_in, c = x.shape[-1], weights[-1].shape[-1]
    stride = 2 if c == 2 * c_in else 1
    if first_block:
        kernel1, gamma2, beta2, kernel2 = weights
        conv1 = conv_same(x, kernel1, 1)
    else:
        gamma1, beta1, kernel1, gamma2, beta2, kernel2 = weights
        conv1 = conv_same(relu(batch_norm(x, gamma1, beta1)), kernel1, stride)
    conv2 = conv_same(relu(batch_norm(conv1, gamma2, beta2)), kernel2, 1)
    if stride == 2:
        n, h, w, _ = x.shape
        pooled = x.reshape(n, h // 2, 2, w // 2, 2, c_in).mean(axis=(2, 4))
        shortcut = np.pad(pooled, [(0, 0), (0, 0), (0, 0), (c_in // 2, c_in // 2)])
    else:
        shortcut = x
    return shortcut, conv2


@pytest.mark.parametrize("c_in, c, first", [(16, 16, True), (16, 32, False),
                                            (32, 32, False)])
def test_unit_matches_numpy_and_parts_sum_to_output(c_in, c, first):
    rng = np.random.default_rng(c + first)
    x = rng.normal(size=(3, 8, 8, c_in)).astype("float32")
    unit = WenxinxuResidualUnit(c, strides=c // c_in, first_block=first)
    unit.build(x.shape)
    for weight in unit.weights:  # non-trivial BN parameters
        weight.assign(rng.normal(size=weight.shape).astype("float32") * 0.3
                      + (1.0 if weight.path.endswith("gamma") else 0.0))
    shortcut, branch = unit.residual_parts(x, training=True)
    ref_shortcut, ref_branch = residual_block_numpy(x.astype(np.float64), unit.weights, first)
    np.testing.assert_allclose(shortcut, ref_shortcut, atol=1e-5)
    np.testing.assert_allclose(branch, ref_branch, rtol=1e-4, atol=1e-4)
    for training in (True, False):  # the same in both modes (batch statistics)
        np.testing.assert_allclose(unit(x, training=training), ref_shortcut + ref_branch,
                                   rtol=1e-4, atol=1e-4)


def test_batch_norm_uses_the_batch_statistics_at_inference():
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(4, 5, 5, 3)) * 3 + 1).astype("float32")
    bn = BatchStatisticsNormalization()
    bn.build(x.shape)
    bn.gamma.assign([1.0, 2.0, 0.5])
    bn.beta.assign([0.0, -1.0, 3.0])
    expected = batch_norm(x.astype(np.float64), np.array([1.0, 2.0, 0.5]),
                          np.array([0.0, -1.0, 3.0]))
    for training in (None, False, True):
        np.testing.assert_allclose(bn(x, training=training), expected, rtol=1e-5, atol=1e-5)
    # the whole network: one image's logits depend on the other images of its batch
    model = build_resnet_wenxinxu(input_shape=(8, 8, 3))
    images = rng.normal(size=(4, 8, 8, 3)).astype("float32")
    other = np.concatenate([images[:1], rng.normal(size=(3, 8, 8, 3)).astype("float32")])
    first = model({"image": images, "label": None}, training=False)[0]
    again = model({"image": other, "label": None}, training=False)[0]
    assert np.max(np.abs(np.asarray(first) - np.asarray(again))) > 1e-3
    assert not any(isinstance(layer, keras.layers.BatchNormalization)
                   for layer in model.layers)


def test_xavier_kernels_and_weight_decay_of_the_original():
    model = build_resnet_wenxinxu(weight_decay=2e-4, regularizer="none")
    kernel = np.asarray(model.get_layer("conv3_4").conv2.kernel)
    limit = np.sqrt(6.0 / (9 * 64 + 9 * 64))  # xavier_initializer(uniform=True), fan avg
    assert np.max(np.abs(kernel)) <= limit
    assert np.std(kernel) == pytest.approx(limit / np.sqrt(3.0), rel=0.03)
    fc = np.asarray(model.get_layer("logits").kernel)  # uniform_unit_scaling(1.0)
    assert np.max(np.abs(fc)) <= np.sqrt(3.0 / 64)
    model({"image": np.zeros((2, 32, 32, 3), "float32"), "label": np.zeros(2, "int32")})
    kernels = [w for w in model.trainable_weights if w.path.endswith("kernel")]
    assert len(kernels) == 1 + 2 * 15 + 1  # conv0, two convs per unit, fc weights
    expected = 2e-4 * sum(0.5 * float(np.sum(np.square(k))) for k in kernels)
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("kwargs, message", [
    (dict(dropout_rate=0.3), "no dropout"),
    (dict(weight_decay=-1.0), "weight_decay >= 0"),
    (dict(input_shape=(32, 32)), "input_shape"),
    (dict(regularizer="l2"), "regularizer"),
])
def test_argument_checks(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_resnet_wenxinxu(**kwargs)
    with pytest.raises(TypeError):
        build_resnet_wenxinxu(leaky_slope=0.1)  # not an argument of this network
    with pytest.raises(ValueError, match="strides=2"):
        WenxinxuResidualUnit(32, strides=1).build((1, 8, 8, 16))


def test_listed_built_by_name_and_saved(tmp_path):
    assert "resnet32_wenxinxu" in MODELS
    model = build_network("resnet32_wenxinxu", num_classes=10, input_shape=(8, 8, 3),
                          alpha2=0.05, dropout_rate=0.0, track_block_ratio=True)
    x = np.random.default_rng(1).normal(size=(2, 8, 8, 3)).astype("float32")
    loaded = assert_reloads_with_same_outputs(model, tmp_path, {"image": x, "label": None},
                                              atol=1e-5)
    assert loaded.get_layer("conv1_0").first_block and loaded.get_layer("logits").alpha2 == 0.05


def test_block_ratios_of_the_15_units_over_the_input():
    model = build_resnet_wenxinxu(input_shape=(8, 8, 3))
    x = np.random.default_rng(2).normal(size=(6, 8, 8, 3)).astype("float32")
    logger = BlockRatioLogger(x, every_n_steps=1)
    logger.set_model(model)
    norms = logger.compute_norms()
    assert list(norms) == [f"stage{s}_unit{u}" for s in (1, 2, 3) for u in range(N)]
    # NumPy: the unit's input from the model, ||L(x_k)|| / ||x_k|| per example
    probe = keras.Model(model.inputs, [u.input for u in residual_units(model)])
    inputs = probe({"image": x, "label": None})
    for unit, unit_input, (denominator, branch) in zip(residual_units(model), inputs,
                                                       norms.values(), strict=True):
        _, expected = unit.residual_parts(unit_input)
        flat = np.asarray(expected).reshape(6, -1)
        np.testing.assert_allclose(branch, np.linalg.norm(flat, axis=1), rtol=1e-4)
        np.testing.assert_allclose(
            denominator, np.linalg.norm(np.asarray(unit_input).reshape(6, -1), axis=1),
            rtol=1e-5)


@pytest.mark.slow
def test_synthetic_run_logs_15_block_ratios(tmp_path):
    """P1 Fig. 5's run, 3 steps: `run.py --model=resnet32_wenxinxu --block_ratio_every=1`.

    About 45 s on the shared 2-core machine (mostly graph tracing of the ResNet-32).
    """
    import tensorflow as tf

    from infodl.experiments.resnet.config import ResNetConfig
    from infodl.experiments.resnet.experiment import run

    log_dir = str(tmp_path / "wenxinxu")
    results = run(ResNetConfig(
        model="resnet32_wenxinxu", dataset="synthetic", train_steps=3, eval_every=3,
        block_ratio_every=1, log_dir=log_dir, verbose=0, info_every=0,
        classifier_stats_every=0))
    assert results["step"] == 3
    steps_per_tag = {}
    for path in glob.glob(os.path.join(log_dir, "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag.startswith("block_ratio/stage"):
                    ratio = float(tf.make_ndarray(value.tensor))
                    assert 0.0 < ratio < 10.0
                    steps_per_tag.setdefault(value.tag, set()).add(event.step)
    blocks = {f"block_ratio/stage{s}_unit{u}/{k}" for s in (1, 2, 3) for u in range(N)
              for k in ("mean", "max")}
    assert set(steps_per_tag) == blocks
    assert all(steps == {0, 1, 2, 3} for steps in steps_per_tag.values())

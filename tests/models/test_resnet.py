"""The ResNet family: parameter counts of the originals, unit structure, s(x) + L(x)."""

import numpy as np
import pytest

from infodl.models.bottleneck_unit import BottleneckUnit
from infodl.models.model_probe import residual_units
from infodl.models.residual_unit import ResidualUnit
from infodl.models.resnet import ARCHITECTURES, build_resnet
from tests.models.numpy_reference import option_a_shortcut_numpy
from tests.models.saving import assert_reloads_with_same_outputs


@pytest.mark.parametrize("architecture, classes, expected, units", [
    ("resnet20", 10, 0.27e6, 9),
    ("resnet32", 10, 0.46e6, 15),     # He et al. 2016 Table 6: 0.46 M
    ("resnet56", 10, 0.85e6, 27),
    ("resnet110", 10, 1.7e6, 54),
    ("resnet164", 10, 1.7e6, 54),
    ("plainnet32", 10, 0.46e6, 15),
])
def test_parameter_counts_match_the_originals(architecture, classes, expected, units):
    model = build_resnet(architecture, num_classes=classes)
    assert model.count_params() == pytest.approx(expected, rel=0.03)
    assert len(residual_units(model)) == units


def test_resnet32_exact_convolution_parameters():
    # 3·3·3·16 stem + 5 units per stage of two 3×3 convs (16, 32, 64 channels)
    expected_conv = (27 * 16 + 10 * 9 * 16 * 16 + 9 * 16 * 32 + 9 * 9 * 32 * 32
                     + 9 * 32 * 64 + 9 * 9 * 64 * 64)
    model = build_resnet("resnet32", num_classes=10)
    conv = sum(int(np.prod(w.shape)) for w in model.weights
               if "kernel" in w.path and "logits" not in w.path)
    assert conv == expected_conv == 461_232
    assert model.get_layer("logits").kernel.shape == (64, 10)
    assert model.get_layer("features").output.shape == (None, 64)


def test_wrn28_10_width_and_size():
    model = build_resnet("wrn28_10", num_classes=100)
    assert model.count_params() == pytest.approx(36.5e6, rel=0.01)  # Zagoruyko & Komodakis
    # the TF code path's WRN (P2) has no dropout; Zagoruyko & Komodakis' recipe adds 0.3
    assert model.get_layer("unit_1_0").dropout_rate == 0.0
    assert build_resnet("wrn28_10", dropout_rate=0.3).get_layer("unit_1_0").dropout_rate == 0.3


def test_units_are_named_after_the_original_scopes():
    model = build_resnet("resnet32")
    names = [(u.name, u.stage, u.unit) for u in residual_units(model)]
    assert names[0] == ("unit_1_0", 1, 0) and names[-1] == ("unit_3_4", 3, 4)
    first = [u for u in residual_units(model) if u.unit == 0]
    assert [u.strides for u in first] == [1, 2, 2]
    assert [u.activate_before_residual for u in first] == [True, False, False]


def test_plainnet_has_no_shortcut():
    model = build_resnet("plainnet32")
    unit = residual_units(model)[3]
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 16)).astype("float32")
    shortcut, branch = unit.residual_parts(x)
    assert shortcut is None
    np.testing.assert_allclose(unit(x), branch, atol=1e-6)


def test_option_a_shortcut_matches_numpy():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 8, 8, 16)).astype("float32")
    unit = ResidualUnit(32, strides=2)
    shortcut, branch = unit.residual_parts(x)
    np.testing.assert_allclose(shortcut, option_a_shortcut_numpy(x, 2, 32), atol=1e-6)
    np.testing.assert_allclose(unit(x), shortcut + branch, atol=1e-5)
    assert shortcut.shape == branch.shape == (3, 4, 4, 32)


def test_activate_before_residual_shares_the_activation():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 8, 8, 16)).astype("float32")
    unit = ResidualUnit(16, activate_before_residual=True)
    shortcut, _ = unit.residual_parts(x, training=False)
    bn = unit.bn1  # fresh BN at inference: x / sqrt(1 + eps)
    activated = x / np.sqrt(1.0 + bn.epsilon)
    activated = np.where(activated > 0, activated, 0.1 * activated)
    np.testing.assert_allclose(shortcut, activated, atol=1e-5)


def test_bottleneck_projection_and_parts():
    x = np.random.default_rng(3).normal(size=(2, 8, 8, 16)).astype("float32")
    unit = BottleneckUnit(64, strides=2)
    shortcut, branch = unit.residual_parts(x)
    np.testing.assert_allclose(shortcut, unit.projection(x), atol=1e-6)
    assert branch.shape == (2, 4, 4, 64)


def test_unknown_architecture_is_a_clear_error():
    with pytest.raises(ValueError, match="Expected architecture in"):
        build_resnet("resnet33")


@pytest.mark.parametrize("kwargs, message", [
    (dict(filters=0), "filters >= 1"),
    (dict(filters=16, dropout_rate=1.5), "dropout_rate"),
    (dict(filters=16, weight_decay=-1), "weight_decay >= 0"),
])
def test_unit_argument_checks(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ResidualUnit(**kwargs)


def test_model_saves_and_loads_with_custom_layers(tmp_path):
    model = build_resnet("resnet20", alpha2=0.05, alpha1=1e-5)
    x = np.random.default_rng(4).normal(size=(2, 32, 32, 3)).astype("float32")
    loaded = assert_reloads_with_same_outputs(model, tmp_path, {"image": x, "label": None},
                                              atol=1e-5)
    assert loaded.get_layer("logits").alpha2 == 0.05


def test_weight_decay_matches_the_original_l2_loss():
    model = build_resnet("resnet20", weight_decay=2e-4, regularizer="none")
    x = np.zeros((1, 32, 32, 3), "float32")
    model({"image": x, "label": np.zeros((1,), "int32")})
    kernels = [w for w in model.weights if w.path.endswith("kernel")]
    expected = 2e-4 * sum(0.5 * float(np.sum(np.square(k))) for k in kernels)
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-4)


def test_all_architectures_listed():
    assert set(ARCHITECTURES) == {"resnet20", "resnet32", "resnet56", "resnet110",
                                  "resnet164", "plainnet32", "wrn28_10"}

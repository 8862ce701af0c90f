"""Tests of P3's networks: layers, widths, a NumPy forward pass, weight decay, saving."""

import keras
import numpy as np
import pytest

from infodl.models.ib_nets import build_ib_network, input_statistics
from tests.models.saving import assert_reloads_with_same_outputs


def _dense_sizes(model):
    return [(layer.name, layer.units) for layer in model.layers
            if isinstance(layer, keras.layers.Dense)]


def test_mnist_mlps_and_their_post_trained_variant():
    model = build_ib_network("mlp_512_512", (28, 28, 1), seed=0)
    assert _dense_sizes(model) == [("hidden_1", 512), ("hidden_2", 512), ("logits", 10)]
    assert model.count_params() == 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10
    layerwise = build_ib_network("mlp_512_512", (28, 28, 1), post_trained_logits=True)
    assert _dense_sizes(layerwise)[-2:] == [("features", 10), ("logits", 10)]
    assert layerwise.get_layer("features").activation.__name__ == "linear"
    assert _dense_sizes(build_ib_network("mlp_600_400", (28, 28, 1))) == [
        ("hidden_1", 600), ("hidden_2", 400), ("logits", 10)]


def test_mlp_forward_matches_numpy():
    model = build_ib_network("mlp_600_400", (8, 8, 1), post_trained_logits=True, seed=1)
    x = np.random.default_rng(0).integers(0, 256, (5, 8, 8, 1)).astype("float32")
    hidden = x.reshape(5, -1).astype(np.float64) / 255.0
    for name, relu in (("hidden_1", True), ("hidden_2", True), ("features", False),
                       ("logits", False)):
        kernel, bias = model.get_layer(name).get_weights()
        hidden = hidden @ kernel + bias
        hidden = np.maximum(hidden, 0.0) if relu else hidden
    np.testing.assert_allclose(np.asarray(model(x)), hidden, rtol=1e-4, atol=1e-5)


def test_cifar_convnets():
    layerwise = build_ib_network("convnet_16", (32, 32, 3), input_mean=[120, 110, 100],
                                 input_std=[60, 60, 60])
    shapes = {layer.name: layer.output.shape[1:] for layer in layerwise.layers}
    assert [shapes[f"pool_{k}"] for k in (1, 2, 3)] == [(16, 16, 16), (8, 8, 16), (4, 4, 16)]
    assert _dense_sizes(layerwise) == [("hidden_4", 512), ("hidden_5", 512), ("logits", 10)]
    end_to_end = build_ib_network("convnet_48_96_192", (32, 32, 3))
    convs = [(layer.name, layer.filters) for layer in end_to_end.layers
             if isinstance(layer, keras.layers.Conv2D)]
    assert [filters for _, filters in convs] == [48, 48, 96, 96, 192, 192]
    rates = [layer.rate for layer in end_to_end.layers if isinstance(layer, keras.layers.Dropout)]
    assert rates == [0.25, 0.25, 0.25, 0.5, 0.5]
    assert end_to_end.get_layer("pool_3").output.shape[1:] == (4, 4, 192)
    # per-channel standardization with the given statistics
    x = np.full((1, 32, 32, 3), 180.0, "float32")
    scaled = keras.Model(layerwise.inputs[0], layerwise.get_layer("input_scaling").output)(x)
    np.testing.assert_allclose(np.asarray(scaled)[0, 0, 0], [1.0, 70 / 60, 80 / 60], rtol=1e-5)


def test_weight_decay_adds_half_wd_times_squared_kernels():
    model = build_ib_network("mlp_512_512", (4, 4, 1), weight_decay=0.01, seed=2)
    model(np.zeros((1, 4, 4, 1), "float32"))
    expected = sum(0.005 * np.sum(model.get_layer(n).kernel.numpy() ** 2)
                   for n in ("hidden_1", "hidden_2", "logits"))
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-5)


def test_saved_model_loads_with_the_same_outputs(tmp_path):
    model = build_ib_network("convnet_16", (8, 8, 3), post_trained_logits=True,
                             input_mean=[1, 2, 3], input_std=[2, 2, 2], seed=3)
    x = np.random.default_rng(1).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    loaded = assert_reloads_with_same_outputs(model, tmp_path, x, rtol=1e-5)
    assert loaded.get_layer("features") is not None and loaded.get_layer("logits")


def test_input_statistics_and_bad_arguments():
    images = np.stack([np.full((2, 2), 10), np.full((2, 2), 30)], axis=-1)[None]
    images = np.concatenate([images, images + 2]).astype("uint8")
    mean, std = input_statistics(images)
    np.testing.assert_allclose(mean, [11, 31])
    np.testing.assert_allclose(std, [1, 1])
    with pytest.raises(ValueError, match="Expected network in"):
        build_ib_network("resnet32", (28, 28, 1))
    with pytest.raises(ValueError, match="weight_decay >= 0"):
        build_ib_network("mlp_512_512", (28, 28, 1), weight_decay=-1.0)

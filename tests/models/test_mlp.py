"""Tests of build_mlp: architecture, NumPy forward pass, initialization, switches."""

import keras
import numpy as np
import pytest

from infodl.models.mlp import build_mlp


def _numpy_forward(model, inputs, activations):
    functions = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0),
                 "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)),
                 "softmax": lambda a: np.exp(a - a.max(1, keepdims=True))
                 / np.exp(a - a.max(1, keepdims=True)).sum(1, keepdims=True)}
    outputs, hidden = [], inputs.astype(np.float64)
    for layer, name in zip(model.layers, activations, strict=True):
        kernel, bias = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
        hidden = functions[name](hidden @ kernel + bias)
        outputs.append(hidden)
    return outputs


def test_default_is_the_12_10_7_5_4_3_2_tanh_net():
    model = build_mlp(12, seed=0)
    assert [layer.name for layer in model.layers] == [
        "hidden_1", "hidden_2", "hidden_3", "hidden_4", "hidden_5", "output"]
    assert [layer.units for layer in model.layers] == [10, 7, 5, 4, 3, 2]
    inputs = np.random.default_rng(0).integers(0, 2, (64, 12)).astype(np.float32)
    expected = _numpy_forward(model, inputs, ["tanh"] * 5 + ["softmax"])[-1]
    np.testing.assert_allclose(model.predict(inputs, verbose=0), expected, atol=1e-5)
    assert model.count_params() == (12 * 10 + 10 + 10 * 7 + 7 + 7 * 5 + 5 + 5 * 4 + 4
                                    + 4 * 3 + 3 + 3 * 2 + 2)


def test_last_hidden_activation_switch():
    model = build_mlp(12, activation="relu", last_hidden_activation="sigmoid", seed=1)
    inputs = np.random.default_rng(1).integers(0, 2, (32, 12)).astype(np.float32)
    reference = _numpy_forward(model, inputs, ["relu"] * 4 + ["sigmoid", "softmax"])
    probe = keras.Model(model.inputs, [layer.output for layer in model.layers])
    for got, want in zip(probe.predict(inputs, verbose=0), reference, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)
    assert np.all((reference[4] > 0) & (reference[4] < 1))
    assert model.layers[3].activation.__name__ == "relu"


def test_initialization_is_truncated_normal_with_inverse_sqrt_fan_in():
    model = build_mlp(400, layer_sizes=(500, 2), seed=3)
    kernel = model.layers[0].get_weights()[0]
    stddev = 1.0 / np.sqrt(400)
    # a normal truncated at +-2 sigma has std 0.8796 sigma
    assert np.std(kernel) == pytest.approx(0.8796 * stddev, rel=0.02)
    assert np.abs(kernel).max() <= 2 * stddev + 1e-7
    np.testing.assert_array_equal(model.layers[0].get_weights()[1], 0.0)
    same = build_mlp(400, layer_sizes=(500, 2), seed=3).layers[0].get_weights()[0]
    other = build_mlp(400, layer_sizes=(500, 2), seed=4).layers[0].get_weights()[0]
    np.testing.assert_array_equal(kernel, same)
    assert not np.allclose(kernel, other)


@pytest.mark.parametrize("kwargs, message", [
    ({"input_dim": 0}, "input_dim"),
    ({"input_dim": 12, "layer_sizes": (10, -1)}, "layer_sizes"),
    ({"input_dim": 12, "layer_sizes": ()}, "layer_sizes"),
    ({"input_dim": 12, "activation": "tahn"}, "activation"),
    ({"input_dim": 12, "last_hidden_activation": "bogus"}, "last_hidden_activation"),
    ({"input_dim": 12, "seed": 1.5}, "seed"),
])
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_mlp(**kwargs)

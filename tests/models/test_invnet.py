"""InvNet's graph: LeNet-300-100 encoder, mirrored decoder, regularized classifier w."""

import keras
import numpy as np
import pytest

from infodl.models.invnet import build_invnet
from infodl.models.regularized_logits import RegularizedLogits


def _relu(a):
    return np.maximum(a, 0.0)


def _model(**kwargs):
    inputs, outputs = build_invnet(**kwargs)
    return keras.Model(inputs, outputs)


def test_layers_and_widths_are_lenet_300_100_and_its_mirror():
    model = _model()
    widths = {layer.name: layer.units for layer in model.layers if hasattr(layer, "units")}
    assert widths == {"hidden_1": 300, "features": 100, "decoder_hidden_1": 300,
                      "decoder_output": 784, "logits": 10}
    assert model.get_layer("logits").kernel.shape == (100, 10)
    assert isinstance(model.get_layer("logits"), RegularizedLogits)


def test_forward_pass_equals_numpy():
    model = _model(input_shape=(4, 4, 1), hidden_sizes=(6, 3), num_classes=3)
    images = np.random.default_rng(0).uniform(size=(5, 4, 4, 1)).astype("float32")
    outputs = model({"image": images, "label": None})
    weights = {layer.name: [np.asarray(w, np.float64) for w in layer.get_weights()]
               for layer in model.layers if layer.get_weights()}
    x = images.reshape(5, -1).astype(np.float64)
    hidden = _relu(x @ weights["hidden_1"][0] + weights["hidden_1"][1])
    features = _relu(hidden @ weights["features"][0] + weights["features"][1])
    decoded = _relu(features @ weights["decoder_hidden_1"][0] + weights["decoder_hidden_1"][1])
    pixels = 1.0 / (1.0 + np.exp(-(decoded @ weights["decoder_output"][0]
                                   + weights["decoder_output"][1])))
    logits = features @ weights["logits"][0] + weights["logits"][1]
    np.testing.assert_allclose(outputs["logits"], logits, atol=1e-5)
    np.testing.assert_allclose(outputs["reconstruction"], pixels.reshape(5, 4, 4, 1), atol=1e-5)


def test_label_switches_the_regularizer_on():
    model = _model(input_shape=(4, 4, 1), hidden_sizes=(6, 3), num_classes=3, alpha2=0.5)
    images = np.ones((2, 4, 4, 1), "float32")
    model({"image": images, "label": None})
    assert not model.losses
    model({"image": images, "label": np.array([0, 2])})
    assert len(model.losses) == 1 and float(model.losses[0]) > 0


@pytest.mark.parametrize("kwargs, message", [
    (dict(num_classes=1), "num_classes"), (dict(hidden_sizes=()), "hidden_sizes"),
    (dict(activation="swish?"), "activation"), (dict(alpha1=-1.0), "alpha1"),
])
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_invnet(**kwargs)

"""The two readings P2 leaves open (issue 20.5): the proximal ℓ1 threshold τ = lr·α1·l1_every
or lr·α1 (`--l1_threshold_scale`), and the reconstruction error summed or averaged over
pixels (`--reconstruction_reduction`), each against a NumPy recomputation."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from infodl.callbacks.proximal_l1 import ProximalL1
from infodl.experiments.invnet.config import InvNetConfig
from infodl.experiments.invnet.experiment import build_compiled_model
from infodl.experiments.resnet import callbacks as resnet_callbacks
from infodl.experiments.resnet.config import ResNetConfig
from infodl.models.invnet import build_invnet
from infodl.models.regularized_logits import RegularizedLogits
from infodl.training.alternating_trainer import AlternatingTrainer, reconstruction_error

LEARNING_RATE, ALPHA1, L1_EVERY = 0.25, 0.2, 3


def _soft_threshold(w, tau):
    return np.sign(w) * np.maximum(np.abs(w) - tau, 0.0)


def _logits_model(seed=0):
    keras.utils.set_random_seed(seed)
    layer = RegularizedLogits(4, alpha1=ALPHA1, l1_every=L1_EVERY, name="logits")
    model = keras.Sequential([keras.Input((6,)), layer])
    model.compile(keras.optimizers.SGD(LEARNING_RATE), "mse")
    # entries on both sides of both thresholds (0.05 and 0.15)
    kernel = np.random.default_rng(seed).uniform(-0.3, 0.3, size=(6, 4)).astype("float32")
    layer.kernel.assign(kernel)
    return model, layer, kernel


@pytest.mark.parametrize("scale, tau", [("interval", LEARNING_RATE * ALPHA1 * L1_EVERY),
                                        ("step", LEARNING_RATE * ALPHA1)])
def test_the_soft_threshold_applied_equals_numpy(scale, tau):
    model, layer, kernel = _logits_model()
    callback = ProximalL1(threshold_scale=scale)
    callback.set_model(model)
    callback.on_train_begin()
    for batch in range(L1_EVERY - 1):  # not yet a step of the l1 interval: unchanged
        callback.on_train_batch_end(batch)
        np.testing.assert_array_equal(np.asarray(layer.kernel), kernel)
    callback.on_train_batch_end(L1_EVERY - 1)
    expected = _soft_threshold(kernel, tau)
    np.testing.assert_allclose(np.asarray(layer.kernel), expected, rtol=0, atol=1e-7)
    assert 0 < np.mean(expected == 0) < 1  # the check separates the two readings
    assert not np.allclose(_soft_threshold(kernel, LEARNING_RATE * ALPHA1),
                           _soft_threshold(kernel, LEARNING_RATE * ALPHA1 * L1_EVERY))


def test_a_fit_with_the_step_reading_thresholds_by_lr_alpha1():
    """Through fit(): after step l1_every, w = S_tau(w after that step's SGD update)."""
    model, layer, _ = _logits_model(seed=1)
    x = np.random.default_rng(2).normal(size=(L1_EVERY, 6)).astype("float32")
    y = np.zeros((L1_EVERY, 4), "float32")
    model.fit(x[:L1_EVERY - 1], y[:L1_EVERY - 1], batch_size=1, shuffle=False, verbose=0,
              callbacks=[ProximalL1(threshold_scale="step")])
    w, b = (np.asarray(v, "float64") for v in (layer.kernel, layer.bias))
    error = x[-1] @ w + b - y[-1]  # mse over 4 outputs: grad_w = x^T · 2·error / 4
    w_after_sgd = w - LEARNING_RATE * np.outer(x[-1], 2 * error / 4)
    model.fit(x[-1:], y[-1:], batch_size=1, verbose=0,
              callbacks=[ProximalL1(threshold_scale="step")])
    np.testing.assert_allclose(np.asarray(layer.kernel),
                               _soft_threshold(w_after_sgd, LEARNING_RATE * ALPHA1), atol=1e-6)


def test_bad_threshold_scale_is_one_error_line():
    with pytest.raises(ValueError, match=r"Expected threshold_scale in \('interval', 'step'\)"):
        ProximalL1(threshold_scale="epoch")
    with pytest.raises(ValueError, match="Expected l1_threshold_scale in"):
        InvNetConfig(l1_threshold_scale="epoch").validate()
    with pytest.raises(ValueError, match="Expected reconstruction_reduction in"):
        InvNetConfig(reconstruction_reduction="median").validate()


def test_resnet_callbacks_pass_the_flag(monkeypatch):
    seen = []

    class Spy(ProximalL1):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(self)
            raise RuntimeError("built")

    monkeypatch.setattr(resnet_callbacks, "ProximalL1", Spy)
    config = ResNetConfig(l1_threshold_scale="step").validate()
    with pytest.raises(RuntimeError, match="built"):
        resnet_callbacks.run_callbacks(config, None, None, [], [], "unused", write_files=False)
    assert seen[0].threshold_scale == "step"
    assert ResNetConfig().validate().l1_threshold_scale == "interval"


@pytest.mark.parametrize("kind", ["squared_error", "binary_crossentropy"])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_reconstruction_error_equals_numpy(kind, reduction):
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(5, 4, 3, 1)).astype("float32")
    reconstruction = rng.uniform(0.05, 0.95, size=(5, 4, 3, 1)).astype("float32")
    x, r = images.reshape(5, -1).astype("float64"), reconstruction.reshape(5, -1)
    per_pixel = ((x - r) ** 2 if kind == "squared_error"
                 else -(x * np.log(r) + (1 - x) * np.log(1 - r)))
    per_image = per_pixel.sum(axis=1) if reduction == "sum" else per_pixel.mean(axis=1)
    value = float(reconstruction_error(images, reconstruction, kind, reduction))
    assert value == pytest.approx(per_image.mean(), rel=1e-5)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_the_model_reports_and_trains_on_the_chosen_reduction(reduction):
    """InvNet's evaluated reconstruction loss equals NumPy's on the decoder's output, and
    one autoencoder step moves the decoder by lr·(gradient of that loss)."""
    keras.utils.set_random_seed(0)
    inputs, outputs = build_invnet(num_classes=3, input_shape=(4, 4, 1), hidden_sizes=(8, 5))
    model = AlternatingTrainer(inputs, outputs, name="invnet")
    model.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1),
                  reconstruction_reduction=reduction)
    rng = np.random.default_rng(1)
    images = rng.uniform(size=(6, 4, 4, 1)).astype("float32")
    labels = rng.integers(0, 3, 6).astype("int32")
    decoded = np.asarray(model.autoencoder(images), "float64").reshape(6, -1)
    squared = (images.reshape(6, -1) - decoded) ** 2
    expected = (squared.sum(1) if reduction == "sum" else squared.mean(1)).mean()
    scores = model.evaluate({"image": images, "label": labels}, labels, batch_size=6,
                            verbose=0, return_dict=True)
    assert scores["reconstruction_loss"] == pytest.approx(expected, rel=1e-5)
    bias = model.get_layer("decoder_output").bias
    before = np.asarray(bias, "float64")
    with tf.GradientTape() as tape:
        loss = reconstruction_error(images, model.autoencoder(images), reduction=reduction)
    gradient = np.asarray(tape.gradient(loss, bias), "float64")
    model.train_on_batch({"image": images, "label": labels}, labels)
    np.testing.assert_allclose(np.asarray(bias), before - 0.1 * gradient, rtol=1e-4,
                               atol=1e-7)


def test_the_invnet_config_reaches_compile():
    config = InvNetConfig(reconstruction_reduction="mean", hidden_sizes=(8, 5)).validate()
    model = build_compiled_model(config, 10, (4, 4, 1), steps_per_epoch=10)
    assert model.reconstruction_reduction == "mean"
    assert InvNetConfig().validate().reconstruction_reduction == "sum"

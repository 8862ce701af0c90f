"""The information regularizer: loss terms against NumPy, exact zeros of the proximal step."""

import keras
import numpy as np
import pytest

from infodl.callbacks.proximal_l1 import ProximalL1
from infodl.models.regularized_logits import RegularizedLogits


def _layer(**kwargs):
    rng = np.random.default_rng(0)
    layer = RegularizedLogits(4, **kwargs)
    layer.build((None, 6))
    layer.kernel.assign(rng.normal(size=(6, 4)).astype("float32"))
    layer.bias.assign(rng.normal(size=(4,)).astype("float32"))
    features = rng.normal(size=(5, 6)).astype("float32")
    labels = np.array([0, 3, 3, 1, 2], "int32")
    return layer, features, labels


def test_info_term_matches_numpy():
    layer, f, y = _layer(alpha2=0.03)
    logits = layer(f, labels=y)
    w = layer.kernel.numpy()
    expected = 0.03 * np.mean(np.linalg.norm(w[:, y], axis=0) * np.linalg.norm(f, axis=1))
    assert len(layer.losses) == 1
    assert float(layer.losses[0]) == pytest.approx(expected, rel=1e-5)
    np.testing.assert_allclose(logits, f @ w + layer.bias.numpy(), rtol=1e-5)


def test_only_the_label_column_is_constrained():
    layer, f, y = _layer(alpha2=1.0)
    w = layer.kernel.numpy().copy()
    w[:, 0] *= 10.0  # column 0 is the label of example 0 only
    layer.kernel.assign(w)
    layer(f, labels=y)
    base = float(layer.losses[0])
    w[:, 0] /= 10.0
    w[:, [1, 2, 3]] *= 1.0
    layer.kernel.assign(w)
    layer(f, labels=np.array([1, 3, 3, 1, 2], "int32"))
    # with no example labelled 0, scaling column 0 no longer changes the term
    without_0 = float(layer.losses[0])
    w[:, 0] *= 10.0
    layer.kernel.assign(w)
    layer(f, labels=np.array([1, 3, 3, 1, 2], "int32"))
    assert float(layer.losses[0]) == pytest.approx(without_0, rel=1e-6)
    assert base != pytest.approx(without_0)


def test_naive_term_is_frobenius_norm_and_subgradient_l1():
    layer, f, y = _layer(regularizer="naive", alpha1=0.01, alpha2=0.5, l1_method="subgradient")
    layer(f, labels=y)
    w = layer.kernel.numpy()
    terms = sorted(float(t) for t in layer.losses)
    expected = sorted([0.5 * np.linalg.norm(w), 0.01 * np.abs(w).sum()])
    np.testing.assert_allclose(terms, expected, rtol=1e-5)


def test_no_labels_means_plain_dense_layer():
    layer, f, _ = _layer(alpha1=0.1, alpha2=0.1)
    layer(f)
    assert layer.losses == []


def test_proximal_step_soft_thresholds_to_exact_zeros():
    layer, _, _ = _layer(alpha1=0.01, l1_every=30)
    w = layer.kernel.numpy()
    layer.apply_proximal_l1(0.5)
    tau = 0.5 * 0.01 * 30
    expected = np.sign(w) * np.maximum(np.abs(w) - tau, 0.0)
    np.testing.assert_allclose(layer.kernel.numpy(), expected, atol=1e-7)
    assert np.sum(layer.kernel.numpy() == 0.0) == np.sum(np.abs(w) <= tau) > 0


def test_proximal_callback_runs_every_l1_every_steps(monkeypatch):
    inputs = keras.Input((6,))
    labels = keras.Input((), dtype="int32")
    layer = RegularizedLogits(4, alpha1=0.05, l1_every=3, name="logits")
    model = keras.Model([inputs, labels], layer(inputs, labels=labels))
    model.compile(keras.optimizers.SGD(0.1),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    calls = []
    original = RegularizedLogits.apply_proximal_l1

    def spy(self, learning_rate):
        calls.append((int(model.optimizer.iterations.numpy()), float(learning_rate)))
        original(self, learning_rate)

    monkeypatch.setattr(RegularizedLogits, "apply_proximal_l1", spy)
    x = np.random.default_rng(1).normal(size=(8, 6)).astype("float32")
    y = np.arange(8) % 4
    model.fit([x, y], y, batch_size=1, epochs=1, verbose=0, callbacks=[ProximalL1()])
    assert calls == [(3, pytest.approx(0.1)), (6, pytest.approx(0.1))]
    model.fit([x, y], y, batch_size=1, epochs=1, verbose=0, callbacks=[ProximalL1()])
    assert [step for step, _ in calls] == [3, 6, 9, 12, 15]  # counts resume at step 8


def test_proximal_l1_sparsifies_w_during_training():
    inputs = keras.Input((6,))
    labels = keras.Input((), dtype="int32")
    model = keras.Model([inputs, labels], RegularizedLogits(
        4, alpha1=0.05, l1_every=2, name="logits")(inputs, labels=labels))
    model.compile(keras.optimizers.SGD(0.1),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(5)
    x = rng.normal(size=(64, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")  # only feature 0 and classes 0/1 matter
    model.fit([x, y], y, batch_size=8, epochs=10, verbose=0, callbacks=[ProximalL1()])
    w = model.get_layer("logits").kernel.numpy()
    assert np.mean(w == 0.0) > 0.3  # exact zeros, not just small values
    assert np.abs(w[0, :2]).min() > 0  # the informative entries survive


@pytest.mark.parametrize("kwargs, message", [
    (dict(alpha2=-1.0), "Expected alpha2 >= 0. Received: alpha2=-1.0"),
    (dict(alpha1=float("nan")), "Expected alpha1 >= 0"),
    (dict(regularizer="ib"), "Expected regularizer in"),
    (dict(l1_method="l2"), "Expected l1_method in"),
    (dict(l1_every=0), "Expected l1_every >= 1"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        RegularizedLogits(10, **kwargs)


def test_terms_of_the_last_training_batch_are_kept():
    inputs = keras.Input((6,))
    labels = keras.Input((), dtype="int32")
    model = keras.Model([inputs, labels], RegularizedLogits(
        4, alpha1=1e-3, alpha2=0.1, name="logits")(inputs, labels=labels))
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.random.default_rng(2).normal(size=(16, 6)).astype("float32")
    y = np.arange(16) % 4
    layer = model.get_layer("logits")
    kernel = layer.kernel.numpy().copy()
    model.fit([x, y], y, batch_size=16, epochs=1, verbose=0)
    terms = layer.last_terms()
    # the terms of the one training batch, computed with the weights before the update
    assert terms["alpha1_term"] == pytest.approx(1e-3 * np.abs(kernel).sum(), rel=1e-5)
    features_norm = np.linalg.norm(x, axis=1)
    column_norm = np.linalg.norm(kernel, axis=0)[y]
    assert terms["alpha2_term"] == pytest.approx(0.1 * np.mean(column_norm * features_norm),
                                                 rel=1e-5)
    model.evaluate([x, y], y, verbose=0)  # evaluation does not overwrite them
    assert layer.last_terms() == terms
    assert layer.get_config()["alpha2"] == 0.1

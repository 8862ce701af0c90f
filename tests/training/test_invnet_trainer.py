"""The alternating InvNet step: which weights each update moves, in which order; l1; checkpoints."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from infodl.callbacks.proximal_l1 import ProximalL1
from infodl.models.invnet import build_invnet
from infodl.run_folder.checkpoints import restore_checkpoint, save_checkpoint
from infodl.training.alternating_trainer import AlternatingTrainer, reconstruction_error

DECODER = ("decoder_hidden_1", "decoder_output")
ENCODER = ("hidden_1", "features")


def _trainer(classifier_lr=0.1, autoencoder_lr=0.1, momentum=0.0, seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    inputs, outputs = build_invnet(num_classes=3, input_shape=(4, 4, 1), hidden_sizes=(8, 5),
                                   **kwargs)
    model = AlternatingTrainer(inputs, outputs, name="invnet")
    model.compile(keras.optimizers.SGD(classifier_lr, momentum=momentum),
                  keras.optimizers.SGD(autoencoder_lr, momentum=momentum))
    return model


def _batch(n=12, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(size=(n, 4, 4, 1)).astype("float32")
    labels = rng.integers(0, 3, n).astype("int32")
    return {"image": tf.constant(images), "label": tf.constant(labels)}, tf.constant(labels)


def _weights(model, names):
    return {name: [np.array(w) for w in model.get_layer(name).get_weights()] for name in names}


def _changed(before, after):
    return {name: any(not np.array_equal(a, b)
                      for a, b in zip(before[name], after[name], strict=True))
            for name in before}


def test_autoencoder_step_leaves_w_unchanged():
    model = _trainer(classifier_lr=0.0)
    before = _weights(model, ("logits",) + DECODER + ENCODER)
    model.train_step(_batch())
    changed = _changed(before, _weights(model, ("logits",) + DECODER + ENCODER))
    assert not changed["logits"]
    assert all(changed[name] for name in DECODER + ENCODER)


def test_classifier_step_leaves_the_decoder_unchanged():
    model = _trainer(autoencoder_lr=0.0, alpha2=0.1)
    before = _weights(model, ("logits",) + DECODER + ENCODER)
    model.train_step(_batch())
    changed = _changed(before, _weights(model, ("logits",) + DECODER + ENCODER))
    assert not any(changed[name] for name in DECODER)
    assert changed["logits"] and all(changed[name] for name in ENCODER)


def test_one_step_is_an_autoencoder_update_then_a_classifier_update():
    lr, alpha2 = 0.1, 0.3
    model = _trainer(classifier_lr=lr, autoencoder_lr=lr, alpha2=alpha2)
    reference = _trainer(classifier_lr=lr, autoencoder_lr=lr, alpha2=alpha2)
    reference.set_weights(model.get_weights())
    inputs, labels = _batch()
    model.train_step((inputs, labels))
    # by hand, with plain SGD: first (F, D) on the reconstruction error ...
    variables = reference.autoencoder.trainable_variables
    with tf.GradientTape() as tape:
        loss = reconstruction_error(inputs["image"], reference.autoencoder(inputs["image"]))
    for variable, gradient in zip(variables, tape.gradient(loss, variables), strict=True):
        variable.assign_sub(lr * gradient)
    # ... then (F, w) on CE + α2 mean ||w_y||·||F(x)||, at the updated F
    variables = reference.classifier.trainable_variables
    with tf.GradientTape() as tape:
        logits = reference.classifier(inputs)
        features = reference.get_layer("features").output
        extractor = keras.Model(reference.input, features)
        norms_f = tf.norm(extractor(inputs), axis=1)
        norms_w = tf.gather(tf.norm(reference.get_layer("logits").kernel, axis=0), labels)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
            labels, logits, from_logits=True)) + alpha2 * tf.reduce_mean(norms_w * norms_f)
    for variable, gradient in zip(variables, tape.gradient(loss, variables), strict=True):
        variable.assign_sub(lr * gradient)
    for got, expected in zip(model.trainable_variables, reference.trainable_variables, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert int(model.optimizer.iterations) == 1
    assert int(model.autoencoder_optimizer.iterations) == 1


def test_reconstruction_error_sums_pixels_and_averages_images():
    images = np.zeros((2, 2, 2, 1), "float32")
    reconstruction = np.full((2, 2, 2, 1), 0.5, "float32")
    assert float(reconstruction_error(images, reconstruction)) == pytest.approx(4 * 0.25)
    expected = 4 * -np.log(0.5)
    assert float(reconstruction_error(images, reconstruction, "binary_crossentropy")) == \
        pytest.approx(expected, rel=1e-5)


def test_fit_with_proximal_l1_zeroes_entries_of_w_every_30_steps():
    model = _trainer(alpha1=0.5)
    inputs, labels = _batch(n=30)
    history = model.fit(inputs, labels, batch_size=1, epochs=1, verbose=0, shuffle=False,
                        callbacks=[ProximalL1()])
    kernel = np.array(model.get_layer("logits").kernel)
    assert np.mean(kernel == 0.0) > 0.5  # threshold lr·α1·30 = 1.5 > every |w| here
    assert set(history.history) == {"loss", "cross_entropy", "accuracy", "reconstruction_loss"}


def test_checkpoint_restores_both_optimizers(tmp_path):
    model = _trainer(momentum=0.9)
    for seed in range(3):
        model.train_step(_batch(seed=seed))
    path = save_checkpoint(model, tmp_path, step=3)
    restored = _trainer(momentum=0.9, seed=1)
    assert restore_checkpoint(restored, path) == 3
    for got, expected in zip(restored.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)
    for optimizer in ("optimizer", "autoencoder_optimizer"):
        saved = [np.array(v) for v in getattr(model, optimizer).variables]
        loaded = [np.array(v) for v in getattr(restored, optimizer).variables]
        assert len(saved) == len(loaded) > 2
        for got, expected in zip(loaded, saved, strict=True):
            np.testing.assert_array_equal(got, expected)
    loaded = keras.saving.load_model(path, compile=False)
    assert isinstance(loaded, AlternatingTrainer)
    assert loaded.get_layer("features").output.shape == (None, 5)


def test_a_model_without_the_two_outputs_is_refused():
    inputs, outputs = build_invnet(num_classes=3, input_shape=(4, 4, 1), hidden_sizes=(8, 5))
    with pytest.raises(ValueError, match="outputs"):
        AlternatingTrainer(inputs, outputs["logits"])

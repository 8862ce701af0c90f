"""Checkpoint resolution, preprocessing choice and layer outputs of saved models."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from infodl.analysis.feature_source import (
    choose_preprocessing,
    layer_outputs,
    load_saved_model,
    preprocess_images,
    resolve_checkpoint,
)


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_run_folder_resolves_to_its_newest_checkpoint(tmp_path):
    _touch(tmp_path / "checkpoints" / "ckpt-00000010.keras")
    newest = _touch(tmp_path / "checkpoints" / "ckpt-00000200.keras")
    _touch(tmp_path / "model.keras")
    assert resolve_checkpoint(tmp_path) == (newest, tmp_path)


def test_run_folder_without_checkpoints_uses_model_keras(tmp_path):
    model = _touch(tmp_path / "model.keras")
    assert resolve_checkpoint(tmp_path) == (model, tmp_path)


def test_a_file_belongs_to_the_run_holding_config_json(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    inside = _touch(tmp_path / "checkpoints" / "ckpt-00000001.keras")
    assert resolve_checkpoint(inside) == (inside, tmp_path)
    bare = _touch(tmp_path / "elsewhere" / "net.keras")
    assert resolve_checkpoint(bare) == (bare, None)
    with pytest.raises(ValueError, match=".keras file or a run folder"):
        resolve_checkpoint(_touch(tmp_path / "weights.h5"))


@pytest.mark.parametrize("requested, config, name, expected", [
    ("none", {"model": "resnet32"}, "resnet32", "none"),
    ("auto", {"preprocessing": "none", "model": "resnet32"}, "x", "none"),
    ("auto", {"model": "resnet32"}, "functional", "per_image_standardization"),
    ("auto", {}, "wrn28_10", "per_image_standardization"),
    ("auto", {"regularizer": "info"}, "invnet", "unit_interval"),
    ("auto", {}, "mlp", "unit_interval"),
])
def test_preprocessing_choice(requested, config, name, expected):
    assert choose_preprocessing(requested, config, name) == expected


def test_preprocessing_values_and_reshape():
    images = np.random.default_rng(0).integers(0, 256, (3, 4, 4, 1)).astype(np.uint8)
    flat = preprocess_images(images, "unit_interval", (16,))
    np.testing.assert_allclose(flat, images.reshape(3, 16) / 255.0, rtol=1e-6)
    standardized = preprocess_images(images, "per_image_standardization")
    expected = tf.image.per_image_standardization(images.astype("float32")).numpy()
    np.testing.assert_allclose(standardized, expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="model input"):
        preprocess_images(images, "none", (15,))


def test_layer_outputs_of_a_flat_mlp_equal_numpy(tmp_path):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((16,), name="pixels")
    hidden = keras.layers.Dense(5, activation="relu", name="hidden_1")(inputs)
    logits = keras.layers.Dense(3, name="logits")(hidden)
    model = keras.Model(inputs, logits, name="mlp")
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = load_saved_model(path)
    images = np.random.default_rng(1).integers(0, 256, (7, 4, 4, 1)).astype(np.uint8)
    outputs = layer_outputs(loaded, images, ["hidden_1", "logits"], "unit_interval",
                            batch_size=3)
    kernel, bias = model.get_layer("hidden_1").get_weights()
    expected = np.maximum(images.reshape(7, 16) / 255.0 @ kernel + bias, 0.0)
    np.testing.assert_allclose(outputs["hidden_1"], expected, rtol=1e-5, atol=1e-6)
    assert outputs["logits"].shape == (7, 3)


def test_a_corrupt_model_file_is_one_clear_error(tmp_path):
    path = tmp_path / "broken.keras"
    path.write_text(json.dumps({"not": "a model"}))
    with pytest.raises(ValueError, match="Cannot load the model"):
        load_saved_model(path)

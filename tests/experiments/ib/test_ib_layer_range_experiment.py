"""`--train_layers` / `--init_model` of `--experiment=ib_layerwise` (issue 20.3): the net
starts from an earlier run's model.keras, the layers below the range stay as they were
there (bit for bit), and every misuse is one error line."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from infodl.experiments.ib import layerwise as ib_layerwise
from infodl.experiments.ib.layerwise_config import IBLayerwiseConfig
from infodl.models.ib_nets import build_ib_network

TINY = dict(dataset="digits", iterations_per_layer=2, log_every=2, checkpoint_every=2,
            posttrain_steps=10, critic_steps=2, critic_hidden_units=(8,), batch_size=32,
            critic_pretrain_steps=4, critic_eval_every=2, critic_patience=1, info_examples=50,
            verbose=0)


def _saved_net(folder, post_trained_logits=True, seed=7):
    """An earlier run's folder: seed_0/model.keras of the digits net (8x8 images)."""
    path = folder / "seed_0" / "model.keras"
    path.parent.mkdir(parents=True)
    build_ib_network("mlp_512_512", (8, 8, 1), 10, post_trained_logits=post_trained_logits,
                     seed=seed).save(path)
    return path


def _weights(model):
    return {layer.name: layer.get_weights() for layer in model.layers if layer.weights}


def test_load_init_weights_copies_every_weighted_layer(tmp_path):
    init_path = _saved_net(tmp_path / "earlier", seed=7)
    model = build_ib_network("mlp_512_512", (8, 8, 1), 10, post_trained_logits=True, seed=0)
    assert not np.array_equal(model.get_layer("hidden_1").get_weights()[0],
                              keras.saving.load_model(init_path).get_layer("hidden_1")
                              .get_weights()[0])
    ib_layerwise._load_init_weights(model, str(init_path))
    init = _weights(keras.saving.load_model(init_path))
    for name, weights in _weights(model).items():
        for want, got in zip(init[name], weights, strict=True):
            np.testing.assert_array_equal(got, want)


@pytest.mark.slow
def test_the_layers_below_the_range_are_the_init_models_bit_for_bit(tmp_path):
    init_path = _saved_net(tmp_path / "earlier")
    config = IBLayerwiseConfig(train_layers="features", init_model=str(tmp_path / "earlier"),
                               log_dir=str(tmp_path / "wide"), **TINY)
    results = ib_layerwise.run(config)
    run = results["runs"][0]
    assert run["layers"] == ["features"] and run["init_model"] == str(init_path)
    init, trained = (_weights(keras.saving.load_model(p)) for p in (init_path, run["model_path"]))
    for name in ("hidden_1", "hidden_2"):
        for want, got in zip(init[name], trained[name], strict=True):
            np.testing.assert_array_equal(got, want)
    for name in ("features", "logits"):
        assert not np.array_equal(init[name][0], trained[name][0]), name
    history = json.loads(open(run["history_path"]).read())
    assert list(history["layers"]) == ["features"]
    # a file instead of a folder is the same for every seed
    assert ib_layerwise._init_model_path(str(init_path), 5) == str(init_path)


@pytest.mark.parametrize("overrides, message", [
    (dict(train_layers="features"), "Expected init_model with train_layers='features' (the "
     "layers below features would stay at their random initial weights"),
    (dict(train_layers="hidden_1:hidden_2:features"), "Expected train_layers to be a layer "
     "name or a range first:last"),
    (dict(train_layers="hidden_2:"), "Received: train_layers='hidden_2:'"),
    (dict(method="cross_entropy", train_layers="hidden_1"), "Expected train_layers=None with "
     "method='cross_entropy'"),
    (dict(method="cross_entropy", init_model="x.keras"), "Expected init_model=None with "
     "method='cross_entropy'"),
])
def test_config_errors(overrides, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        IBLayerwiseConfig(**overrides).validate()


def test_a_range_from_the_first_layer_needs_no_init_model():
    assert IBLayerwiseConfig(train_layers="hidden_1:hidden_2").validate().init_model is None


def test_a_missing_init_model_fails_before_anything_is_written(tmp_path):
    (tmp_path / "earlier" / "seed_0").mkdir(parents=True)  # seed 0 only
    _saved_net(tmp_path / "other")
    config = IBLayerwiseConfig(train_layers="features", init_model=str(tmp_path / "earlier"),
                               num_seeds=2, log_dir=str(tmp_path / "run"), **TINY)
    with pytest.raises(FileNotFoundError, match=r"Expected init_model to be a model.keras or "
                       r"a run folder holding seed_0/model.keras"):
        ib_layerwise.run(config)
    assert not os.path.exists(tmp_path / "run")


@pytest.mark.parametrize("kind, message", [
    ("cross_entropy_model", "Expected init_model to be a mlp_512_512 network like this run's "
     "(hidden_1 64x512, hidden_2 512x512, features 512x10, logits 10x10). Received: "),
    ("unknown_layer", "Expected train_layers to be an IB layer of the network or a range "
     "first:last of them (hidden_1, hidden_2, features). Received: train_layers='hidden_3'"),
    ("not_a_model", "Expected init_model to be a saved Keras model. Received: "),
])
def test_run_errors_are_one_line_and_leave_no_folder(tmp_path, kind, message):
    train_layers, init = "features", tmp_path / "earlier"
    if kind == "cross_entropy_model":
        _saved_net(init, post_trained_logits=False)
    elif kind == "unknown_layer":
        _saved_net(init)
        train_layers = "hidden_3"
    else:
        (init / "seed_0").mkdir(parents=True)
        (init / "seed_0" / "model.keras").write_text("not a zip")
    config = IBLayerwiseConfig(train_layers=train_layers, init_model=str(init),
                               log_dir=str(tmp_path / "run"), **TINY)
    with pytest.raises(ValueError) as error:
        ib_layerwise.run(config)
    assert message in str(error.value) and "\n" not in str(error.value)
    assert not os.path.exists(tmp_path / "run")


def test_the_command_line_says_it_in_one_line():
    result = subprocess.run(
        [sys.executable, "run.py", "--experiment=ib_layerwise", "--train_layers=features"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and "Expected init_model with train_layers='features'" in lines[0]

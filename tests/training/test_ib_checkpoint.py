"""Tests of the IB checkpoints and of the block split of chain networks."""

import json
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from infodl.models.ib_nets import build_ib_network
from infodl.training.ib_blocks import split_blocks
from infodl.training.ib_checkpoint import IBCheckpoints


def test_save_restore_keep_and_progress(tmp_path):
    variable, generator = tf.Variable([1.0, 2.0]), tf.random.Generator.from_seed(3)
    checkpoints = IBCheckpoints(tmp_path / "ckpt", keep=2)
    assert checkpoints.latest() == (None, None)
    for iteration in (10, 20, 30):
        variable.assign([iteration, -iteration])
        checkpoints.save({"v": variable, "g": generator}, {"iteration": iteration},
                         stage=1, iteration=iteration)
    assert [i for _, i, _ in checkpoints.list()] == [20, 30]
    path, progress = checkpoints.latest()
    assert progress == {"iteration": 30} and path.name == "ckpt-001-00000030"
    state = generator.state.numpy().copy()
    generator.normal([4])
    variable.assign([0.0, 0.0])
    IBCheckpoints.restore(path, {"v": variable, "g": generator})
    np.testing.assert_array_equal(variable.numpy(), [30.0, -30.0])
    np.testing.assert_array_equal(generator.state.numpy(), state)
    # a later stage sorts after every iteration of an earlier one
    checkpoints.save({"v": variable}, {"stage": 2}, stage=2, iteration=0)
    assert checkpoints.latest()[1] == {"stage": 2}


def test_partial_folders_are_ignored_and_bad_checkpoints_raise(tmp_path):
    checkpoints = IBCheckpoints(tmp_path)
    (tmp_path / ".partial-ckpt-000-00000005").mkdir()
    (tmp_path / "ckpt-000-00000007").mkdir()        # no progress.json: incomplete
    assert checkpoints.latest() == (None, None)
    path = checkpoints.save({"v": tf.Variable(1.0)}, {"iteration": 1}, 0, 1)
    written = json.loads((path / "progress.json").read_text())
    assert written.pop("saved_at") == pytest.approx(time.time(), abs=300)  # when, for events
    assert written == {"iteration": 1} and checkpoints.latest() == (path, {"iteration": 1})
    with pytest.raises(ValueError, match="Cannot restore checkpoint"):
        IBCheckpoints.restore(path, {"other": tf.Variable([1.0, 2.0])})
    (path / "state.index").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="Cannot restore checkpoint"):
        IBCheckpoints.restore(path, {"v": tf.Variable(1.0)})


def test_split_blocks_of_the_p3_nets():
    stem, blocks, head = split_blocks(build_ib_network("convnet_16", (32, 32, 3),
                                                       post_trained_logits=True))
    assert [layer.name for layer in stem.layers] == ["input_scaling"]
    assert [[layer.name for layer in block.layers] for block in blocks] == [
        ["hidden_1", "pool_1"], ["hidden_2", "pool_2"], ["hidden_3", "pool_3", "flatten"],
        ["hidden_4"], ["hidden_5"], ["features"]]
    assert head.name == "logits" and blocks[2].output_layer_name == "flatten"
    x = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    hidden = stem(x)
    for block in blocks + [head]:
        hidden = block(hidden)
    model = build_ib_network("convnet_16", (32, 32, 3), post_trained_logits=True)
    stem, blocks, head = split_blocks(model)
    hidden = stem(x)
    for block in blocks + [head]:
        hidden = block(hidden)
    np.testing.assert_allclose(np.asarray(hidden), np.asarray(model(x)), rtol=1e-5)
    assert blocks[0].trainable_variables == model.get_layer("hidden_1").trainable_variables


def test_split_blocks_refuses_branching_and_single_layer_models():
    inputs = keras.Input((3,))
    left, right = keras.layers.Dense(2)(inputs), keras.layers.Dense(2)(inputs)
    branching = keras.Model(inputs, keras.layers.Add()([left, right]))
    with pytest.raises(ValueError, match="chain network"):
        split_blocks(branching)
    with pytest.raises(ValueError, match="at least two weighted layers"):
        split_blocks(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))


def test_a_truncated_checkpoint_is_one_line_naming_the_file_and_the_way_out(tmp_path):
    """Issue 30, case 13: a state file cut short (an IndexError deep in TensorFlow before)
    and a progress.json cut short (a bare JSON message before)."""
    checkpoints = IBCheckpoints(tmp_path)
    variables = {"v": tf.Variable(np.arange(1000, dtype="float32"))}
    path = checkpoints.save(variables, {"iteration": 5}, 0, 5)
    data, = path.glob("state.data-*")
    data.write_bytes(data.read_bytes()[:100])
    with pytest.raises(ValueError) as error:
        IBCheckpoints.restore(path, variables)
    message = str(error.value)
    assert "\n" not in message and f"Cannot restore checkpoint {path} (" in message
    assert "delete that folder" in message and "overwrite=True" in message
    progress = path / "progress.json"
    progress.write_text(progress.read_text()[:20])
    for call in (checkpoints.latest, lambda: IBCheckpoints.saved_at(path)):
        with pytest.raises(ValueError) as error:
            call()
        message = str(error.value)
        assert "\n" not in message and f"Corrupt checkpoint file {progress} (" in message
        assert f"delete the checkpoint folder {path}" in message and "overwrite=True" in message

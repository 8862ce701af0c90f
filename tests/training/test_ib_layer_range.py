"""Layer-wise IB training of a chosen layer range (`train_layers`, issue 20.3): the layers
outside it keep their weights bit for bit, the range trains as usual, resume still works."""

import json

import numpy as np
import pytest

from infodl.run_folder.summary_writer import SummaryWriter
from infodl.training.ib_layerwise_trainer import LayerwiseIBTrainer, layer_range
from tests.fixture_folders import shared_read_only
from tests.training.ib_problems import blobs, make_ib_trainer, tiny_model
from tests.training.resume_checks import assert_same_history, assert_same_weights

SMALL = dict(iterations_per_layer=4, critic_steps=2, critic_hidden_units=(8,), batch_size=16,
             critic_pretrain_steps=4, critic_eval_every=2, critic_patience=1, log_every=2,
             checkpoint_every=2, posttrain_steps=10, verbose=0)
NAMES = ["hidden_1", "hidden_2", "features"]


def _weights(model):
    return {layer.name: [np.array(w) for w in layer.get_weights()]
            for layer in model.layers if layer.weights}


def _fit(log_dir, train_layers, stop_at=None):
    model = tiny_model(seed=0, widths=(6, 4))
    before = _weights(model)
    trainer = make_ib_trainer(LayerwiseIBTrainer, model, 3, beta=0.1, log_dir=log_dir,
                              train_layers=train_layers, **SMALL)
    x, y = blobs(60)
    history = trainer.fit(x, y, x[:20], y[:20], stop_at=stop_at)
    SummaryWriter.close_log_dir(log_dir)
    return model, before, history, trainer


@pytest.fixture(scope="module")
def upper_two(tmp_path_factory, request):
    """An uninterrupted run of hidden_2:features (shared by two tests)."""
    folder = tmp_path_factory.mktemp("upper_two")
    fitted = _fit(str(folder / "full"), "hidden_2:features")
    shared_read_only(request, folder)
    return fitted


@pytest.mark.parametrize("train_layers, trained", [
    ("hidden_2:features", ["hidden_2", "features"]), ("hidden_1", ["hidden_1"]),
])
def test_only_the_range_and_the_logits_change(tmp_path, upper_two, train_layers, trained):
    model, before, history, trainer = (upper_two if train_layers == "hidden_2:features"
                                       else _fit(str(tmp_path / "run"), train_layers))
    after = _weights(model)
    assert trainer.trained_layer_names == trained
    assert list(history["layers"]) == trained and "posttrain" in history
    for name in NAMES:
        same = all(np.array_equal(a, b) for a, b in zip(before[name], after[name], strict=True))
        assert same == (name not in trained), name  # bit for bit outside the range
    assert not np.array_equal(before["logits"][0], after["logits"][0])  # post-trained


@pytest.mark.slow
def test_resume_inside_the_range_gives_the_uninterrupted_weights(tmp_path, upper_two):
    reference, _, full, _ = upper_two
    _, _, partial, _ = _fit(str(tmp_path / "cut"), "hidden_2:features", stop_at=(2, 2))
    assert partial["stopped"] and list(partial["layers"]) == ["hidden_2", "features"]
    newest = max((tmp_path / "cut" / "checkpoints").iterdir())
    assert newest.name == "ckpt-002-00000002"
    assert json.loads((newest / "progress.json").read_text())["layer"] == 2
    resumed, _, history, _ = _fit(str(tmp_path / "cut"), "hidden_2:features")
    assert not history["stopped"]
    assert_same_weights(reference, resumed)
    for name in ("hidden_2", "features"):
        assert_same_history(full["layers"][name]["trajectory"],
                            history["layers"][name]["trajectory"], name)


@pytest.mark.parametrize("train_layers, message", [
    ("logits", "Expected train_layers to be an IB layer of the network or a range"),
    ("hidden_3", "(hidden_1, hidden_2, features). Received: train_layers='hidden_3'"),
    ("hidden_1:hidden_2:features", "Received: train_layers='hidden_1:hidden_2:features'"),
    ("features:hidden_2", "Expected train_layers first:last with features not after hidden_2"),
])
def test_bad_ranges_are_one_line_errors(train_layers, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        layer_range(NAMES, train_layers)


def test_layer_range_values():
    assert layer_range(NAMES, None) == (0, 2)
    assert layer_range(NAMES, "hidden_2") == (1, 1)
    assert layer_range(NAMES, "hidden_1:features") == (0, 2)

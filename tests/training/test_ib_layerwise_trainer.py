"""Tests of layer-wise IB training: resume mid-layer, history, TensorBoard, an easy task."""

import json

import numpy as np
import pytest
import tensorflow as tf

from infodl.run_folder.summary_writer import SummaryWriter
from infodl.training.ib_layerwise_trainer import LayerwiseIBTrainer
from tests.training.ib_problems import blobs, make_ib_trainer, tiny_model
from tests.training.resume_checks import assert_same_history, assert_same_weights

SMALL = dict(iterations_per_layer=6, critic_steps=2, critic_hidden_units=(8,), batch_size=16,
             critic_pretrain_steps=4, critic_eval_every=2, critic_patience=1, log_every=2,
             checkpoint_every=2, posttrain_steps=20, verbose=0)


def _fit(log_dir, stop_at=None, **settings):
    model = tiny_model(seed=0)
    trainer = make_ib_trainer(LayerwiseIBTrainer, model, 3, beta=0.1, log_dir=log_dir,
                              **dict(SMALL, **settings))
    x, y = blobs(60)
    history = trainer.fit(x, y, x[:20], y[:20], stop_at=stop_at)
    SummaryWriter.close_log_dir(log_dir)
    return model, history


def test_resume_mid_layer_gives_the_weights_of_an_uninterrupted_run(tmp_path):
    reference, full = _fit(str(tmp_path / "full"))
    _, partial = _fit(str(tmp_path / "cut"), stop_at=(1, 3))   # layer 2, iteration 3
    assert partial["stopped"] and "posttrain" not in partial
    names = sorted(p.name for p in (tmp_path / "cut" / "checkpoints").iterdir())
    assert names[-1] == "ckpt-001-00000003"
    resumed, history = _fit(str(tmp_path / "cut"))
    assert not history["stopped"]
    assert_same_weights(reference, resumed)
    for name, record in full["layers"].items():  # (loss rows follow the cut chunks)
        for key in ("trajectory", "pretraining", "error_bars"):
            assert_same_history(record[key], history["layers"][name][key], f"{name}/{key}")
    assert_same_history(full["posttrain"], history["posttrain"], "posttrain")


def test_history_checkpoints_and_tensorboard(tmp_path):
    log_dir = tmp_path / "run"
    model, history = _fit(str(log_dir))
    assert list(history["layers"]) == ["hidden_1", "features"]
    for record in history["layers"].values():
        assert [p[0] for p in record["trajectory"]] == [0, 2, 4, 6]
        assert [row[0] for row in record["losses"]] == [2, 4, 6] and record["beta"] == 0.1
        assert record["pretraining"]["steps"] >= 4
    progress = json.loads(max((log_dir / "checkpoints").iterdir()).joinpath(
        "progress.json").read_text())
    assert progress["layer"] == 2 and progress["phase"] == "pretrain"
    tags = set()
    for path in log_dir.glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            tags |= {value.tag for value in event.summary.value}
    assert {"info_plane/hidden_1/I_X_L_noise_bits", "info_plane/features/I_Y_L_bits",
            "ib/hidden_1/loss_nats", "ib_pretraining/features/heldout_I_Y_L_bits",
            "posttrain/train_accuracy"} <= tags
    # a finished run resumes to the post-training only, with the same result
    _, again = _fit(str(log_dir))
    assert again["layers"] == history["layers"]


def test_blobs_are_learned_and_frozen_layers_stay_put(tmp_path):
    model = tiny_model(seed=1)
    first = [w.copy() for w in model.get_layer("hidden_1").get_weights()]
    trainer = make_ib_trainer(LayerwiseIBTrainer, model, 3, beta=1e-3,
                              iterations_per_layer=40, critic_steps=3,
                                 critic_hidden_units=(16,), batch_size=32,
                                 critic_pretrain_steps=20, critic_eval_every=10,
                                 posttrain_steps=300, verbose=0)
    x, y = blobs(150, seed=2)
    x_test, y_test = blobs(150, seed=2)[0][::-1], blobs(150, seed=2)[1][::-1]
    history = trainer.fit(x, y, x_test[:50], y_test[:50])
    assert not np.array_equal(first[0], model.get_layer("hidden_1").get_weights()[0])
    predicted = np.argmax(np.asarray(model(x)), axis=-1)
    assert np.mean(predicted == y) > 0.9
    trajectory = history["layers"]["hidden_1"]["trajectory"]
    assert trajectory[-1][2] > trajectory[0][2]  # I(Y; L_1) rose


def test_conv_layers_take_conv_beta():
    from infodl.models.ib_nets import build_ib_network
    trainer = make_ib_trainer(LayerwiseIBTrainer, build_ib_network("convnet_16", (8, 8, 3),
                                                  post_trained_logits=True),
                                 10, beta=1e-3, conv_beta=0.0)
    assert [trainer.layer_beta(b) for b in trainer.blocks] == [0.0] * 3 + [1e-3] * 3
    with pytest.raises(ValueError, match="iterations_per_layer >= 1"):
        make_ib_trainer(LayerwiseIBTrainer, tiny_model(), 3, iterations_per_layer=0)


def test_gradient_ratio_and_pretraining_outcome_reach_history_and_tensorboard(tmp_path):
    log_dir = tmp_path / "run"
    _, history = _fit(str(log_dir), critic_pretrain_steps=2, estimate_restarts=1,
                      estimate_steps=20)
    values = {}
    for path in log_dir.glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                values[(value.tag, event.step)] = float(tf.make_ndarray(value.tensor))
    for name, record in history["layers"].items():
        rows = record["gradient_norms"]
        assert [row[0] for row in rows] == [0, 2, 4, 6]
        for iteration, ce, label, inputs in rows:
            assert ce == 0 and label > 0 and inputs > 0  # layer-wise: no cross-entropy
            assert values[(f"gradient_ratio/{name}/input_over_label", iteration)] == \
                pytest.approx(inputs / label, rel=1e-5)
        # 2 steps with a minimum of 2 evaluations: the cap ends pretraining, and it says so
        check = record["pretraining"]["check"]
        assert check["stopped_by"] == "cap" and check["steps"] == 2
        assert values[(f"ib_pretraining/{name}/stopped_by_cap", 0)] == 1.0
        assert [0, check["critic_I_X_L_noise_bits"], check["critic_I_Y_L_bits"]] == \
            record["trajectory"][0]
        fit = record["error_bars"][0]
        assert fit["iteration"] == 0
        assert (check["fit_I_X_L_noise_bits"], check["fit_I_Y_L_bits"]) == \
            (fit["I_X_bits"], fit["I_Y_bits"])

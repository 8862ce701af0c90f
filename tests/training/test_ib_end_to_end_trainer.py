"""Tests of end-to-end IB training: resume, the cross-entropy baseline without critics."""

import pytest

from infodl.run_folder.summary_writer import SummaryWriter
from infodl.training.ib_end_to_end_trainer import EndToEndIBTrainer
from tests.training.ib_problems import blobs, make_ib_trainer, tiny_model
from tests.training.resume_checks import assert_same_history, assert_same_weights

SMALL = dict(train_steps=8, critic_steps=2, critic_hidden_units=(8,), batch_size=16,
             critic_pretrain_steps=4, critic_eval_every=2, critic_patience=1, log_every=2,
             checkpoint_every=2, verbose=0)


def _fit(log_dir, stop_at=None, **settings):
    model = tiny_model(seed=0)
    trainer = make_ib_trainer(EndToEndIBTrainer, model, 3, log_dir=log_dir,
                              **dict(SMALL, **settings))
    x, y = blobs(60)
    history = trainer.fit(x, y, x[:20], y[:20], stop_at=stop_at)
    if log_dir is not None:
        SummaryWriter.close_log_dir(log_dir)
    return model, trainer, history


def test_resume_gives_the_weights_of_an_uninterrupted_run(tmp_path):
    reference, _, full = _fit(str(tmp_path / "full"))
    _, _, partial = _fit(str(tmp_path / "cut"), stop_at=(0, 5))
    assert partial["stopped"]
    resumed, _, history = _fit(str(tmp_path / "cut"))
    assert_same_weights(reference, resumed)
    record, expected = history["layers"]["logits"], full["layers"]["logits"]
    assert_same_history(expected["trajectory"], record["trajectory"], "trajectory")
    assert [row[0] for row in expected["trajectory"]] == [0, 2, 4, 6, 8]
    assert_same_history(expected["accuracy"], record["accuracy"], "accuracy")


def test_cross_entropy_baseline_builds_no_critics_and_learns(tmp_path):
    model, trainer, history = _fit(None, beta=0.0, gamma=0.0, train_steps=300,
                                   log_every=100, learning_rate=1e-2)
    assert not trainer.uses_critics
    record = history["layers"]["logits"]
    assert record["pretraining"] is None and record["trajectory"] == []
    assert record["accuracy"][-1][1] > 0.9
    assert record["losses"][-1][2] < record["losses"][0][2]  # cross-entropy fell


def test_all_weights_zero_is_refused():
    with pytest.raises(ValueError, match="alpha, beta or gamma > 0"):
        make_ib_trainer(EndToEndIBTrainer, tiny_model(), 3, alpha=0.0, beta=0.0, gamma=0.0)

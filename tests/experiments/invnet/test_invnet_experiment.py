"""The InvNet experiment end to end on the 8×8 digits: train, log, analyse, resume, diverge."""

import json

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from infodl.experiments.invnet.config import InvNetConfig
from infodl.experiments.invnet.experiment import run, summary
from infodl.run_folder.checkpoints import list_checkpoints
from infodl.training.errors import TrainingDivergedError
from tests.fixture_folders import shared_read_only


def _config(log_dir, **overrides):
    settings = dict(dataset="digits", epochs=2, batch_size=64, summary_every=5,
                    classifier_stats_every=10, probe_size=50, tsne_examples=60,
                    log_dir=str(log_dir), verbose=0)
    settings.update(overrides)
    return InvNetConfig(**settings)


def _tags(log_dir):
    accumulator = EventAccumulator(str(log_dir), size_guidance={"tensors": 0})
    accumulator.Reload()
    return {tag: [(e.step, float(tf.make_ndarray(e.tensor_proto).ravel()[0]))
                  for e in accumulator.Tensors(tag)]
            for tag in accumulator.Tags()["tensors"]}


@pytest.fixture(scope="module")
def trained(tmp_path_factory, request):
    log_dir = tmp_path_factory.mktemp("invnet")
    first = run(_config(log_dir, analyze=False))
    second = run(_config(log_dir, epochs=3))  # same config, more epochs: resumes
    return shared_read_only(request, log_dir), first, second


def test_trains_checkpoints_and_resumes(trained):
    log_dir, first, second = trained
    steps_per_epoch = -(-1438 // 64)  # digits: 1438 training images (80 %)
    assert first["step"] == 2 * steps_per_epoch and first["resumed_from"] == 0
    assert second["step"] == 3 * steps_per_epoch
    assert second["resumed_from"] == 2 * steps_per_epoch
    assert [s for s, _ in list_checkpoints(log_dir / "checkpoints")][-1] == second["step"]
    results = json.loads((log_dir / "results.json").read_text())
    assert results["test_accuracy"] == pytest.approx(second["test_accuracy"])
    assert 0.3 < results["test_accuracy"] <= 1.0 and results["preprocessing"] == "unit_interval"
    assert 0.0 <= results["weight_zero_fraction"] <= 1.0


def test_tensorboard_has_training_reconstruction_and_classifier_tags(trained):
    log_dir, _, second = trained
    tags = _tags(log_dir)
    for tag in ("loss/total", "loss/cross_entropy", "loss/reconstruction", "train/accuracy",
                "train/learning_rate", "test/accuracy", "test/reconstruction_loss",
                "classifier/weight_zero_fraction", "classifier/feature_norm_mean",
                "classifier/weight_column_norm_mean"):
        assert tag in tags, tag
    assert tags["train/learning_rate"][0][1] == pytest.approx(0.1)
    assert tags["test/accuracy"][-1][1] == pytest.approx(second["test_accuracy"], abs=1e-6)


def test_analysis_of_the_final_model_is_written(trained):
    log_dir, _, second = trained
    analysis = log_dir / "analysis"
    report = json.loads((analysis / "analysis.json").read_text())
    assert report["micro_auc"] == pytest.approx(second["micro_auc"])
    assert report["test_accuracy"] == pytest.approx(second["test_accuracy"], abs=1e-6)
    assert report["weight_zero_fraction"] == pytest.approx(second["weight_zero_fraction"])
    assert report["title"].startswith("RegInvNet")
    for name in ("class_9_statistics", "class_statistics_all", "representative_entry_roc",
                 "feature_histogram_class_9", "classifier_weights", "tsne_features",
                 "pca_accuracy"):
        assert (analysis / f"{name}.png").stat().st_size > 1000, name
    assert "micro-average AUC" in (analysis / "analysis.md").read_text()
    assert any(line.startswith("step=") for line in summary(second))


def test_learning_rate_schedule_is_0_7_every_10_epochs():
    from infodl.experiments.invnet.experiment import build_compiled_model

    config = _config("unused", lr_decay_epochs=2).validate()
    model = build_compiled_model(config, 10, (8, 8, 1), steps_per_epoch=5)
    rates = []
    for step in (0, 9, 10, 19, 20):
        model.optimizer.iterations.assign(step)
        rates.append(float(model.optimizer.learning_rate))
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.07, 0.07, 0.049], rtol=1e-6)


def test_divergence_is_one_clear_error(tmp_path):
    with pytest.raises(TrainingDivergedError, match="NaN/inf at step"):
        run(_config(tmp_path, learning_rate=1e6, epochs=1, analyze=False,
                    measurements=False))

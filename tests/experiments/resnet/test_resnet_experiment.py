"""The ResNet experiment end to end on synthetic data: train, checkpoint, resume, eval, NaN."""

import json
import shutil

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from infodl.experiments.resnet.config import ResNetConfig
from infodl.experiments.resnet.experiment import run
from infodl.models.architectures import ARCHITECTURES, Architecture
from infodl.run_folder.checkpoints import list_checkpoints
from infodl.training.errors import TrainingDivergedError
from tests.fixture_folders import shared_read_only


@pytest.fixture(scope="module", autouse=True)
def one_unit_resnet():
    """These tests check the run folder (checkpoints, resume, events, eval, overwrite,
    NaN), not the network: a ResNet of one unit per stage (4-8 channels) stands in for
    resnet20 and halves the time of each run (the 3-unit resnet20 is built in
    tests/models/test_resnet.py and trained by the ci_slow tests)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(ARCHITECTURES, "resnet20", Architecture(1, (4, 4, 8, 8)))
        yield


def _config(log_dir, **overrides):
    settings = dict(model="resnet20", dataset="synthetic", synthetic_sizes=(128, 32),
                    alpha1=1e-4, alpha2=0.03, batch_size=16, train_steps=4, eval_every=2,
                    summary_every=1, measurements=False, log_dir=str(log_dir), verbose=0)
    settings.update(overrides)
    return ResNetConfig(**settings)


def _scalars(log_dir):
    accumulator = EventAccumulator(str(log_dir), size_guidance={"tensors": 0})
    accumulator.Reload()
    return {tag: [(e.step, float(tf.make_ndarray(e.tensor_proto)))
                  for e in accumulator.Tensors(tag)]
            for tag in accumulator.Tags()["tensors"]}


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, request):
    log_dir = tmp_path_factory.mktemp("run")
    first = run(_config(log_dir))
    second = run(_config(log_dir, train_steps=6))  # same config, more steps: resumes
    return shared_read_only(request, log_dir), first, second


def test_trains_checkpoints_and_resumes(trained_run):
    log_dir, first, second = trained_run
    assert first["step"] == 4 and first["resumed_from"] == 0
    assert second["step"] == 6 and second["resumed_from"] == 4
    steps = [step for step, _ in list_checkpoints(log_dir / "checkpoints")]
    assert steps == [4, 6] or steps == [2, 4, 6]
    saved = json.loads((log_dir / "config.json").read_text())
    assert saved["alpha2"] == 0.03 and saved["train_steps"] == 6
    results = json.loads((log_dir / "results.json").read_text())
    assert results["test_accuracy"] == pytest.approx(second["test_accuracy"])
    assert 0.0 <= results["best_test_accuracy"] <= 1.0


def test_tensorboard_has_the_training_tags(trained_run):
    log_dir, _, _ = trained_run
    scalars = _scalars(log_dir)
    for tag in ("loss/total", "loss/cross_entropy", "regularizer/alpha1_term",
                "regularizer/alpha2_term", "train/learning_rate", "train/accuracy",
                "test/accuracy", "test/best_accuracy"):
        assert tag in scalars, tag
    assert [s for s, _ in scalars["train/learning_rate"]] == [1, 2, 3, 4, 5, 6]
    assert scalars["train/learning_rate"][0][1] == pytest.approx(0.1)
    best = scalars["test/best_accuracy"]
    accuracies = [a for _, a in scalars["test/accuracy"]]
    assert best[-1][1] == pytest.approx(max(accuracies))
    # total = cross-entropy + regularizer + weight decay > cross-entropy
    assert all(t > c for (_, t), (_, c) in zip(scalars["loss/total"],
                                               scalars["loss/cross_entropy"], strict=True))


def test_the_same_folder_spelled_differently_resumes(trained_run, monkeypatch, tmp_path):
    """runs/smoke, runs/smoke/ and its absolute path are one run, not another config."""
    _, _, second = trained_run
    log_dir = tmp_path / "run"  # a copy: resuming rewrites results.json and config.json
    shutil.copytree(trained_run[0], log_dir)
    monkeypatch.chdir(log_dir.parent)
    for spelling in (f"{log_dir}/", log_dir.name, f"./{log_dir.name}/"):
        results = run(_config(spelling, train_steps=6))
        assert results["resumed_from"] == 6 and results["step"] == 6
        assert results["test_accuracy"] == pytest.approx(second["test_accuracy"], abs=1e-6)


def test_original_protocol_windows():
    """resnet_main.py: 50 batches of 100 test images per evaluation, in turn."""
    from infodl.data.dataset import Dataset
    from infodl.experiments.resnet.experiment import evaluation_sets

    images = np.zeros((10000, 4, 4, 3), np.uint8)
    images[:, 0, 0, 0] = np.arange(10000) % 256
    labels = np.arange(10000) % 10
    dataset = Dataset("synthetic", "synthetic", images[:20], labels[:20], images, labels, 10)
    sets = evaluation_sets(_config("unused", eval_protocol="original"), dataset)
    assert [count for _, count in sets] == [5000, 5000]
    for index, (pipeline, _) in enumerate(sets):
        batches = list(pipeline)
        assert len(batches) == 50 and all(len(y) == 100 for _, y in batches)
        seen = np.concatenate([y.numpy() for _, y in batches])
        np.testing.assert_array_equal(seen, labels[index * 5000:(index + 1) * 5000])
    full = evaluation_sets(_config("unused"), dataset)
    assert [count for _, count in full] == [10000]


@pytest.mark.slow
def test_original_protocol_evaluates_5000_images_each_time(tmp_path):
    """resnet_main.py: 50 batches x 100 test images per evaluation, best over evaluations."""
    results = run(_config(tmp_path, train_steps=3, eval_every=1, eval_protocol="original",
                          synthetic_sizes=(64, 10000)))
    scalars = _scalars(tmp_path)
    assert [v for _, v in scalars["test_original/num_examples"]] == [5000, 5000, 5000]
    accuracies = [v for _, v in scalars["test_original/accuracy"]]
    assert results["eval_protocol"] == "original" and results["evaluations"] == 3
    assert results["final_test_accuracy"] == pytest.approx(accuracies[-1])
    assert results["best_test_accuracy"] == pytest.approx(max(accuracies))
    assert results["num_test_examples"] == 10000  # the final full-set score, reported too
    assert "test/accuracy" not in scalars


def test_eval_mode_scores_every_test_image(trained_run, tmp_path):
    _, _, second = trained_run
    log_dir = tmp_path / "run"  # a copy: the evaluation writes eval_results.json
    shutil.copytree(trained_run[0], log_dir)
    results = run(_config(log_dir, mode="eval"))
    assert results["num_examples"] == 32 and results["step"] == 6
    assert results["accuracy"] == pytest.approx(second["test_accuracy"], abs=1e-6)


def test_different_config_is_refused_and_overwrite_restarts(trained_run, tmp_path):
    log_dir, _, _ = trained_run
    with pytest.raises(FileExistsError, match=r"alpha2 0.03 -> 0.05\); choose a new log_dir"):
        run(_config(log_dir, alpha2=0.05))
    fresh = tmp_path / "fresh"
    run(_config(fresh, train_steps=2))
    results = run(_config(fresh, train_steps=2, alpha2=0.05, overwrite=True))
    assert results["resumed_from"] == 0
    assert json.loads((fresh / "config.json").read_text())["alpha2"] == 0.05


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    config = _config(tmp_path, train_steps=8, lr_boundaries=(2,), lr_values=(0.01, 1e30))
    with pytest.raises(TrainingDivergedError, match=r"NaN/inf at step \d+; last good checkpoint"):
        run(config)
    checkpoints = list_checkpoints(tmp_path / "checkpoints")
    assert checkpoints and checkpoints[-1][0] == 2
    import keras
    restored = keras.models.load_model(checkpoints[-1][1])
    assert all(np.isfinite(w.numpy()).all() for w in restored.weights)

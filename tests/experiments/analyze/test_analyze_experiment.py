"""The feature analysis of a short synthetic ResNet run's checkpoint, end to end."""

import json
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from infodl.analysis.feature_source import resolve_checkpoint
from infodl.analysis.feature_statistics import weight_statistics
from infodl.experiments.analyze.config import AnalyzeConfig
from infodl.experiments.analyze.experiment import run, summary
from infodl.experiments.resnet.config import ResNetConfig
from infodl.experiments.resnet.experiment import run as run_resnet
from infodl.models.regularized_logits import RegularizedLogits
from tests.fixture_folders import shared_read_only


def _analysis(checkpoint, **overrides):
    settings = dict(checkpoint=str(checkpoint), tsne_examples=100, pca_train_examples=300,
                    pca_components=(2, 8), class_figures=(0,), verbose=0)
    settings.update(overrides)
    return AnalyzeConfig(**settings)


@pytest.fixture(scope="module")
def resnet_run(tmp_path_factory, request):
    log_dir = tmp_path_factory.mktemp("resnet")
    results = run_resnet(ResNetConfig(model="resnet20", dataset="synthetic", train_steps=2,
                                      eval_every=2, batch_size=32, alpha2=0.03,
                                      synthetic_sizes=(320, 128),
                                      log_dir=str(log_dir), measurements=False, verbose=0))
    report = run(_analysis(log_dir))
    return shared_read_only(request, log_dir), results, report


def test_defaults_come_from_the_run_folder(resnet_run):
    log_dir, _, report = resnet_run
    assert report["analysis_dir"] == str(log_dir / "analysis")
    assert report["checkpoint"] == str(resolve_checkpoint(log_dir)[0])
    assert report["dataset"] == "synthetic" and report["step"] == 2
    assert report["preprocessing"] == "per_image_standardization"
    assert report["title"] == "resnet20 (info regularizer, α1=0, α2=0.03)"


def test_numbers_agree_with_the_run_and_the_checkpoint(resnet_run):
    log_dir, results, report = resnet_run
    # the same preprocessing as training: the logits' accuracy is the run's own
    assert report["test_accuracy"] == pytest.approx(results["test_accuracy"], abs=1e-6)
    model = keras.saving.load_model(resolve_checkpoint(log_dir)[0], compile=False)
    kernel = np.asarray(model.get_layer("logits").kernel)
    expected = weight_statistics(kernel)
    assert report["feature_dim"] == 64 and report["test_examples"] == 128
    assert report["weight_zero_fraction"] == pytest.approx(expected["zero_fraction"])
    assert report["weight_column_norms"] == pytest.approx(expected["column_norms"].tolist())
    assert len(report["representative_entries"]) == 10
    assert 0.0 <= report["micro_auc"] <= 1.0 and report["separation_ratio"] > 0
    assert [row["components"] for row in report["pca"]] == [2, 8]
    assert isinstance(model.get_layer("logits"), RegularizedLogits)


def test_files_and_tensorboard_images_are_written(resnet_run):
    log_dir, _, report = resnet_run
    folder = log_dir / "analysis"
    saved = json.loads((folder / "analysis.json").read_text())
    assert saved["micro_auc"] == pytest.approx(report["micro_auc"])
    for name in report["figures"]:
        assert (folder / f"{name}.png").stat().st_size > 1000
    assert set(report["figures"]) == {
        "class_0_statistics", "class_statistics_all", "representative_entry_roc",
        "feature_histogram_class_9", "classifier_weights", "tsne_features", "pca_accuracy"}
    accumulator = EventAccumulator(str(folder), size_guidance={"tensors": 0})
    accumulator.Reload()
    tags = accumulator.Tags()["tensors"]
    assert "analysis/representative_entry_roc" in tags and "analysis/micro_auc" in tags
    assert "| micro-average AUC" in (folder / "analysis.md").read_text()
    assert "analysis.json" in summary({**report, "checkpoint": "x"})[1]


def test_other_settings_need_overwrite(resnet_run, tmp_path):
    # a copy: the other tests read the module fixture's analysis.json, which this rewrites
    log_dir = tmp_path / "resnet"
    shutil.copytree(resnet_run[0], log_dir)
    with pytest.raises(ValueError, match="Expected a layer named 'unit_9'"):
        run(_analysis(log_dir, feature_layer="unit_9", overwrite=True))
    assert (log_dir / "analysis" / "analysis.json").exists()  # checked before deleting
    with pytest.raises(FileExistsError, match="different config"):
        run(_analysis(log_dir, tsne_examples=0, pca_train_examples=0))
    report = run(_analysis(log_dir, tsne_examples=0, pca_train_examples=0, overwrite=True,
                           feature_layer="unit_3_2", logits_layer="", figures=False))
    assert report["feature_dim"] == 8 * 8 * 64 and "weight_zero_fraction" not in report
    assert report["figures"] == {} and report["logits_layer"] is None
    assert "tsne_separation_ratio" not in report and report["pca"] == []


def test_bare_model_file_needs_a_dataset(resnet_run, tmp_path):
    log_dir, _, _ = resnet_run
    bare = tmp_path / "model.keras"
    bare.write_bytes(resolve_checkpoint(log_dir)[0].read_bytes())
    with pytest.raises(ValueError, match="Expected a dataset"):
        run(_analysis(bare))
    report = run(_analysis(bare, dataset="synthetic", test_examples=64, tsne_examples=0,
                           pca_train_examples=0, figures=False))
    assert report["analysis_dir"] == str(tmp_path / "model_analysis")
    assert report["preprocessing"] == "per_image_standardization"  # from the model name


def test_missing_checkpoint_is_one_line(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model in"):
        run(_analysis(tmp_path))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        run(_analysis(tmp_path / "missing.keras"))


def test_cli_without_checkpoint_fails_before_tensorflow():
    completed = subprocess.run([sys.executable, "run.py", "--experiment=analyze"],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines()[-1].startswith(
        "Error: Expected checkpoint (a .keras file or a run folder to analyse)")


def test_an_ib_style_run_folder_with_a_flat_mlp(tmp_path):
    """model.keras with hidden_1, features, logits on flattened x/255 (the IB nets' layout)."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((64,))
    hidden = keras.layers.Dense(16, activation="relu", name="hidden_1")(inputs)
    features = keras.layers.Dense(8, activation="relu", name="features")(hidden)
    logits = keras.layers.Dense(10, name="logits")(features)
    model = keras.Model(inputs, logits, name="ib_mlp")
    model.save(tmp_path / "model.keras")
    (tmp_path / "config.json").write_text(json.dumps({"dataset": "digits"}))
    report = run(_analysis(tmp_path, tsne_layers=("hidden_1", "features"), tsne_examples=60,
                           pca_train_examples=200, figures=False))
    assert report["preprocessing"] == "unit_interval" and report["feature_dim"] == 8
    assert set(report["separation"]) == {"features", "hidden_1"}
    assert all(set(v) == {"feature_space", "tsne"} for v in report["separation"].values())
    from infodl.data import load_dataset

    digits = load_dataset("digits")
    predicted = np.argmax(model.predict(digits.x_test.reshape(-1, 64) / 255.0, verbose=0), 1)
    assert report["test_accuracy"] == pytest.approx(np.mean(predicted == digits.y_test))

"""The log-folder guard: new, resume the same config, refuse another unless overwrite."""

import json

import pytest

from infodl.run_folder.atomic import write_json_atomic
from infodl.run_folder.run_directory import prepare_log_dir


def test_new_then_resume_with_a_resumable_change(tmp_path):
    log_dir = tmp_path / "run"
    assert prepare_log_dir(log_dir, {"model": "resnet32", "train_steps": 50}) == "new"
    assert json.loads((log_dir / "config.json").read_text())["train_steps"] == 50
    assert prepare_log_dir(log_dir, {"model": "resnet32", "train_steps": 80},
                           resumable_keys=("train_steps",)) == "resume"
    assert json.loads((log_dir / "config.json").read_text())["train_steps"] == 80


def test_other_config_is_refused_and_nothing_is_touched(tmp_path):
    log_dir = tmp_path / "run"
    prepare_log_dir(log_dir, {"model": "resnet32", "alpha2": 0.03})
    (log_dir / "events.out").write_text("precious")
    with pytest.raises(FileExistsError, match=r"alpha2 0.03 -> 0.05\); choose a new log_dir"):
        prepare_log_dir(log_dir, {"model": "resnet32", "alpha2": 0.05})
    assert (log_dir / "events.out").read_text() == "precious"
    assert json.loads((log_dir / "config.json").read_text())["alpha2"] == 0.03


def test_a_setting_added_after_the_run_started_counts_as_its_default(tmp_path):
    log_dir = tmp_path / "run"
    prepare_log_dir(log_dir, {"estimator": "mine"})  # written before mine_standardize existed
    defaults = {"estimator": "binning", "mine_standardize": "whiten"}
    assert prepare_log_dir(log_dir, {"estimator": "mine", "mine_standardize": "whiten"},
                           defaults=defaults) == "resume"
    with pytest.raises(FileExistsError, match=r"mine_standardize 'whiten' -> 'gaussianize'"):
        prepare_log_dir(log_dir, {"estimator": "mine", "mine_standardize": "gaussianize"},
                        defaults=defaults)
    with pytest.raises(FileExistsError, match=r"estimator 'mine' -> 'binning'"):
        prepare_log_dir(log_dir, {"estimator": "binning", "mine_standardize": "whiten"},
                        defaults=defaults)  # a stored value is never replaced by a default


def test_experiment_config_defaults_are_its_field_defaults():
    from infodl.experiments.info_plane.config import InfoPlaneConfig

    defaults = InfoPlaneConfig.defaults()
    assert defaults["mine_standardize"] == "whiten" and defaults["estimator"] == "binning"
    built = InfoPlaneConfig().to_dict()  # log_dir is filled in from the activation
    assert defaults.pop("log_dir") is None and built.pop("log_dir") == "runs/info_plane_tanh"
    assert defaults == built


def test_overwrite_empties_the_folder(tmp_path):
    log_dir = tmp_path / "run"
    prepare_log_dir(log_dir, {"alpha2": 0.03})
    (log_dir / "events.out").write_text("old")
    assert prepare_log_dir(log_dir, {"alpha2": 0.05}, overwrite=True) == "new"
    assert not (log_dir / "events.out").exists()


@pytest.mark.parametrize("setup, message", [
    (lambda d: (d / "notes.txt").write_text("x"), "holds no config.json"),
    (lambda d: (d / "config.json").write_text("{truncated"), "is corrupt"),
])
def test_foreign_or_corrupt_folder_is_refused(tmp_path, setup, message):
    log_dir = tmp_path / "run"
    log_dir.mkdir()
    setup(log_dir)
    with pytest.raises(FileExistsError, match=message):
        prepare_log_dir(log_dir, {"alpha2": 0.03})


def test_a_file_in_place_of_the_folder_is_refused(tmp_path):
    (tmp_path / "run").write_text("x")
    with pytest.raises(FileExistsError, match="is not a folder"):
        prepare_log_dir(tmp_path / "run", {})


def test_write_json_atomic_leaves_no_partial_file(tmp_path):
    write_json_atomic(tmp_path / "results.json", {"accuracy": 0.9, "steps": (1, 2)})
    assert json.loads((tmp_path / "results.json").read_text()) == {"accuracy": 0.9,
                                                                   "steps": [1, 2]}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]

"""A run's JSON file cut short is one line naming it and the way out, wherever a rerun
reads it (the hunt of issue 30 beyond case 13: seed results, run results, sweep plans)."""

import types

import pytest

from infodl.run_folder.atomic import read_json


def _cut(path, text='{"seed": 0, "test_accuracy": 0.9'):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_read_json_names_the_file_and_the_way_out(tmp_path):
    path = _cut(tmp_path / "results.json")
    with pytest.raises(ValueError) as error:
        read_json(path, "delete it")
    assert str(error.value).startswith(f"Corrupt file {path} (Expecting ")
    assert str(error.value).endswith("; delete it") and "\n" not in str(error.value)
    assert read_json(_cut(tmp_path / "ok.json", '{"a": 1}')) == {"a": 1}


def test_the_readers_of_a_rerun_use_it(tmp_path):
    from infodl.experiments.info_plane import experiment as info_plane
    from infodl.experiments.invnet import experiment as invnet
    from infodl.experiments.sweeps import report

    seed_dir = tmp_path / "ip" / "seed_0"
    _cut(seed_dir / "results.json")
    (seed_dir / "trajectory.npz").write_bytes(b"")
    with pytest.raises(ValueError, match=f"Corrupt file {seed_dir / 'results.json'} .*; "
                                         "delete it to train that seed again"):
        info_plane._finished_seed(str(seed_dir))
    _cut(tmp_path / "run" / "results.json")
    with pytest.raises(ValueError, match="Corrupt file .*; delete it and rerun the sweep"):
        report._run_numbers(tmp_path / "run")
    config = types.SimpleNamespace(log_dir=str(tmp_path / "run"))
    with pytest.raises(ValueError, match="Corrupt file .*; delete it to score the run again"):
        invnet._previous_results(config)

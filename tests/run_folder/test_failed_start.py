"""A run that fails before its first step leaves its folder as it found it (issue 30,
case 14): no folder, or an empty one, so the corrected command is accepted."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from infodl.run_folder.run_directory import prepare_log_dir, undone_if_failed_at_start

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _fail_after_prepare(log_dir, config, write=None):
    with pytest.raises(FileNotFoundError):
        with undone_if_failed_at_start(str(log_dir)):
            prepare_log_dir(log_dir, config)
            if write is not None:
                (log_dir / write).parent.mkdir(parents=True, exist_ok=True)
                (log_dir / write).write_text("x")
            raise FileNotFoundError("no such data file")


def test_a_new_folder_goes_and_an_empty_one_is_emptied(tmp_path):
    _fail_after_prepare(tmp_path / "new", {"path": "/no/such.mat"})
    assert not (tmp_path / "new").exists()
    (tmp_path / "empty").mkdir()
    _fail_after_prepare(tmp_path / "empty", {"path": "/no/such.mat"})
    assert os.listdir(tmp_path / "empty") == []
    assert prepare_log_dir(tmp_path / "empty", {"path": "good.mat"}) == "new"  # accepted


def test_a_folder_the_run_wrote_into_or_an_earlier_run_s_stays(tmp_path):
    _fail_after_prepare(tmp_path / "wrote", {"a": 1}, write="seed_0/checkpoints/ckpt-1")
    assert (tmp_path / "wrote" / "seed_0" / "checkpoints" / "ckpt-1").is_file()
    prepare_log_dir(tmp_path / "old", {"a": 1})
    _fail_after_prepare(tmp_path / "old", {"a": 1})
    assert json.loads((tmp_path / "old" / "config.json").read_text()) == {"a": 1}


@pytest.mark.slow  # two commands that load TensorFlow: about 30 s
def test_a_bad_var_u_path_then_the_corrected_command(tmp_path):
    log_dir, bad = tmp_path / "ip", tmp_path / "var_u.mat"
    bad.write_bytes(b"not a MATLAB file")
    command = [sys.executable, str(ROOT / "run.py"), "--experiment=info_plane",
               "--epochs=20", "--num_log_points=3", "--verbose=0", f"--log_dir={log_dir}"]
    failed = subprocess.run(command + [f"--var_u_path={bad}"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert failed.returncode == 1 and failed.stderr.strip().splitlines()[-1].startswith(
        "Error: ") and str(bad) in failed.stderr, failed.stderr[-2000:]
    assert not log_dir.exists()
    corrected = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert corrected.returncode == 0, corrected.stderr[-2000:]

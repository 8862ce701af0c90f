"""A sweep checks what every run reads before the first starts (issue 30, case 11)."""

import os
import pathlib
import subprocess
import sys
import time

import pytest

from infodl.experiments.registry import EXPERIMENTS
from infodl.experiments.sweeps.plan import _prepare_sweep

ROOT = pathlib.Path(__file__).resolve().parents[3]
MNIST = "/work/shared/data/mnist.pkl.gz"


def test_the_paper_sweep_with_a_missing_data_dir_fails_at_once(tmp_path):
    """Before: the plan check passed, then 14 runs failed one by one in 90 s."""
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(ROOT / "run.py"),
         f"--sweep={ROOT / 'experiments' / 'sweeps' / 'p2_table2.yaml'}",
         "--data_dir=/no/such/dir", f"--log_dir={tmp_path / 'p2'}"], cwd=ROOT,
        capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert time.monotonic() - start < 30
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: Expected data_dir to exist. Received: data_dir='/no/such/dir' (in setting "
        "'resnet32_original', seed 0), which does not exist"]
    assert not (tmp_path / "p2").exists()


def test_other_inputs_and_unreadable_data_are_refused_before_the_folder(tmp_path):
    sweep_file = tmp_path / "s.yaml"
    sweep_file.write_text("experiment: info_plane\nflags: {epochs: 10}\nseeds: [0]\n"
                          "settings: [{name: a}, {name: b, var_u_path: /no/var_u.mat}]\n")
    with pytest.raises(FileNotFoundError, match=r"Expected var_u_path to exist. Received: "
                       r"var_u_path='/no/var_u.mat' \(in setting 'b', seed 0\)"):
        _prepare_sweep(sweep_file, str(tmp_path / "out"), EXPERIMENTS)
    empty = tmp_path / "cifar"
    empty.mkdir()
    sweep_file.write_text("experiment: resnet\nflags: {dataset: cifar10, train_steps: 2}\n"
                          f"seeds: [0, 1]\nsettings: [{{name: a, data_dir: {empty}}}]\n")
    with pytest.raises(FileNotFoundError, match=r"^In setting 'a', seed 0: .*"):
        _prepare_sweep(sweep_file, str(tmp_path / "out"), EXPERIMENTS)
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not os.path.isfile(MNIST), reason="the real MNIST pickle")
def test_a_readable_data_source_is_read_once_and_passes(tmp_path):
    sweep_file = tmp_path / "s.yaml"
    sweep_file.write_text("experiment: ib_layerwise\nflags: {dataset: mnist, train_fraction: "
                          f"0.01, data_dir: {MNIST}}}\nseeds: [0, 1, 2]\n"
                          "grid: {beta: [0.0, 0.001]}\n")
    _, runs, _ = _prepare_sweep(sweep_file, str(tmp_path / "out"), EXPERIMENTS)
    assert len(runs) == 6 and (tmp_path / "out" / "sweep.json").is_file()

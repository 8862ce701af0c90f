"""The sweep respects run-folder locks (issue 18, point 1): a run whose folder another
process holds is reported busy with its holder, never started, retried or counted done;
a second driver on the same sweep folder is refused."""

import os
import signal
import socket

import pytest

from infodl.experiments.registry import EXPERIMENTS
from infodl.experiments.sweeps.plan import _prepare_sweep, refusal, run_sweep, summary
from infodl.run_folder.lock import RunFolderInUseError, release_run_folder
from tests.run_folder.lock_holder import hold_in_another_process

SWEEP = ("experiment: resnet\nflags: {dataset: synthetic, train_steps: 2}\n"
         "settings: [{name: a}]\nseeds: [0, 1]\n")


def test_runs_whose_folder_is_held_are_busy_not_started_and_not_done(tmp_path):
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(SWEEP)
    log_dir = tmp_path / "sweep"
    folders = [log_dir / "a" / f"seed_{seed}" for seed in (0, 1)]
    _prepare_sweep(sweep_file, str(log_dir), EXPERIMENTS)  # as if a first sweep had started
    holder = hold_in_another_process(*folders)  # e.g. runs started by hand in the sweep's folders
    try:
        results = run_sweep(sweep_file, str(log_dir), 2, EXPERIMENTS, verbose=0)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        release_run_folder(log_dir)
    assert results["trained"] == [] and results["failed"] == [] and results["skipped"] == []
    assert [(r["setting"], r["seed"]) for r in results["busy"]] == [("a", 0), ("a", 1)]
    for run in results["busy"]:
        assert run["holder"].startswith(f"pid {holder.pid} on host {socket.gethostname()}")
        assert not os.path.exists(run["log"])  # never started
    lines = summary(results)
    assert lines[0].endswith("0 failed, 2 busy")
    assert lines[1].startswith("busy: a seed 0: its folder ") and f"pid {holder.pid}" in lines[1]


def test_a_second_driver_on_the_same_sweep_folder_is_refused(tmp_path):
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(SWEEP)
    log_dir = tmp_path / "sweep"
    holder = hold_in_another_process(log_dir)
    try:
        with pytest.raises(RunFolderInUseError, match=f"in use by pid {holder.pid} "):
            run_sweep(sweep_file, str(log_dir), 1, EXPERIMENTS, verbose=0)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()


def test_a_child_refused_at_its_start_is_recognised_in_its_log(tmp_path):
    error = RunFolderInUseError("runs/x", {"pid": 7, "host": "node7", "command": "python run.py"})
    log = tmp_path / "run.log"
    log.write_text(f"resnet: loading TensorFlow\nError: {error}\n")
    assert refusal(log) == "pid 7 on host node7 (python run.py)"
    with open(log, "a") as handle:  # a later attempt of the same run failed otherwise
        handle.write("Error: Expected alpha2 >= 0. Received: alpha2=-1\n")
    assert refusal(log) is None
    assert refusal(tmp_path / "missing.log") is None

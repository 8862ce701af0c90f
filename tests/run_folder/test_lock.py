"""One owner per run folder (issue 18, point 1): a second process is refused in one line
naming the holder; the lock dies with its holder, even on SIGKILL."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from infodl.run_folder.lock import (
    IN_USE_PATTERN,
    LOCK_FILE,
    RunFolderInUseError,
    RunFolderLock,
    acquire_run_folder,
    release_run_folder,
    run_folder_holder,
)
from infodl.run_folder.run_directory import prepare_log_dir
from tests.run_folder.lock_holder import ROOT, hold_in_another_process


def test_a_second_process_is_refused_naming_the_holder_until_it_is_killed(tmp_path):
    log_dir = tmp_path / "run"
    holder = hold_in_another_process(log_dir, prepare=True)
    try:
        record = json.loads((log_dir / LOCK_FILE).read_text())
        assert record["pid"] == holder.pid and record["host"] == socket.gethostname()
        with pytest.raises(RunFolderInUseError) as refused:
            prepare_log_dir(log_dir, {"lr": 0.1})
        message = str(refused.value)
        assert "\n" not in message
        assert f"is in use by pid {holder.pid} on host {socket.gethostname()}" in message
        assert "-c" in message  # the holder's command
        assert isinstance(refused.value, FileExistsError)  # run.py: one `Error:` line
        assert IN_USE_PATTERN.search(message).group(1).startswith(f"pid {holder.pid} ")
        assert run_folder_holder(log_dir)["pid"] == holder.pid
        # Refused before anything was read or deleted, even with overwrite.
        with pytest.raises(RunFolderInUseError):
            prepare_log_dir(log_dir, {"lr": 0.2}, overwrite=True)
        assert json.loads((log_dir / "config.json").read_text()) == {"lr": 0.1}
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # The OS freed the lock of the killed process: the same config resumes here.
    assert run_folder_holder(log_dir) is None
    assert prepare_log_dir(log_dir, {"lr": 0.1}) == "resume"
    assert json.loads((log_dir / LOCK_FILE).read_text())["pid"] == os.getpid()
    release_run_folder(log_dir)


def test_a_held_folder_before_its_config_is_written_is_refused_as_in_use(tmp_path):
    """The window between a run's lock and its config.json: a second run is told the
    folder is in use, not that it is a foreign folder (a race seen on a loaded machine)."""
    log_dir = tmp_path / "run"
    holder = hold_in_another_process(log_dir)  # locked only: no config.json yet
    try:
        (log_dir / "config.json.tmp").write_text("{")  # a config write under way
        with pytest.raises(RunFolderInUseError, match=f"is in use by pid {holder.pid}"):
            prepare_log_dir(log_dir, {"lr": 0.1})
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()


def test_one_process_holds_a_folder_once_and_overwrite_keeps_the_lock(tmp_path):
    log_dir = tmp_path / "run"
    assert prepare_log_dir(log_dir, {"a": 1}) == "new"
    first = acquire_run_folder(log_dir)
    assert acquire_run_folder(log_dir) is first and first.held  # no self-refusal
    (log_dir / "old.txt").write_text("x")
    assert prepare_log_dir(log_dir, {"a": 2}, overwrite=True) == "new"
    assert sorted(p.name for p in log_dir.iterdir()) == [LOCK_FILE, "config.json"]
    assert first.held  # the .lock file was kept, so no other process slipped in
    release_run_folder(log_dir)
    assert not first.held and run_folder_holder(log_dir) is None


def test_a_folder_made_again_is_locked_again_and_the_context_manager_releases(tmp_path):
    log_dir = tmp_path / "run"
    lock = acquire_run_folder(log_dir)
    (log_dir / LOCK_FILE).unlink()
    os.rmdir(log_dir)
    assert not lock.held
    assert acquire_run_folder(log_dir).held  # a new .lock in the new folder
    release_run_folder(log_dir)
    with RunFolderLock(tmp_path / "other") as held:
        assert held.held
    assert not held.held


def test_a_foreign_folder_gets_no_lock_file(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a run of this project"):
        prepare_log_dir(tmp_path, {"a": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def wait_for(condition, timeout=300, what="condition", process=None):
    start = time.monotonic()
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the process ended before {what}: {process.communicate()}")
        assert time.monotonic() - start < timeout, f"no {what} within {timeout} s"
        time.sleep(0.2)


RESNET = ("--model=resnet20", "--dataset=synthetic", "--synthetic_sizes=64,32",
          "--batch_size=8", "--verbose=0", "--measurements=false", "--train_steps=40",
          "--eval_every=10")


def start_run(log_dir):
    return subprocess.Popen([sys.executable, str(ROOT / "run.py"), *RESNET,
                             f"--log_dir={log_dir}"], cwd=ROOT,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow  # 40-140 s on 2 cores; python -m pytest -q --runslow runs it
def test_two_identical_runs_at_once_one_runs_the_other_is_refused_then_a_rerun_resumes(
        tmp_path):
    log_dir = tmp_path / "run"
    first, second = start_run(log_dir), start_run(log_dir)
    processes = {first.pid: first, second.pid: second}
    try:
        wait_for(lambda: first.poll() is not None or second.poll() is not None,
                 what="one of the two runs to end")
        refused = first if first.poll() is not None else second
        holder = second if refused is first else first
        _, stderr = refused.communicate()
        assert refused.returncode == 1, stderr[-3000:]
        lines = stderr.strip().splitlines()
        errors = [line for line in lines if line.startswith("Error:")]
        assert len(errors) == 1 and errors[0] == lines[-1], stderr[-3000:]
        assert "Traceback" not in stderr
        assert (f"is in use by pid {holder.pid} on host {socket.gethostname()}"
                in errors[0]), errors[0]
        assert holder.poll() is None  # the holder trains on
        checkpoints = log_dir / "checkpoints"
        wait_for(lambda: any(checkpoints.glob("ckpt-*.keras")), process=holder,
                 what="the holder's first checkpoint")
        holder.send_signal(signal.SIGKILL)
        holder.communicate()
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.communicate()
    saved = max(int(p.name[5:13]) for p in checkpoints.glob("ckpt-*.keras"))
    rerun = start_run(log_dir)
    stdout, stderr = rerun.communicate(timeout=900)
    assert rerun.returncode == 0, stderr[-3000:]
    resumed = int(stdout.split("resumed_from=")[1].split()[0].strip(",;)"))
    assert resumed >= saved >= 10
    results = json.loads((log_dir / "results.json").read_text())
    assert results["complete"] and results["step"] == 40

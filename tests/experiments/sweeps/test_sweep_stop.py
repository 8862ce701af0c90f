"""Stopping a local sweep (issue 30, cases 1-2): Ctrl-C gives each run one stop request and
the driver says what was saved; a driver ended by SIGTERM or SIGKILL takes its runs with
it. The runs here are stand-ins (a few lines of Python that log the signals they get and
save a "checkpoint" on the first); `test_sweep_stop_resnet.py` runs the real ones."""

import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="PR_SET_PDEATHSIG is Linux's")

FAKE_RUN = r"""
import os, pathlib, sys, time
from infodl import stop_signals
folder = pathlib.Path(next(a for a in sys.argv if a.startswith("--log_dir="))[10:])
folder.mkdir(parents=True, exist_ok=True)
(folder / "pid").write_text(str(os.getpid()))
with stop_signals.StopSignals(), stop_signals.deferred():  # as a training loop does
    print("training", flush=True)
    while stop_signals.requested() is None:
        time.sleep(0.05)
    received = stop_signals.requested()
    (folder / "signals").write_text(f"{int(received)}\n")
    time.sleep(1.5)  # saving: a second request now would end the run without its checkpoint
    (folder / "checkpoints").mkdir(exist_ok=True)
    (folder / "checkpoints" / "ckpt-00000007.keras").write_text("weights")
sys.exit(128 + received)
"""

DRIVER = r"""
import sys
from infodl.experiments.sweeps import plan as sweep
fake_run = sys.argv.pop(1)
sweep.run_command = lambda: [sys.executable, "-c", fake_run]
from infodl.experiments.cli import main
main()
"""

SWEEP = ("experiment: resnet\nflags: {dataset: synthetic, train_steps: 30}\nseeds: [0]\n"
         "settings: [{name: a}, {name: b}, {name: c}]\n")


def _driver(tmp_path):
    """The sweep driver (2 workers, 3 runs) in a process group of its own, as a shell
    starts a foreground job; returns it once both first runs are training."""
    sweep_file = tmp_path / "three.yaml"
    sweep_file.write_text(SWEEP)
    log_dir = tmp_path / "sw"
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER, FAKE_RUN, f"--sweep={sweep_file}",
         f"--log_dir={log_dir}", "--sweep_workers=2"], cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    logs = [log_dir / "logs" / f"{name}_seed0.log" for name in ("a", "b")]
    deadline = time.monotonic() + 120
    while not all(log.is_file() and "training" in log.read_text() for log in logs):
        assert time.monotonic() < deadline and driver.poll() is None, driver.communicate()
        time.sleep(0.1)
    return driver, log_dir


def _folders(log_dir):
    return [log_dir / name / "seed_0" for name in ("a", "b")]


def _wait_for_checkpoints(log_dir, seconds=60):
    deadline = time.monotonic() + seconds
    while not all((f / "checkpoints" / "ckpt-00000007.keras").is_file()
                  for f in _folders(log_dir)):
        assert time.monotonic() < deadline, "the runs did not save"
        time.sleep(0.1)


def _end_leftovers(log_dir):
    for folder in _folders(log_dir):
        try:
            os.kill(int((folder / "pid").read_text()), signal.SIGKILL)
        except (OSError, ValueError):
            pass


@pytest.mark.parametrize("signum, whom", [(signal.SIGINT, "group"),
                                          (signal.SIGTERM, "driver")])
def test_a_stopped_sweep_forwards_one_request_and_says_what_was_saved(tmp_path, signum,
                                                                       whom):
    """Ctrl-C (SIGINT to the terminal's whole process group) or `kill <driver>`."""
    driver, log_dir = _driver(tmp_path)
    try:
        if whom == "group":
            os.killpg(driver.pid, signum)
        else:
            driver.send_signal(signum)
        _, stderr = driver.communicate(timeout=120)
    finally:
        _end_leftovers(log_dir)
    assert driver.returncode == 128 + signum, stderr
    for folder, name in zip(_folders(log_dir), "ab", strict=True):
        assert (folder / "signals").read_text() == f"{int(signum)}\n"  # the request
        assert "again: stopping at once" not in (log_dir / "logs" / f"{name}_seed0.log"
                                                 ).read_text()  # and no second one
        checkpoint = folder / "checkpoints" / "ckpt-00000007.keras"
        assert f"{name} seed 0 (exit {128 + signum}): saved {checkpoint}" in stderr, stderr
    assert not (log_dir / "logs" / "c_seed0.log").exists()  # not started after the stop
    assert stderr.strip().splitlines()[-1] == (
        "Error: sweep interrupted; rerun the same command to continue it")


def test_a_killed_driver_takes_its_runs_down_with_a_checkpoint(tmp_path):
    driver, log_dir = _driver(tmp_path)
    try:
        driver.send_signal(signal.SIGKILL)
        driver.communicate(timeout=60)
        _wait_for_checkpoints(log_dir)
    finally:
        _end_leftovers(log_dir)
    for folder, name in zip(_folders(log_dir), "ab", strict=True):
        assert (folder / "signals").read_text() == f"{int(signal.SIGTERM)}\n"
        assert "again: stopping at once" not in (log_dir / "logs" / f"{name}_seed0.log"
                                                 ).read_text()

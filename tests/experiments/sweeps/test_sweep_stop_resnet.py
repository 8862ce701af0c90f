"""The sweep of issue 30 (`two.yaml`: two ResNet-20 runs on synthetic data) stopped by
Ctrl-C and by a killed driver: every run saves its stop-step checkpoint, the driver says
what was saved, and a rerun finishes with one TensorBoard point per (tag, step)."""

import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time

import pytest

from tests.experiments.event_reading import duplicate_points

ROOT = pathlib.Path(__file__).resolve().parents[3]
TWO = ("experiment: resnet\nflags: {dataset: synthetic, model: resnet20, train_steps: 30, "
       "eval_every: 10}\nseeds: [0]\ngrid: {alpha2: [0.0, 0.03]}\n")
SETTINGS = ("alpha2-0", "alpha2-0.03")


def _driver(tmp_path, workers):
    (tmp_path / "two.yaml").write_text(TWO)
    return subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), f"--sweep={tmp_path / 'two.yaml'}",
         f"--log_dir={tmp_path / 'sw'}", f"--sweep_workers={workers}"], cwd=ROOT,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,  # a shell's foreground job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for(paths, driver, seconds=600):
    deadline = time.monotonic() + seconds
    while not all(p.exists() for p in paths):
        assert time.monotonic() < deadline and driver.poll() is None, driver.communicate()
        time.sleep(0.2)


def _checkpoint_steps(folder):
    return sorted(int(re.findall(r"\d+", p.name)[0])
                  for p in (folder / "checkpoints").glob("ckpt-*.keras"))


@pytest.mark.slow  # about 2 minutes on 2 cores
def test_ctrl_c_on_the_sweep_saves_each_stop_step_and_a_rerun_finishes(tmp_path):
    driver = _driver(tmp_path, workers=2)
    folders = [tmp_path / "sw" / s / "seed_0" for s in SETTINGS]
    _wait_for([f / "checkpoints" / "ckpt-00000010.keras" for f in folders], driver)
    time.sleep(3)
    os.killpg(driver.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole group
    _, stderr = driver.communicate(timeout=600)
    assert driver.returncode == 130, stderr[-3000:]
    for setting, folder in zip(SETTINGS, folders, strict=True):
        log = (tmp_path / "sw" / "logs" / f"{setting}_seed0.log").read_text()
        assert "again: stopping at once" not in log and log.count("SIGINT received") == 1
        stop_step = _checkpoint_steps(folder)[-1]
        assert 10 < stop_step < 30, stop_step
        saved = folder / "checkpoints" / f"ckpt-{stop_step:08d}.keras"
        assert f"{setting} seed 0 (exit 130): saved {saved}" in stderr, stderr[-3000:]
        assert f"stopped by SIGINT at step {stop_step}" in log

    again = _driver(tmp_path, workers=2)
    stdout, stderr = again.communicate(timeout=900)
    assert again.returncode == 0, stderr[-3000:]
    for folder in folders:
        results = json.loads((folder / "results.json").read_text())
        assert results["complete"] and results["step"] == 30
        assert duplicate_points(folder) == {}


@pytest.mark.slow  # about 1 minute on 2 cores
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_driver_ended_by_a_signal_takes_its_run_down_with_a_checkpoint(tmp_path, signum):
    driver = _driver(tmp_path, workers=1)
    first = tmp_path / "sw" / SETTINGS[0] / "seed_0"
    _wait_for([first / "checkpoints" / "ckpt-00000010.keras"], driver)
    time.sleep(3)
    driver.send_signal(signum)
    _, stderr = driver.communicate(timeout=600)
    assert driver.returncode == (143 if signum == signal.SIGTERM else -9), stderr[-3000:]
    log = tmp_path / "sw" / "logs" / f"{SETTINGS[0]}_seed0.log"
    deadline = time.monotonic() + 300
    while "Error: stopped by SIGTERM" not in log.read_text():  # the run stops (and saves)
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.5)
    stop_step = _checkpoint_steps(first)[-1]
    assert 10 < stop_step < 30 and f"at step {stop_step}" in log.read_text()
    assert "again: stopping at once" not in log.read_text()
    if signum == signal.SIGTERM:
        assert f"saved {first / 'checkpoints' / f'ckpt-{stop_step:08d}.keras'}" in stderr
    assert not (tmp_path / "sw" / SETTINGS[1]).exists()  # the second setting never started

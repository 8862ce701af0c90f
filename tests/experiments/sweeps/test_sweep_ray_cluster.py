"""Sweeps on a real one-node Ray cluster on 127.0.0.1 (issue 21; all slow): a worker
killed mid-run, the driver killed with SIGKILL and started again, Ctrl-C on the driver,
and a local Ray started on the spot when no cluster is given."""

import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from infodl.experiments.sweeps.report import _run_numbers
from tests.experiments.sweeps.ray_cluster_helpers import (
    ROOT,
    SETTINGS,
    TINY,
    flat,
    free_port,
    one_node_cluster,
    report,
    run_process,
    start_driver,
    sweep_command,
    sweep_env,
    training,
)


@pytest.fixture
def ray_cluster(tmp_path):
    """A one-node Ray cluster on 127.0.0.1 with two worker slots; its address."""
    with one_node_cluster(tmp_path) as address:
        yield address


@pytest.mark.slow
def test_ray_sweep_survives_a_killed_worker_and_reports_like_the_local_one(
        tmp_path, ray_cluster):
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(TINY)
    env = sweep_env()
    on_ray = tmp_path / "on_ray"
    driver = subprocess.Popen(
        sweep_command(sweep_file, on_ray, "--sweep_launcher=ray",
                       f"--ray_address={ray_cluster}"),
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed, deadline = None, time.monotonic() + 900
    while killed is None:  # the first run seen training (an evaluation written, not done)
        assert driver.poll() is None and time.monotonic() < deadline, driver.communicate()
        for setting in SETTINGS:
            for seed in (0, 1):
                folder = on_ray / setting / f"seed_{seed}"
                metrics = folder / "metrics.jsonl"
                if (killed is None and metrics.is_file() and metrics.read_text().strip()
                        and not (folder / "results.json").exists()):
                    found = run_process(folder)
                    if found is not None:
                        run_pid, worker_pid = found
                        assert worker_pid != driver.pid  # a Ray worker started the run
                        os.kill(worker_pid, signal.SIGKILL)
                        killed = (setting, seed, run_pid)
        time.sleep(0.2)
    stdout, stderr = driver.communicate(timeout=1200)
    assert driver.returncode == 0, stderr[-3000:]
    assert "4 runs, 4 run now, 0 already finished, 0 failed" in stdout, stdout
    setting, seed, run_pid = killed
    log = (on_ray / "logs" / f"{setting}_seed{seed}.log").read_text()
    assert ("[ray launcher] attempt 1 ended: WorkerCrashedError; starting it again "
            "(1 of 2 retries)") in log
    assert log.count("[ray launcher]") == 1  # retried once, nothing else failed
    local = tmp_path / "local"
    subprocess.run(sweep_command(sweep_file, local, "--sweep_workers=2"), cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=1800)
    for name in SETTINGS:
        for s in (0, 1):
            folder = on_ray / name / f"seed_{s}"
            results = json.loads((folder / "results.json").read_text())
            assert results["complete"] and results["step"] == 32, (name, s, results)
            records = [json.loads(line) for line in
                       (folder / "metrics.jsonl").read_text().splitlines()]
            steps = [r["step"] for r in records if "val_accuracy" in r]
            assert steps == [8, 16, 24, 32], (name, s, steps)  # every evaluation once
            assert len({r["step"] for r in records}) == len(records)  # no step logged twice
            resumed = (name, s) == (setting, seed)  # from the checkpoint SIGTERM saved
            assert (results["resumed_from"] > 0) if resumed else results["resumed_from"] == 0
            # --deterministic: the local launcher's numbers, the resumed run's too (a resume
            # is exact; its constraint mean is read back from float32 event points)
            assert _run_numbers(folder) == pytest.approx(
                _run_numbers(local / name / f"seed_{s}"), rel=1e-6 if resumed else 0), (name, s)
    rows = {row["setting"]: row for row in report(on_ray)}
    local_rows = {row["setting"]: row for row in report(local)}
    assert rows[setting]["seeds_finished"] == 2
    for name in SETTINGS:  # the same table whichever launcher ran the grid
        assert flat(rows[name]) == pytest.approx(flat(local_rows[name]), rel=1e-6), name


TWO_RUNS = TINY.replace("  - {name: alpha2_0.05, alpha2: 0.05}\n", "")  # "original" × 2 seeds
INTERRUPTED_LINE = ("Error: sweep interrupted; rerun the same "
                    "command to continue it")


def _first_training(driver, log_dir):
    """The folder of the first run seen training (an evaluation logged, not finished)."""
    deadline = time.monotonic() + 900
    while True:
        assert driver.poll() is None and time.monotonic() < deadline, driver.communicate()
        for seed in (0, 1):
            if training(log_dir / "original" / f"seed_{seed}"):
                return log_dir / "original" / f"seed_{seed}"
        time.sleep(0.2)


def _two_runs_training(tmp_path, ray_cluster):
    """A Ray sweep of TWO_RUNS started on `ray_cluster`, returned once a run trains:
    (its command, log_dir, driver process, the folder of the run seen training)."""
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(TWO_RUNS)
    log_dir = tmp_path / "out"
    command = sweep_command(sweep_file, log_dir, "--sweep_launcher=ray",
                            f"--ray_address={ray_cluster}")
    driver = start_driver(command)
    return command, log_dir, driver, _first_training(driver, log_dir)


def _assert_complete_once(log_dir):
    """Both runs complete, every evaluation logged once; {seed: the step it resumed from}."""
    resumed = {}
    for seed in (0, 1):
        folder = log_dir / "original" / f"seed_{seed}"
        results = json.loads((folder / "results.json").read_text())
        assert results["complete"] and results["step"] == 32, (seed, results)
        records = [json.loads(line) for line in
                   (folder / "metrics.jsonl").read_text().splitlines()]
        assert [r["step"] for r in records if "val_accuracy" in r] == [8, 16, 24, 32], seed
        assert len({r["step"] for r in records}) == len(records)  # no step logged twice
        resumed[seed] = results["resumed_from"]
    return resumed


def _stop_steps(log_dir, seed):
    """The steps at which the run of `seed` was stopped by SIGTERM (from its log)."""
    log = (log_dir / "logs" / f"original_seed{seed}.log").read_text()
    return [int(m) for m in re.findall(r"stopped by SIGTERM at step (\d+)", log)]


@pytest.mark.slow
def test_a_driver_killed_with_sigkill_and_started_again_finishes_each_run_once(
        tmp_path, ray_cluster):
    command, log_dir, driver, _ = _two_runs_training(tmp_path, ray_cluster)
    driver.kill()  # SIGKILL: no handler, no stop file; Ray ends the job's workers
    driver.communicate()
    again = start_driver(command)
    stdout, stderr = again.communicate(timeout=1200)
    assert again.returncode == 0, stderr[-3000:]
    assert re.search(r"2 runs, [0-2] run now, [0-2] already finished, 0 failed\n", stdout)
    counts = re.search(r"(\d) run now, (\d) already finished", stdout).groups()
    assert sum(map(int, counts)) == 2, stdout  # each run counted once
    resumed = _assert_complete_once(log_dir)
    stopped = {seed: _stop_steps(log_dir, seed) for seed in (0, 1)}
    assert any(stopped.values()), stopped  # a run training at the kill saved a checkpoint
    for seed in (0, 1):  # and resumed from it, nothing lost, nothing trained twice
        assert resumed[seed] == (stopped[seed][-1] if stopped[seed] else 0), (seed, stopped)
    for seed in (0, 1):
        assert "[ray launcher]" not in (log_dir / "logs" / f"original_seed{seed}.log"
                                        ).read_text()  # no attempt failed


@pytest.mark.slow
def test_ctrl_c_on_a_ray_driver_stops_the_runs_with_checkpoints_and_a_rerun_finishes(
        tmp_path, ray_cluster):
    command, log_dir, driver, folder = _two_runs_training(tmp_path, ray_cluster)
    driver.send_signal(signal.SIGINT)
    _, stderr = driver.communicate(timeout=900)
    assert driver.returncode == 1, stderr[-3000:]
    assert [line for line in stderr.splitlines() if line.startswith("Error:")] == [
        INTERRUPTED_LINE] and "Traceback" not in stderr, stderr[-3000:]
    seed = int(folder.name.split("_")[1])
    stop_step, = _stop_steps(log_dir, seed)  # the run saved a checkpoint and stopped
    assert (folder / "checkpoints" / f"ckpt-{stop_step:08d}.keras").is_file()
    assert run_process(folder) is None  # nothing left training
    again = start_driver(command)
    stdout, stderr = again.communicate(timeout=1200)
    assert again.returncode == 0, stderr[-3000:]
    assert "0 failed" in stdout, stdout
    assert _assert_complete_once(log_dir)[seed] == stop_step  # resumed from the checkpoint


@pytest.mark.slow
def test_without_a_cluster_address_a_local_ray_is_started_for_the_sweep(tmp_path):
    """Also when Ray's temp dir names a cluster that is gone (a stale
    ray_current_cluster, as the last `ray start` on a machine leaves it)."""
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(TWO_RUNS.replace("train_steps: 32", "train_steps: 8")
                          .replace("eval_every: 8, info_every: 8", "eval_every: 4, info_every: 4"))
    ray_tmp = pathlib.Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))  # short socket paths
    (ray_tmp / "ray").mkdir()
    (ray_tmp / "ray" / "ray_current_cluster").write_text(f"127.0.0.1:{free_port()}")
    env = {k: v for k, v in sweep_env().items() if k != "RAY_ADDRESS"}
    driver = subprocess.Popen(sweep_command(sweep_file, tmp_path / "out", "--sweep_launcher=ray"),
                              cwd=ROOT, env=dict(env, RAY_TMPDIR=str(ray_tmp)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = driver.communicate(timeout=900)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.communicate()
        _end_processes_under(ray_tmp)  # the local Ray, had the driver not stopped it
        shutil.rmtree(ray_tmp, ignore_errors=True)
    assert driver.returncode == 0, stderr[-3000:]
    assert "2 runs, 2 run now, 0 already finished, 0 failed" in stdout, stdout
    for seed in (0, 1):
        results = json.loads((tmp_path / "out" / "original" / f"seed_{seed}" /
                              "results.json").read_text())
        assert results["complete"] and results["step"] == 8


def _end_processes_under(folder):
    """SIGKILLs the processes whose command line names `folder` (a Ray this test started)."""
    for entry in pathlib.Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(folder).encode() in (entry / "cmdline").read_bytes():
                os.kill(int(entry.name), signal.SIGKILL)
        except OSError:
            continue

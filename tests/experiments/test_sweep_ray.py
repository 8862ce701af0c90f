"""Sweeps on Ray (issue 21, points 2-3): flags, resources, an unreachable cluster, the
attempt of one run (stop request, parent death, busy folder), retries, and a real
one-node cluster on 127.0.0.1 whose worker is killed mid-run (slow)."""

import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from infodl.experiments import ray_launcher, sweep
from infodl.experiments.registry import EXPERIMENTS
from infodl.experiments.report import run_numbers
from infodl.experiments.sweep import load_sweep_file, plan_runs, run_resources
from infodl.experiments.sweep_config import SweepSettings

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Ray on this test machine stays on loopback only with these two (see the module's test
# of a real cluster); the library never sets them for its users.
RAY_LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "disabled"}
# A stand-in for a run: traps SIGTERM like a run (it "saves a checkpoint": a marker file)
FAKE_RUN = r"""
import pathlib, signal, sys, time
marker = pathlib.Path(sys.argv[-1].split("=", 1)[1]) / "sigterm"
def stop(*_):
    marker.write_text("checkpoint")
    sys.exit(143)
signal.signal(signal.SIGTERM, stop)
print("training", flush=True)
time.sleep(120)
"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("values, message", [
    (dict(sweep_launcher="ray"), "Expected --sweep with --sweep_launcher=ray"),
    (dict(sweep="s.yaml", ray_address="h:6379"),
     "Expected --sweep_launcher=ray with --ray_address. Received: --sweep_launcher=local"),
    (dict(sweep="s.yaml", sweep_retries=1), "Expected --sweep_launcher=ray with --sweep_retries"),
    (dict(sweep="s.yaml", sweep_launcher="slurm"), "Expected sweep_launcher in"),
    (dict(sweep="s.yaml", sweep_launcher="ray", sweep_retries=-1),
     "Expected sweep_retries >= 0"),
])
def test_launcher_flags_are_checked(values, message):
    with pytest.raises(ValueError, match=message):
        SweepSettings(**values).validate()


def test_launcher_flags_accepted():
    settings = SweepSettings(sweep="s.yaml", sweep_launcher="ray", ray_address="h:1",
                             sweep_retries=0).validate()
    assert (settings.sweep_launcher, settings.ray_address, settings.sweep_retries) == (
        "ray", "h:1", 0)
    assert SweepSettings(sweep="s.yaml").validate().sweep_launcher == "local"


@pytest.mark.parametrize("resources, message", [
    ("{cpu: 0}", r"Expected resources.cpu > 0 \(a number\). Received: resources.cpu=0"),
    ("{gpu: -1}", "Expected resources.gpu >= 0"),
    ("{gpu: one}", "Expected resources.gpu >= 0 .* resources.gpu='one'"),
    ("{tpu: 1}", r"Expected resources to be a mapping with the keys \['cpu', 'gpu'\]"),
    ("4", "Expected resources to be a mapping"),
])
def test_bad_resources_are_refused_with_the_plan(tmp_path, resources, message):
    path = tmp_path / "sweep.yaml"
    path.write_text(f"experiment: resnet\nresources: {resources}\nseeds: [0]\n")
    with pytest.raises(ValueError, match=message):
        plan_runs(load_sweep_file(path), EXPERIMENTS, str(tmp_path / "out"))


def test_resources_default_and_given():
    assert run_resources({}) == {"cpu": 1.0, "gpu": 0.0}
    assert run_resources({"resources": {"cpu": 4, "gpu": 0.5}}) == {"cpu": 4.0, "gpu": 0.5}


NODES = [{"Alive": True, "NodeManagerAddress": "10.0.0.1", "Resources": {"CPU": 8.0}},
         {"Alive": True, "NodeManagerAddress": "10.0.0.2",
          "Resources": {"CPU": 2.0, "GPU": 1.0}},
         {"Alive": False, "NodeManagerAddress": "10.0.0.3",
          "Resources": {"CPU": 64.0, "GPU": 8.0}}]


def test_resources_checked_against_the_cluster():
    ray_launcher.check_resources({"cpu": 8, "gpu": 0}, NODES)  # node 1
    ray_launcher.check_resources({"cpu": 2, "gpu": 1}, NODES)  # node 2
    with pytest.raises(ValueError) as error:  # 4 CPUs and a GPU on no live node (not .3)
        ray_launcher.check_resources({"cpu": 4, "gpu": 1}, NODES)
    assert str(error.value) == (
        "Expected a Ray node with cpu >= 4 and gpu >= 1 (the sweep file's resources for "
        "one run). Received: 10.0.0.1: cpu 8, gpu 0; 10.0.0.2: cpu 2, gpu 1")


def test_unreachable_address_is_one_line_within_seconds(tmp_path):
    port = free_port()  # nothing listens there now
    start = time.monotonic()
    with pytest.raises(ValueError, match=f"Expected a Ray cluster at 127.0.0.1:{port}. "
                                         f"Received: no answer on 127.0.0.1:{port}"):
        ray_launcher.check_reachable(f"127.0.0.1:{port}")
    assert time.monotonic() - start < ray_launcher.CONNECT_TIMEOUT_SECONDS + 1
    with pytest.raises(ValueError, match="Expected --ray_address as host:port"):
        ray_launcher.check_reachable("headnode")
    assert ray_launcher.cluster_address(None) == os.environ.get("RAY_ADDRESS")


SWEEP = ("experiment: resnet\nflags: {dataset: synthetic, train_steps: 2}\n"
         "settings: [{name: a}]\nseeds: [0]\n")


def test_the_command_line_refuses_an_unreachable_cluster_before_making_the_folder(tmp_path):
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(SWEEP)
    port = free_port()
    result = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), f"--sweep={sweep_file}",
         "--sweep_launcher=ray", f"--log_dir={tmp_path / 'out'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, RAY_ADDRESS=f"127.0.0.1:{port}", PYTHONPATH=str(ROOT)))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"Error: Expected a Ray cluster at 127.0.0.1:{port}. Received: no answer")
    assert not (tmp_path / "out").exists()


NO_RAY = r"""
import json, pathlib, sys
import infodl.experiments.cli
from infodl.experiments.registry import EXPERIMENTS
from infodl.experiments.report import run_numbers
from infodl.experiments.sweep import prepare_sweep, run_sweep
_, runs, _ = prepare_sweep(sys.argv[1], sys.argv[2], EXPERIMENTS)
pathlib.Path(runs[0]["folder"]).mkdir(parents=True)  # finished: skipped, nothing to start
pathlib.Path(runs[0]["folder"], "results.json").write_text('{"complete": true}')
results = run_sweep(sys.argv[1], sys.argv[2], 1, EXPERIMENTS, verbose=0)
print(json.dumps([len(results["skipped"]), "ray" in sys.modules]))
"""


def test_a_local_sweep_never_imports_ray(tmp_path):
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(SWEEP)
    result = subprocess.run([sys.executable, "-c", NO_RAY, str(sweep_file), str(tmp_path / "out")],
                            cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.splitlines()[-1]) == [1, False]


def _fake_run_command(monkeypatch):
    monkeypatch.setattr(sweep, "run_command", lambda: [sys.executable, "-c", FAKE_RUN])


def _run(tmp_path):
    folder = tmp_path / "a" / "seed_0"
    folder.mkdir(parents=True)
    return {"setting": "a", "seed": 0, "folder": str(folder), "values": {"log_dir": str(folder)}}


def test_a_stop_request_stops_the_run_with_its_checkpoint(tmp_path, monkeypatch):
    _fake_run_command(monkeypatch)
    run, stop = _run(tmp_path), tmp_path / ray_launcher.STOP_FILE
    log = tmp_path / "a.log"
    results = []
    attempt = threading.Thread(target=lambda: results.append(ray_launcher.run_attempt(
        "resnet", run, str(log), str(stop), lock_wait=0)))
    attempt.start()
    deadline = time.monotonic() + 60
    while "training" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    stop.write_text("stop\n")
    attempt.join(timeout=30)
    assert results and results[0]["returncode"] == 143 and results[0]["stopped"]
    assert (pathlib.Path(run["folder"]) / "sigterm").read_text() == "checkpoint"
    # a queued attempt that starts after the request does not start its run
    queued = ray_launcher.run_attempt("resnet", run, str(log), str(stop), lock_wait=0)
    assert queued["stopped"] and queued["returncode"] is None


def test_a_finished_or_busy_run_is_not_started(tmp_path, monkeypatch):
    _fake_run_command(monkeypatch)
    run = _run(tmp_path)
    log, stop = tmp_path / "a.log", tmp_path / ray_launcher.STOP_FILE
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom infodl.run_folder.lock import "
         "acquire_run_folder\nacquire_run_folder(sys.argv[1])\nprint('locked', flush=True)\n"
         "time.sleep(60)", run["folder"]],
        env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        start = time.monotonic()
        busy = ray_launcher.run_attempt("resnet", run, str(log), str(stop), lock_wait=1.0)
        assert 1.0 <= time.monotonic() - start < 10
        assert busy["holder"].startswith(f"pid {holder.pid} on host ")
        assert busy["returncode"] is None and not log.exists()
    finally:
        holder.kill()
        holder.wait()
    (pathlib.Path(run["folder"]) / "results.json").write_text('{"complete": true}')
    done = ray_launcher.run_attempt("resnet", run, str(log), str(stop), lock_wait=0)
    assert done["finished"] and done["returncode"] == 0 and not log.exists()


ORPHAN = r"""
import sys
from infodl.experiments import ray_launcher, sweep
sweep.run_command = lambda: [sys.executable, "-c", sys.argv[1]]
run = {"setting": "a", "seed": 0, "folder": sys.argv[2], "values": {"log_dir": sys.argv[2]}}
ray_launcher.run_attempt("resnet", run, sys.argv[3], sys.argv[4], lock_wait=0)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_killed_worker_s_run_gets_sigterm_and_saves_its_checkpoint(tmp_path):
    """What a Ray worker killed mid-run leaves: its run stops with a checkpoint."""
    run = _run(tmp_path)
    log = tmp_path / "a.log"
    worker = subprocess.Popen([sys.executable, "-c", ORPHAN, FAKE_RUN, run["folder"], str(log),
                               str(tmp_path / "stop")], env=dict(os.environ,
                                                                 PYTHONPATH=str(ROOT)))
    deadline = time.monotonic() + 60
    while "training" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline and worker.poll() is None
        time.sleep(0.1)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    marker = pathlib.Path(run["folder"]) / "sigterm"
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert time.monotonic() < deadline, "the orphaned run did not get SIGTERM"
        time.sleep(0.1)
    assert marker.read_text() == "checkpoint"


class _FakeRay:
    class exceptions:
        class RayError(Exception):
            pass

    def __init__(self, outcome):
        self.outcome = outcome

    def get(self, ref):
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


class WorkerCrashedError(_FakeRay.exceptions.RayError):
    pass


def test_failed_attempts_are_retried_then_failed_once(tmp_path):
    run = {"setting": "a", "seed": 0, "folder": str(tmp_path / "a" / "seed_0")}
    (tmp_path / "logs").mkdir()
    outcomes = {"trained": [], "failed": [], "busy": []}
    crash = _FakeRay(WorkerCrashedError("the worker died"))
    settle = ray_launcher._settle
    assert not settle(crash, None, run, str(tmp_path), {("a", 0): 1}, 2, outcomes)
    assert not settle(_FakeRay({"returncode": 1, "holder": None, "finished": False,
                                "stopped": False, "node": "n1"}),
                      None, run, str(tmp_path), {("a", 0): 2}, 2, outcomes)
    assert settle(crash, None, run, str(tmp_path), {("a", 0): 3}, 2, outcomes)
    assert outcomes["trained"] == [] and outcomes["busy"] == []
    assert [r["returncode"] for r in outcomes["failed"]] == ["WorkerCrashedError"]
    notes = (tmp_path / "logs" / "a_seed0.log").read_text().splitlines()
    assert notes == [
        "[ray launcher] attempt 1 ended: WorkerCrashedError; starting it again (1 of 2 retries)",
        "[ray launcher] attempt 2 on n1 ended: 1; starting it again (2 of 2 retries)",
        "[ray launcher] attempt 3 ended: WorkerCrashedError; no retries left"]
    # a run refused its folder is busy, never retried; one found finished counts once
    busy = _FakeRay({"returncode": None, "holder": "pid 7 on host h", "finished": False,
                     "stopped": False, "node": "n1"})
    assert settle(busy, None, run, str(tmp_path), {("a", 0): 1}, 2, outcomes)
    finished = _FakeRay({"returncode": 0, "holder": None, "finished": True, "stopped": False,
                         "node": "n1"})
    assert settle(finished, None, run, str(tmp_path), {("a", 0): 2}, 2, outcomes)
    assert [r["holder"] for r in outcomes["busy"]] == ["pid 7 on host h"]
    assert [(r["setting"], r["returncode"]) for r in outcomes["trained"]] == [("a", 0)]


TINY = ("experiment: resnet\nresources: {cpu: 1}\n"
        "flags: {model: resnet20, dataset: synthetic, synthetic_sizes: '64,32', batch_size: 8, "
        "train_steps: 32, eval_every: 8, info_every: 8, block_ratio_every: 0, "
        "classifier_stats_every: 0, deterministic: true}\n"
        "seeds: [0, 1]\nsettings:\n  - {name: original}\n  - {name: alpha2_0.05, alpha2: 0.05}\n")
SETTINGS = ("original", "alpha2_0.05")


@pytest.fixture
def ray_cluster(tmp_path):
    """A one-node Ray cluster on 127.0.0.1 with two worker slots; its address.

    `ray start --block` keeps the cluster's processes under this one process (and its
    session), which ends them when it ends; no other Ray on the machine is touched.
    """
    port = free_port()
    temp_dir = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths
    env = dict(os.environ, **RAY_LOOPBACK)
    with open(tmp_path / "ray_head.log", "w") as log:
        head = subprocess.Popen(
            [sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block",
             "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2",
             "--num-gpus=0", "--include-dashboard=false", "--disable-usage-stats",
             f"--ray-client-server-port={free_port()}", f"--temp-dir={temp_dir}"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                ray_launcher.check_reachable(f"127.0.0.1:{port}", timeout=1)
                break
            except ValueError:
                assert head.poll() is None and time.monotonic() < deadline, (
                    (tmp_path / "ray_head.log").read_text()[-3000:])
                time.sleep(1)
        yield f"127.0.0.1:{port}"
    finally:
        head.send_signal(signal.SIGTERM)  # --block stops the cluster's processes
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)  # the session this fixture started
            head.wait()
        shutil.rmtree(temp_dir, ignore_errors=True)


def _run_process(folder):
    """(pid, parent pid) of the run process training in `folder`, or None."""
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if f"--log_dir={folder}".encode() in arguments and b"infodl" in arguments:
            return int(entry.name), int(stat.rsplit(")", 1)[1].split()[1])
    return None


def _sweep_command(sweep_file, log_dir, *flags):
    return [sys.executable, str(ROOT / "run.py"), f"--sweep={sweep_file}",
            f"--log_dir={log_dir}", *flags]


def _flat(row):
    """A report row with its (mean, std) pairs spread out: pytest.approx takes no nesting."""
    return {(key, i): item for key, value in row.items()
            for i, item in enumerate(value if isinstance(value, list) else [value])}


def _report(log_dir):
    result = subprocess.run([sys.executable, str(ROOT / "run.py"), "--experiment=report",
                             f"--log_dir={log_dir}"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads((log_dir / "report.json").read_text())["rows"]


@pytest.mark.slow
def test_ray_sweep_survives_a_killed_worker_and_reports_like_the_local_one(
        tmp_path, ray_cluster):
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(TINY)
    env = dict(os.environ, **RAY_LOOPBACK, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    on_ray = tmp_path / "on_ray"
    driver = subprocess.Popen(
        _sweep_command(sweep_file, on_ray, "--sweep_launcher=ray",
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
                    found = _run_process(folder)
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
    subprocess.run(_sweep_command(sweep_file, local, "--sweep_workers=2"), cwd=ROOT, env=env,
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
            assert run_numbers(folder) == pytest.approx(
                run_numbers(local / name / f"seed_{s}"), rel=1e-6 if resumed else 0), (name, s)
    rows = {row["setting"]: row for row in _report(on_ray)}
    local_rows = {row["setting"]: row for row in _report(local)}
    assert rows[setting]["seeds_finished"] == 2
    for name in SETTINGS:  # the same table whichever launcher ran the grid
        assert _flat(rows[name]) == pytest.approx(_flat(local_rows[name]), rel=1e-6), name


@pytest.mark.parametrize("signal_at_step, evaluated_at", [(6, [4]), (8, [4, 8])])
def test_a_run_stopped_off_its_evaluation_grid_is_not_evaluated_there(signal_at_step,
                                                                        evaluated_at):
    """A run stopped by SIGTERM between evaluations (a killed Ray worker's run) and resumed
    has the evaluations of an uninterrupted run: none at the stop step, unless on grid."""
    import types

    import keras
    import numpy as np

    from infodl.callbacks.graceful_stop import GracefulStop
    from infodl.callbacks.periodic_evaluation import PeriodicEvaluation
    from infodl.experiments.resnet_callbacks import _stopped_off_grid

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.1),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = np.ones((32, 3), "float32"), np.zeros(32, "int32")
    saved = []
    stop = GracefulStop(saved.append)
    config = types.SimpleNamespace(eval_every=4, train_steps=12)
    evaluation = PeriodicEvaluation([(x[:8], y[:8])], [8],
                                    skip_if=lambda: _stopped_off_grid(stop, config))

    class Signal(keras.callbacks.Callback):  # SIGTERM during the step that ends at N
        def on_train_batch_begin(self, batch, logs=None):
            if int(self.model.optimizer.iterations) == signal_at_step - 1:
                signal.raise_signal(signal.SIGTERM)

    model.fit(x, y, batch_size=2, steps_per_epoch=4, epochs=3, verbose=0, shuffle=False,
              callbacks=[evaluation, Signal(), stop])
    assert saved == [signal_at_step]
    assert [step for step, _ in evaluation.history] == evaluated_at

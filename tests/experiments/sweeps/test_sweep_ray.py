"""Sweeps on Ray (issue 21, points 2-3), without a cluster: flags, resources, an
unreachable cluster, the attempt of one run (stop request, parent death, busy folder),
retries, and a run stopped off its evaluation grid. The tests on a real cluster are in
test_sweep_ray_cluster.py."""

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time
import types

import pytest

from infodl.experiments.registry import EXPERIMENTS
from infodl.experiments.sweeps import plan as sweep
from infodl.experiments.sweeps import ray_launcher
from infodl.experiments.sweeps.config import SweepSettings
from infodl.experiments.sweeps.plan import _load_sweep_file, plan_runs, run_resources
from tests.experiments.sweeps.ray_cluster_helpers import FAKE_RUN, ROOT, free_port


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
        plan_runs(_load_sweep_file(path), EXPERIMENTS, str(tmp_path / "out"))


def test_resources_default_and_given():
    assert run_resources({}) == {"cpu": 1.0, "gpu": 0.0}
    assert run_resources({"resources": {"cpu": 4, "gpu": 0.5}}) == {"cpu": 4.0, "gpu": 0.5}


NODES = [{"Alive": True, "NodeManagerAddress": "10.0.0.1", "Resources": {"CPU": 8.0}},
         {"Alive": True, "NodeManagerAddress": "10.0.0.2",
          "Resources": {"CPU": 2.0, "GPU": 1.0}},
         {"Alive": False, "NodeManagerAddress": "10.0.0.3",
          "Resources": {"CPU": 64.0, "GPU": 8.0}}]


def test_resources_checked_against_the_cluster():
    ray_launcher._check_resources({"cpu": 8, "gpu": 0}, NODES)  # node 1
    ray_launcher._check_resources({"cpu": 2, "gpu": 1}, NODES)  # node 2
    with pytest.raises(ValueError) as error:  # 4 CPUs and a GPU on no live node (not .3)
        ray_launcher._check_resources({"cpu": 4, "gpu": 1}, NODES)
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



def test_ray_init_options(monkeypatch):
    """Without an address, a new Ray here ("local"): Ray's own default (None) joins the
    cluster named in its temp dir's ray_current_cluster, the last `ray start` here even
    when long gone (minutes of retries). And the workers do not SIGKILL their runs."""
    calls = []
    fake_ray = types.SimpleNamespace(init=lambda **options: calls.append(options))
    monkeypatch.setitem(sys.modules, "ray", fake_ray)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setattr(ray_launcher, "_grpc_answer", lambda link, timeout: None)  # gRPC
    with socket.socket() as head:  # a cluster that answers
        head.bind(("127.0.0.1", 0))
        head.listen()
        given = f"127.0.0.1:{head.getsockname()[1]}"
        for address in (None, given, "auto"):
            assert ray_launcher.connect(address) is fake_ray
    assert [c["address"] for c in calls] == ["local", given, "auto"]
    assert [c.get("include_dashboard") for c in calls] == [False, None, None]
    # an exiting worker (its driver killed) does not SIGKILL its run: the run gets the
    # parent-death SIGTERM and saves a checkpoint
    assert all(c["runtime_env"]["env_vars"]["RAY_kill_child_processes_on_worker_exit"] == "0"
               for c in calls)


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
import infodl.experiments.cli.command_line
from infodl.experiments.registry import EXPERIMENTS
from infodl.experiments.sweeps.report import _run_numbers
from infodl.experiments.sweeps.plan import _prepare_sweep, run_sweep
_, runs, _ = _prepare_sweep(sys.argv[1], sys.argv[2], EXPERIMENTS)
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
    attempt = threading.Thread(target=lambda: results.append(ray_launcher._run_attempt(
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
    queued = ray_launcher._run_attempt("resnet", run, str(log), str(stop), lock_wait=0)
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
        busy = ray_launcher._run_attempt("resnet", run, str(log), str(stop), lock_wait=1.0)
        assert 1.0 <= time.monotonic() - start < 10
        assert busy["holder"].startswith(f"pid {holder.pid} on host ")
        assert busy["returncode"] is None and not log.exists()
    finally:
        holder.kill()
        holder.wait()
    (pathlib.Path(run["folder"]) / "results.json").write_text('{"complete": true}')
    done = ray_launcher._run_attempt("resnet", run, str(log), str(stop), lock_wait=0)
    assert done["finished"] and done["returncode"] == 0 and not log.exists()


ORPHAN = r"""
import sys
from infodl.experiments.sweeps import ray_launcher
from infodl.experiments.sweeps import plan as sweep
sweep.run_command = lambda: [sys.executable, "-c", sys.argv[1]]
run = {"setting": "a", "seed": 0, "folder": sys.argv[2], "values": {"log_dir": sys.argv[2]}}
ray_launcher._run_attempt("resnet", run, sys.argv[3], sys.argv[4], lock_wait=0)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_killed_worker_s_run_gets_sigterm_and_saves_its_checkpoint(tmp_path):
    """What a Ray worker killed mid-run leaves: its run stops with a checkpoint."""
    run = _run(tmp_path)
    log = tmp_path / "a.log"
    worker = subprocess.Popen([sys.executable, "-c", ORPHAN, FAKE_RUN, run["folder"], str(log),
                               str(tmp_path / "stop")], env=dict(os.environ,
                                                                 PYTHONPATH=str(ROOT)))
    deadline = time.monotonic() + 240  # generous: a loaded CI machine
    while "training" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline and worker.poll() is None
        time.sleep(0.1)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    marker = pathlib.Path(run["folder"]) / "sigterm"
    deadline = time.monotonic() + 120
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
    from infodl.experiments.resnet.callbacks import _stopped_off_grid

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

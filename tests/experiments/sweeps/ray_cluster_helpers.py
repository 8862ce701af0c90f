"""What the Ray sweep tests share: loopback settings, a stand-in run, a one-node cluster
on 127.0.0.1, the tiny 2 settings × 2 seeds sweep, and how to find a run's process."""

import contextlib
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from infodl.experiments.sweeps import ray_launcher

ROOT = pathlib.Path(__file__).resolve().parents[3]
# Ray on this test machine stays on loopback only with these two (see the tests of a real
# cluster); the library never sets them for its users.
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
TINY = ("experiment: resnet\nresources: {cpu: 1}\n"
        "flags: {model: resnet20, dataset: synthetic, synthetic_sizes: '64,32', batch_size: 8, "
        "train_steps: 32, eval_every: 8, info_every: 8, block_ratio_every: 0, "
        "classifier_stats_every: 0, deterministic: true}\n"
        "seeds: [0, 1]\nsettings:\n  - {name: original}\n  - {name: alpha2_0.05, alpha2: 0.05}\n")
SETTINGS = ("original", "alpha2_0.05")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def one_node_cluster(tmp_path):
    """A one-node Ray cluster on 127.0.0.1 with two worker slots; yields its address.

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


def run_process(folder):
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


def sweep_command(sweep_file, log_dir, *flags):
    return [sys.executable, str(ROOT / "run.py"), f"--sweep={sweep_file}",
            f"--log_dir={log_dir}", *flags]


def sweep_env():
    """A sweep driver's environment: Ray on loopback, TensorFlow quiet, this checkout."""
    return dict(os.environ, **RAY_LOOPBACK, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))


def start_driver(command):
    """A sweep driver process that Ctrl-C reaches (also when the tests are a background
    job, which starts its children with SIGINT ignored)."""
    return subprocess.Popen(command, cwd=ROOT, env=sweep_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def training(folder):
    """True while the run in `folder` has logged an evaluation and is not complete."""
    metrics = folder / "metrics.jsonl"
    return (metrics.is_file() and bool(metrics.read_text().strip())
            and not (folder / "results.json").exists())


def flat(row):
    """A report row with its (mean, std) pairs spread out: pytest.approx takes no nesting."""
    return {(key, i): item for key, value in row.items()
            for i, item in enumerate(value if isinstance(value, list) else [value])}


def report(log_dir):
    result = subprocess.run([sys.executable, str(ROOT / "run.py"), "--experiment=report",
                             f"--log_dir={log_dir}"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads((log_dir / "report.json").read_text())["rows"]

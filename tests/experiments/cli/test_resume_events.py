"""Every experiment that resumes leaves each TensorBoard (tag, step) once after a SIGKILL
and a rerun of the same command (issue 30, case 6), read with TensorBoard's reader.

Each run is killed once events newer than its newest checkpoint are on disk (the points a
resume writes again); the info-plane experiment, which restarts an interrupted seed, is
killed once its seed has events."""

import glob
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from tests.experiments.event_reading import duplicate_points, event_points

ROOT = pathlib.Path(__file__).resolve().parents[3]
IB = ["--dataset=digits", "--critic_steps=2", "--critic_hidden_units=8", "--batch_size=32",
      "--info_examples=50", "--critic_pretrain_steps=20", "--log_every=1",
      "--checkpoint_every=20", "--verbose=0"]
EXPERIMENTS = {
    "resnet": (["--experiment=resnet", "--dataset=synthetic", "--model=resnet20",
                "--train_steps=40", "--eval_every=10", "--summary_every=1", "--verbose=0"],
               ""),
    "invnet": (["--experiment=invnet", "--dataset=digits", "--epochs=4", "--batch_size=64",
                "--summary_every=1", "--noanalyze", "--verbose=0"], ""),
    "ib_layerwise": (["--experiment=ib_layerwise", *IB, "--iterations_per_layer=40",
                      "--posttrain_steps=5"], "seed_0"),
    "ib_end_to_end": (["--experiment=ib_end_to_end", *IB, "--train_steps=60"], "seed_0"),
    "info_plane": (["--experiment=info_plane", "--epochs=3000", "--num_log_points=200",
                    "--verbose=0"], "seed_0"),
}


def _wall_times(folder):
    """The wall times of the events on disk now (a record being written is left out)."""
    import tensorflow as tf

    times = []
    for path in glob.glob(os.path.join(folder, "events.out.tfevents.*")):
        try:
            for event in tf.compat.v1.train.summary_iterator(path):
                if event.summary.value:
                    times.append(event.wall_time)
        except tf.errors.DataLossError:
            pass
    return times


def _newest_checkpoint_time(folder):
    found = glob.glob(os.path.join(folder, "checkpoints", "ckpt-*"))
    return max((os.path.getmtime(p) for p in found), default=None)


def _ready_to_kill(folder, checkpointed):
    times = _wall_times(folder)
    if not checkpointed:
        return len(times) > 0
    newest = _newest_checkpoint_time(folder)
    return newest is not None and any(t > newest for t in times)


@pytest.mark.slow  # 1-3 minutes each on 2 cores
@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_killed_and_resumed_runs_write_each_point_once(tmp_path, name):
    argv, seed_folder = EXPERIMENTS[name]
    command = [sys.executable, str(ROOT / "run.py"), *argv, f"--log_dir={tmp_path / 'run'}"]
    folder = str(tmp_path / "run" / seed_folder)
    checkpointed = name != "info_plane"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 600
    while not _ready_to_kill(folder, checkpointed):
        assert process.poll() is None, process.communicate()[1][-3000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _ready_to_kill(folder, checkpointed)  # points a resume writes again are on disk
    before = set(event_points(folder))

    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=900)
    assert again.returncode == 0, again.stderr[-3000:]
    assert duplicate_points(folder) == {}
    assert before <= set(event_points(folder))  # nothing of the first part is lost

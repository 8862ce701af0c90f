"""The ResNet path at scale: tf.distribute, determinism, signals and kills, mixed precision.

Each test runs in a subprocess: logical devices and op determinism are set once per
process, and the signal tests need a process to stop.
"""

import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

ROOT = pathlib.Path(__file__).resolve().parents[3]
SMALL = ("--model=resnet20", "--dataset=synthetic", "--synthetic_sizes=64,32",
         "--batch_size=8", "--summary_every=1", "--verbose=0", "--alpha1=1e-3",
         "--alpha2=0.05")

TWO_DEVICES = r"""
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from infodl.run_folder.epoch_log import read_epoch_log
from infodl.experiments.resnet.experiment import run
from infodl.experiments.resnet.config import ResNetConfig
common = dict(model="resnet20", dataset="synthetic", train_steps=4, eval_every=1,
              summary_every=1, alpha1=1e-3, alpha2=0.05, synthetic_sizes=(64, 32),
              verbose=0, deterministic=True, info_every=2, classifier_stats_every=2,
              block_ratio_every=2)
runs = {"single_a": dict(batch_size=16), "single_b": dict(batch_size=16),
        "mirrored": dict(batch_size=8, distribution_strategy="mirrored")}
out = {}
for name, settings in runs.items():
    run(ResNetConfig(log_dir=f"{sys.argv[1]}/{name}", **common, **settings))
    out[name] = read_epoch_log(f"{sys.argv[1]}/{name}/metrics.jsonl")
print(json.dumps(out))
"""


def run_python(code, *args, timeout=900):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def cli(*args, log_dir):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.Popen([sys.executable, str(ROOT / "run.py"), *SMALL, *args,
                             f"--log_dir={log_dir}"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow  # 40-140 s on 2 cores; python -m pytest -q --runslow runs it
def test_mirrored_on_two_devices_matches_one_device_and_runs_are_deterministic(tmp_path):
    """Per-replica batch 8 on 2 replicas = batch 16 on one device (losses, regularizer
    terms, measurements); two deterministic runs with one seed are identical."""
    out = run_python(TWO_DEVICES, str(tmp_path))
    single, again, mirrored = out["single_a"], out["single_b"], out["mirrored"]
    assert [r["step"] for r in single] == [1, 2, 3, 4]
    assert single == again  # --deterministic: bit-identical losses and measurements
    for ours, theirs in zip(mirrored, single, strict=True):
        assert ours["step"] == theirs["step"]
        for key in ("loss", "cross_entropy", "accuracy"):
            assert ours[key] == pytest.approx(theirs[key], rel=2e-3), (ours["step"], key)
        for key in theirs:
            if key.startswith(("block_ratio/", "classifier/feature", "info/")):
                assert ours[key] == pytest.approx(theirs[key], rel=2e-2, abs=1e-4), key
    assert any(k.startswith("block_ratio/") for k in mirrored[1])  # measured at step 2


# The default suite's version of the two tests above and below: a one-unit ResNet (4-8
# channels, the run's code path unchanged) trains 2 steps on one device, mirrored on two
# logical CPUs, and in mixed_bfloat16, in one process (mode="train": no evaluation to
# trace); each run's step-2 checkpoint is restored into a fresh model, whose weights and
# layer dtypes are compared.
SMALL_SCALE = r"""
import json, sys
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from infodl.models.architectures import ARCHITECTURES, Architecture
ARCHITECTURES["resnet20"] = Architecture(1, (4, 4, 8, 8))
from infodl.data import load_dataset
from infodl.experiments.resnet.config import ResNetConfig
from infodl.experiments.resnet.experiment import build_compiled_model, dtype_policy, run
from infodl.run_folder.checkpoints import latest_checkpoint, restore_checkpoint
from infodl.run_folder.epoch_log import read_epoch_log
from infodl.training.distribution import make_strategy
common = dict(model="resnet20", dataset="synthetic", synthetic_sizes=(32, 16), train_steps=2,
              eval_every=2, alpha1=1e-3, alpha2=0.05, measurements=False, augment=False,
              deterministic=True, mode="train", verbose=0)
runs = {"single": dict(batch_size=16),
        "mirrored": dict(batch_size=8, distribution_strategy="mirrored"),
        "bfloat16": dict(batch_size=16, dtype_policy="mixed_bfloat16")}
dataset = load_dataset("synthetic", synthetic_sizes=common["synthetic_sizes"])
out = {"replicas": make_strategy("mirrored").num_replicas_in_sync}
for name, settings in runs.items():
    config = ResNetConfig(log_dir=f"{sys.argv[1]}/{name}", **common, **settings)
    results = run(config)
    with dtype_policy(config.dtype_policy):
        model = build_compiled_model(config, dataset.num_classes, dataset.image_shape)
    restore_checkpoint(model, latest_checkpoint(f"{config.log_dir}/checkpoints"))
    out[name] = dict(
        records=read_epoch_log(f"{config.log_dir}/metrics.jsonl"), results=results,
        weights={v.path: np.asarray(v).tolist() for v in model.weights},
        dtypes={layer.name: [layer.compute_dtype, [v.dtype for v in layer.weights]]
                for layer in model.layers if layer.weights})
print(json.dumps(out))
"""


def test_small_mirrored_and_bfloat16_steps_match_the_float32_single_device_step(tmp_path):
    """Two replicas of batch 8 = one device with batch 16 (losses and weights after 2
    steps to float32 rounding); mixed_bfloat16 computes the convolutions and batch norms
    in bfloat16 with float32 variables and float32 logits, and follows float32 to the
    precision of bfloat16 without being equal to it."""
    out = run_python(SMALL_SCALE, str(tmp_path), timeout=600)
    single, mirrored, mixed = out["single"], out["mirrored"], out["bfloat16"]
    assert out["replicas"] == 2
    assert [r["step"] for r in single["records"]] == [2] and single["results"]["step"] == 2
    (one,), (two,), (low,) = single["records"], mirrored["records"], mixed["records"]
    for key in ("loss", "cross_entropy"):
        assert two[key] == pytest.approx(one[key], rel=1e-5), key
        assert low[key] == pytest.approx(one[key], rel=1e-2), key
        assert np.isfinite(low[key])
    assert low["loss"] != one["loss"]  # bfloat16 arithmetic really ran
    weights = {name: np.array(value) for name, value in single["weights"].items()}
    assert set(mirrored["weights"]) == set(weights) == set(mixed["weights"])
    for name, value in weights.items():
        scale = np.max(np.abs(value)) + 1e-12
        if "last_alpha" not in name:  # one replica's regularizer term of its own half batch
            assert np.max(np.abs(np.array(mirrored["weights"][name]) - value)) < 1e-4 * scale, name
        if name.endswith("kernel"):
            assert np.max(np.abs(np.array(mixed["weights"][name]) - value)) < 1e-2 * scale, name
    assert single["dtypes"]["unit_2_0"] == ["float32", ["float32"] * 10]
    for layer, (compute, variables) in mixed["dtypes"].items():
        assert compute == ("float32" if layer == "logits" else "bfloat16"), layer
        assert set(variables) == {"float32"}, layer


def _scalar_steps(log_dir):
    steps = {}
    for path in sorted(pathlib.Path(log_dir).glob("events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(str(path)):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                steps.setdefault(value.tag, []).append(event.step)
    return steps


def _check_logs_have_each_point_once(log_dir, train_steps, eval_every):
    steps = _scalar_steps(log_dir)
    assert sorted(steps["train/learning_rate"]) == list(range(1, train_steps + 1))
    for tag, found in steps.items():
        assert len(found) == len(set(found)), (tag, sorted(found))
    records = [json.loads(line) for line in open(pathlib.Path(log_dir) / "metrics.jsonl")]
    record_steps = [r["step"] for r in records]
    assert len(record_steps) == len(set(record_steps)) and record_steps == sorted(record_steps)
    assert set(range(eval_every, train_steps + 1, eval_every)) <= set(record_steps)
    assert sorted(steps["test/accuracy"]) == record_steps
    results = json.loads((pathlib.Path(log_dir) / "results.json").read_text())
    assert results["step"] == train_steps and results["complete"]
    return steps, records


def _wait_for_training(log_dir, process, minimum_step=3, timeout=300):
    """Waits until the run has written its train scalar of `minimum_step`."""
    start = time.time()
    while time.time() - start < timeout:
        assert process.poll() is None, process.communicate()[1][-3000:]
        try:
            steps = _scalar_steps(log_dir).get("train/learning_rate", [])
        except (tf.errors.DataLossError, OSError):
            steps = []
        if steps and max(steps) >= minimum_step:
            return max(steps)
        time.sleep(0.5)
    raise AssertionError("the run did not start training in time")


@pytest.mark.slow  # 40-140 s on 2 cores; python -m pytest -q --runslow runs it
def test_sigterm_saves_a_checkpoint_and_the_same_command_resumes(tmp_path):
    log_dir = tmp_path / "run"
    args = ("--train_steps=30", "--eval_every=10", "--measurements=false")
    process = cli(*args, log_dir=log_dir)
    _wait_for_training(log_dir, process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 128 + signal.SIGTERM, stderr[-3000:]
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "stopped by SIGTERM at step" in errors[0], stderr[-3000:]
    stopped_at = int(errors[0].split("at step ")[1].split(";")[0])
    assert (log_dir / "checkpoints" / f"ckpt-{stopped_at:08d}.keras").is_file()
    resumed = cli(*args, log_dir=log_dir)
    stdout, stderr = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, stderr[-3000:]
    assert f"resumed_from={stopped_at}" in stdout
    _check_logs_have_each_point_once(log_dir, 30, 10)


@pytest.mark.slow
@pytest.mark.ci_slow
@pytest.mark.parametrize("when", ["before_the_first_checkpoint", "at_a_random_step"])
def test_sigkill_at_a_random_step_then_the_same_command_finishes_cleanly(tmp_path, when):
    """Killed without warning; the rerun continues from the last checkpoint (or starts
    again when there is none yet) and every TensorBoard and metrics.jsonl point appears
    exactly once.

    The kill point is drawn from a printed seed: replay a failure with
    INFODL_KILL_SEED=<seed> (the kill still lands wherever training is at that moment).
    """
    seed = int(os.environ.get("INFODL_KILL_SEED", random.SystemRandom().randrange(2**31)))
    print(f"kill seed {seed} (replay: INFODL_KILL_SEED={seed})")
    rng = random.Random(seed)
    log_dir = tmp_path / "run"
    args = ("--train_steps=40", "--eval_every=5", "--info_every=5",
            "--classifier_stats_every=5", "--block_ratio_every=5")
    process = cli(*args, log_dir=log_dir)
    if when == "before_the_first_checkpoint":  # step 0 measured, no checkpoint (step 5)
        _wait_for_training(log_dir, process, minimum_step=2)
    else:
        _wait_for_training(log_dir, process, minimum_step=rng.randint(3, 30))
        time.sleep(rng.uniform(0, 1.5))
    process.kill()
    process.communicate()
    resumed = cli(*args, log_dir=log_dir)
    stdout, stderr = resumed.communicate(timeout=900)
    assert resumed.returncode == 0, f"kill seed {seed}: {stderr[-3000:]}"
    if when == "before_the_first_checkpoint":
        assert "resumed_from=0" in stdout
    steps, _ = _check_logs_have_each_point_once(log_dir, 40, 5)
    assert sorted(steps["block_ratio/max"]) == list(range(0, 41, 5))
    assert sorted(steps["info/constraint_nats"]) == list(range(0, 41, 5))


MIXED = r"""
import json, sys
from infodl.run_folder.epoch_log import read_epoch_log
from infodl.experiments.resnet.experiment import run
from infodl.experiments.resnet.config import ResNetConfig
common = dict(model="resnet20", dataset="synthetic", train_steps=6, eval_every=2,
              batch_size=16, synthetic_sizes=(64, 32), alpha2=0.05, verbose=0,
              info_every=2, classifier_stats_every=2, block_ratio_every=2)
out = {}
for policy in ("float32", "mixed_bfloat16"):
    run(ResNetConfig(log_dir=f"{sys.argv[1]}/{policy}", dtype_policy=policy, **common))
    out[policy] = read_epoch_log(f"{sys.argv[1]}/{policy}/metrics.jsonl")
print(json.dumps(out))
"""


@pytest.mark.slow  # 40-140 s on 2 cores; python -m pytest -q --runslow runs it
def test_mixed_bfloat16_follows_the_float32_loss_curve(tmp_path):
    out = run_python(MIXED, str(tmp_path))
    full, mixed = out["float32"], out["mixed_bfloat16"]
    assert [r["step"] for r in mixed] == [2, 4, 6]
    losses = np.array([[r["loss"] for r in run] for run in (full, mixed)])
    np.testing.assert_allclose(losses[1], losses[0], rtol=0.05)
    assert all(np.isfinite(r["info/constraint_nats"]) for r in mixed)


@pytest.mark.slow
def test_multi_worker_strategy_from_tf_config_runs_one_worker(tmp_path):
    """MultiWorkerMirroredStrategy reads TF_CONFIG; a one-worker cluster is the chief."""
    import socket

    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_CONFIG=json.dumps(
        {"cluster": {"worker": [f"localhost:{port}"]}, "task": {"type": "worker", "index": 0}}))
    result = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *SMALL, "--train_steps=2", "--eval_every=2",
         "--measurements=false", "--distribution_strategy=multi_worker",
         f"--log_dir={tmp_path / 'run'}"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((tmp_path / "run" / "results.json").read_text())["step"] == 2
    bad = subprocess.run([sys.executable, str(ROOT / "run.py"), *SMALL,
                          "--distribution_strategy=multi_worker",
                          f"--log_dir={tmp_path / 'bad'}"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_CONFIG=""))
    assert bad.returncode == 1 and "TF_CONFIG" in bad.stderr.splitlines()[-1]

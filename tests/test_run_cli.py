"""run.py: bad input ends in one clear error line and exit code 1, never a traceback."""

import dataclasses
import os
import pathlib
import re
import socket
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_cli(*args, timeout=120):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(result, fragment):
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr[-2000:]
    assert fragment in errors[0]


@pytest.mark.parametrize("flag, fragment", [
    ("--model=resnet33", "Expected model in"),
    ("--dataset=imagenet", "Expected dataset in"),
    ("--alpha2=-1", "Expected alpha2 >= 0. Received: alpha2=-1.0"),
    ("--alpha1=-0.5", "Expected alpha1 >= 0"),
    ("--batch_size=0", "Expected batch_size >= 1"),
    ("--train_steps=-5", "Expected train_steps >= 1"),
    ("--lr_values=0.1,0.01", "Expected one more lr value than lr boundaries"),
    ("--regularizer=ib", "Expected regularizer in"),
])
def test_bad_flag_values(flag, fragment, tmp_path):
    result = run_cli(flag, "--dataset=synthetic" if "dataset" not in flag else flag,
                     f"--log_dir={tmp_path / 'run'}")
    assert_one_line_error(result, fragment)
    assert not (tmp_path / "run").exists()  # nothing written for a rejected config


def test_missing_data_folder_is_the_first_and_only_line(tmp_path):
    """Also: no CUDA / absl start-up notices before the user's error line."""
    result = run_cli(f"--data_dir={tmp_path / 'nowhere'}", f"--log_dir={tmp_path / 'run'}")
    assert_one_line_error(result, "nowhere")
    assert result.stderr.startswith("Error: "), result.stderr[:500]
    for notice in ("cuInit", "cuda drivers", "absl::InitializeLog", "cpu_feature_guard"):
        assert notice not in result.stderr + result.stdout


def test_corrupt_cifar_file(tmp_path):
    data_dir = tmp_path / "cifar"
    data_dir.mkdir()
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        (data_dir / name).write_bytes(b"\x01" * 1000)  # not a multiple of 3073 bytes
    result = run_cli(f"--data_dir={data_dir}", f"--log_dir={tmp_path / 'run'}")
    assert_one_line_error(result, "data_batch_1.bin")


def _online():
    try:
        socket.create_connection(("www.cs.toronto.edu", 443), timeout=3).close()
        return True
    except OSError:
        return False


def test_offline_tfds_fails_fast_with_the_offline_options(tmp_path):
    if _online():
        pytest.skip("this machine can download CIFAR-10; the offline path is not reachable")
    result = run_cli("--model=resnet32", "--alpha2=0.03", f"--log_dir={tmp_path / 'run'}",
                     timeout=90)
    assert_one_line_error(result, "--dataset=synthetic")
    assert "--data_dir" in result.stderr


@pytest.mark.parametrize("args, fragment", [
    (("--experiment=info_plane", "--model=resnet20"),
     "--model does not apply to --experiment=info_plane"),
    (("--estimator=kde",), "--estimator does not apply to --experiment=resnet"),
    (("--experiment=info_plane", "--activation=softmaxx"), "Expected activation in"),
    (("--experiment=info_plane", "--layer_sizes=10,x,2"), "Expected integers in --layer_sizes"),
    (("--experiment=info_plane", "--train_fraction=1.0"), "Expected 0 < train_fraction < 1"),
])
def test_info_plane_bad_flags(args, fragment, tmp_path):
    result = run_cli(*args, f"--log_dir={tmp_path / 'run'}")
    assert_one_line_error(result, fragment)
    assert not (tmp_path / "run").exists()


def test_info_plane_command_writes_trajectory_and_figure(tmp_path):
    import json

    import numpy as np

    log_dir = tmp_path / "tanh"
    result = run_cli("--experiment=info_plane", "--epochs=20", "--num_log_points=4",
                     "--layer_sizes=6,4,2", "--batch_size=256", f"--log_dir={log_dir}",
                     "--verbose=0")
    assert result.returncode == 0, result.stderr[-2000:]
    assert (log_dir / "info_plane.png").stat().st_size > 10_000
    trajectory = np.load(log_dir / "trajectory_mean.npz")
    # the flags reached the config; 4096 generated inputs -> I(X;T) <= log2 4096 = 12 bits
    metadata = json.loads(str(trajectory["metadata"]))
    assert (metadata["batch_size"], metadata["train_fraction"]) == (256, 0.8)
    assert metadata["layer_sizes"] == [6, 4, 2] and metadata["activation"] == "tanh"
    assert list(trajectory["layer_names"]) == ["hidden_1", "hidden_2", "output"]
    assert np.all(trajectory["I_XT_bits"] <= 12.0 + 1e-9)
    assert trajectory["epochs"][-1] == 20
    first_line = [line for line in result.stdout.splitlines() if line.startswith("hidden_1")]
    assert first_line and "I(X;T) max" in first_line[0]
    assert result.stdout.strip().splitlines()[-2:] == [  # issue 34: where the run went
        f"run folder: {log_dir}", f"tensorboard --logdir {log_dir}"]


@pytest.mark.slow
def test_rerun_of_the_same_folder_spelled_differently_resumes(tmp_path):
    """Issue: runs/smoke vs runs/smoke/ vs its absolute path was a "different config".

    (The same in-process: tests/experiments/resnet/test_resnet_experiment.py.)
    """
    common = ("--model=resnet20", "--dataset=synthetic", "--train_steps=2", "--eval_every=2",
              "--measurements=false", "--verbose=0")
    first = run_cli(*common, f"--log_dir={tmp_path / 'smoke'}", timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    relative = os.path.relpath(tmp_path / "smoke", ROOT) + "/"
    again = run_cli(*common, f"--log_dir={relative}", timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "already complete at step 2" in again.stdout
    changed = run_cli(*common, "--alpha2=0.1", f"--log_dir={tmp_path / 'smoke'}/",
                      timeout=300)
    assert_one_line_error(changed, "different config (alpha2 0.0 -> 0.1); choose a new "
                                   "log_dir for this config (or pass --overwrite")


def test_library_argument_names_become_flags_in_errors():
    from infodl.experiments.cli import command_line as cli

    assert cli._as_flags("(or pass overwrite=True to delete the old run)") == (
        "(or pass --overwrite to delete the old run)")
    assert cli._as_flags("pass allow_partial_files=True") == "pass --allow_partial_files"
    assert cli._as_flags("pass sigma=True") == "pass sigma=True"  # not a flag: unchanged


def test_a_shared_flag_name_says_what_it_means_in_each_experiment():
    """--noise_variance is the KDE's sigma^2 for info_plane and the eps of I(X; L + eps)
    for IB training: the help shows both meanings, and one help where they agree."""
    from absl import flags

    from infodl.experiments.cli.flags import define_flags
    from infodl.experiments.registry import EXPERIMENTS, GLOBAL_SETTINGS

    flag_values = flags.FlagValues()
    owners = define_flags(EXPERIMENTS, flag_values, GLOBAL_SETTINGS)
    noise = flag_values["noise_variance"].help
    assert noise.startswith("[info_plane] Noise variance sigma^2 of the KDE estimator.")
    assert "[ib_layerwise, ib_end_to_end] Noise variance sigma^2 of I(X; L + eps)" in noise
    assert "2.0 for ib_layerwise" in noise and "0.1 for info_plane" in noise
    data_dir = flag_values["data_dir"].help
    assert data_dir.startswith("[resnet, ib_layerwise, ib_end_to_end, invnet] Folder")
    assert data_dir.count("[") == 2 and owners["data_dir"][-1] == "analyze"


def _help_entries(text):
    """{flag: [(its help as one line, its shown default or None)]} of absl's --help."""
    entries = {}
    for match in re.finditer(r"^  --(?:\[no\])?(\w+):\s(.*?)(?=^  --|^\S|\Z)", text, re.M | re.S):
        body = " ".join(match.group(2).split())
        default = re.search(r"\(default: '(.*?)'\)", body)
        entries.setdefault(match.group(1), []).append((body, default and default.group(1)))
    return entries


def _shown(value):
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return None if value is None else str(value)


def test_help_of_one_experiment_lists_its_flags_with_its_own_defaults():
    from infodl.experiments.registry import EXPERIMENTS

    result = run_cli("--experiment=ib_layerwise", "--help")
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "--alpha2" not in result.stdout and "--model" not in result.stdout
    entries = _help_entries(result.stdout)
    fields = {f.name: f for f in dataclasses.fields(EXPERIMENTS["ib_layerwise"].config)
              if "help" in f.metadata}
    assert set(entries) - {"flagfile", "undefok"} == set(fields) | {"experiment"}
    for name, field in fields.items():
        (help_text, default), = entries[name]  # listed once
        assert help_text.startswith(" ".join(field.metadata["help"].split())), name
        assert help_text.count("(default:") <= 1 and " for resnet" not in help_text, name
        assert default == _shown(field.default), (name, default, field.default)
    assert entries["beta"][0][1] == "0.001"  # layer-wise beta, not end-to-end's 1.0
    full = run_cli("--experiment=ib_layerwise", "--helpfull").stdout
    assert "--alpha2" in full and "--method" in full and "--sweep" in full

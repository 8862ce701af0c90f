"""The sweep-file check: one line before anything is written (issue 30, cases 3-5 and 9)."""

import os
import pathlib
import subprocess
import sys

import pytest

from infodl.experiments.registry import EXPERIMENTS
from infodl.experiments.sweeps.plan import _load_sweep_file, plan_runs

ROOT = pathlib.Path(__file__).resolve().parents[3]
HEAD = "experiment: resnet\nflags: {dataset: synthetic, model: resnet20, train_steps: 30}\n"


@pytest.mark.parametrize("body, message", [
    ("seeds: [0]\ngrid: {alpha2: []}\n",  # case 3: no default run
     r"Expected grid values to be non-empty lists. Received: grid\.alpha2=\[\]"),
    ("seeds: [0, 0]\n",  # case 4: one folder counted twice
     r"Expected distinct seeds. Received: seeds=\[0, 0\] \(0 twice\)"),
    ("settings: [{name: ../../escaped}]\n",  # case 5
     r"Expected setting names that are one plain folder name.*'\.\./\.\./escaped'"),
    ("settings: [{name: a/b}]\n", r"one plain folder name.*'a/b'"),
    ("settings: [{name: ..}]\n", r"one plain folder name.*'\.\.'"),
    ("settings: [{name: ''}]\n", r"one plain folder name.*''"),
    ("settings: [{name: logs}]\n", r"one plain folder name.*'logs'"),  # the sweep's own
    ("grid: {alpha2: 0.03}\n",  # case 9: a 26-line TypeError before
     r"Expected grid values to be non-empty lists. Received: grid\.alpha2=0\.03"),
    ("grid: {model: resnet20}\n",  # case 9: split into characters before
     r"non-empty lists. Received: grid\.model='resnet20'"),
    ("grid: [alpha2]\n", r"Expected grid to be a mapping"),
    ("settings: {name: a}\n", r"Expected settings to be a list of mappings"),
    ("settings: [alpha2]\n", r"Expected settings to be a list of mappings"),
    ("seeds: 0\n", r"Expected seeds to be a non-empty list"),
    ("seeds: []\n", r"Expected seeds to be a non-empty list"),
    ("seeds: [-1]\n", r"Expected seeds to be integers >= 0. Received: seeds=\[-1\]"),
    ("seeds: [0.5]\n", r"Expected seeds to be integers >= 0"),
    ("flags: [dataset]\n", r"Expected flags to be a mapping"),
    ("experiment: [resnet]\n", r"Expected experiment to be a name"),
    # the hunt: settings the sweep sets per run were silently overridden (grid: two
    # "settings" trained the same seed 0)
    ("grid: {seed: [1, 2]}\n", r"Expected the seeds as the list `seeds`, not grid\.seed"),
    ("flags: {seed: 3}\n", r"Expected the seeds as the list `seeds`, not flags\.seed"),
    ("settings: [{name: a, seed: 5}]\n", r"not settings\[0\]\.seed. Received: "
                                          r"settings\[0\]\.seed=5"),
    ("flags: {log_dir: /tmp/x}\n", r"Expected each run's folder to be <log_dir>/<setting>/"
                                   r"seed_<s>, not flags\.log_dir"),
])
def test_bad_sweep_files_fail_in_one_line(tmp_path, body, message):
    path = tmp_path / "bad.yaml"
    text = HEAD + body if not body.startswith(("flags", "experiment")) else body
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as error:
        plan_runs(_load_sweep_file(path), EXPERIMENTS, str(tmp_path / "out"))
    assert "\n" not in str(error.value) and str(path) in str(error.value)


def test_generated_setting_names_stay_one_folder(tmp_path):
    """A grid over a path-valued flag names its settings without a folder separator."""
    path = tmp_path / "paths.yaml"
    path.write_text(HEAD + "grid: {data_dir: [/a/b, /c/d]}\n")
    _, runs = plan_runs(_load_sweep_file(path), EXPERIMENTS, str(tmp_path / "out"))
    assert [os.path.dirname(os.path.dirname(r["folder"])) for r in runs] == [
        str(tmp_path / "out")] * 2
    assert len({r["folder"] for r in runs}) == 2


def test_the_command_line_writes_nothing_for_a_bad_sweep(tmp_path):
    """Case 3 end to end: one `Error:` line, exit 1, no sweep folder."""
    path = tmp_path / "two.yaml"
    path.write_text(HEAD + "seeds: [0]\ngrid: {alpha2: []}\n")
    log_dir = tmp_path / "sw"
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), f"--sweep={path}",
                           f"--log_dir={log_dir}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("Error: Expected grid values")
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not log_dir.exists()


def test_seed_on_the_command_line_of_a_sweep_is_refused(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(HEAD + "seeds: [0]\n")
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), f"--sweep={path}",
                           "--seed=3", f"--log_dir={tmp_path / 'sw'}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stderr.strip().splitlines() == [
        "Error: Expected the seeds in the sweep file (seeds: [0, 1, ...]). Received: --seed=3 "
        "with --sweep"]
    assert not (tmp_path / "sw").exists()


def test_a_seed_beyond_32_bits_is_refused_with_the_plan(tmp_path):
    """The hunt: before, every run failed after TensorFlow loaded ("Seed must be between 0
    and 2**32 - 1", without the flag)."""
    path = tmp_path / "big.yaml"
    path.write_text(HEAD + "seeds: [4294967296]\n")
    with pytest.raises(ValueError, match=r"In setting 'default', seed 4294967296: Expected 0 <= "
                                         r"seed <= 4294967295"):
        plan_runs(_load_sweep_file(path), EXPERIMENTS, str(tmp_path / "out"))

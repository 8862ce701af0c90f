"""Sweeps: planning and validation, a 2 x 2 sweep interrupted and finished, its report."""

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from infodl.experiments.registry import EXPERIMENTS
from infodl.experiments.sweeps.plan import _load_sweep_file, plan_runs
from infodl.experiments.sweeps.report import _run_numbers

ROOT = pathlib.Path(__file__).resolve().parents[3]


def test_grid_times_seeds_with_yaml_numbers_coerced(tmp_path):
    path = tmp_path / "grid.yaml"
    path.write_text("experiment: resnet\nflags: {dataset: synthetic, lr_values: '0.1,0.01'"
                    ", lr_boundaries: [10]}\ngrid:\n  alpha2: [0, 5e-2]\n  alpha1: [1e-5]\n"
                    "seeds: [3, 4]\n")
    experiment, runs = plan_runs(_load_sweep_file(path), EXPERIMENTS, str(tmp_path / "out"))
    assert experiment == "resnet" and len(runs) == 4
    assert [(r["setting"], r["seed"]) for r in runs] == [
        ("alpha1-1e-05_alpha2-0", 3), ("alpha1-1e-05_alpha2-0", 4),
        ("alpha1-1e-05_alpha2-0.05", 3), ("alpha1-1e-05_alpha2-0.05", 4)]
    values = runs[-1]["values"]
    assert values["alpha2"] == 0.05 and values["alpha1"] == 1e-5  # YAML's '5e-2' string
    assert values["lr_values"] == (0.1, 0.01) and values["lr_boundaries"] == (10,)
    assert runs[0]["folder"] == str(tmp_path / "out" / "alpha1-1e-05_alpha2-0" / "seed_3")


@pytest.mark.parametrize("text, message", [
    ("experiment: resnet\nsettings: [{alpha3: 1}]\n", r"unknown flag\(s\) \['alpha3'\]"),
    ("experiment: resnet\nsettings: [{alpha2: -1}]\n", "Expected alpha2 >= 0"),
    ("experiment: resnet\nsettings: [{alpha2: abc}]\n", "Expected alpha2 to be a float"),
    ("experiment: nope\n", "Expected experiment in"),
    ("experiment: resnet\nsettings: [{name: a}, {name: a}]\n", "distinct setting names"),
    ("experiment: [unclosed\n", "Corrupt sweep file"),
])
def test_bad_sweep_files_are_refused_before_any_run(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        plan_runs(_load_sweep_file(path), EXPERIMENTS, str(tmp_path / "out"))


def _sweep(sweep_file, log_dir):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.Popen([sys.executable, str(ROOT / "run.py"), f"--sweep={sweep_file}",
                             f"--log_dir={log_dir}"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # Ctrl-C reaches it even when the tests run as a background job
                            # (which starts its children with SIGINT ignored)
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@pytest.mark.slow  # 40-140 s on 2 cores; python -m pytest -q --runslow runs it
def test_two_by_two_sweep_interrupted_then_finished_and_reported(tmp_path):
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(
        "experiment: resnet\ndescription: two alpha2 x two seeds\n"
        "flags: {model: resnet20, dataset: synthetic, synthetic_sizes: '64,32', "
        "batch_size: 8, train_steps: 4, eval_every: 2, info_every: 2, "
        "block_ratio_every: 0, classifier_stats_every: 0}\n"
        "seeds: [0, 1]\nsettings:\n  - {name: original}\n"
        "  - {name: alpha2_0.05, alpha2: 0.05, expected: '92.76 ± 0.33'}\n")
    log_dir = tmp_path / "sweep"
    first = log_dir / "original" / "seed_0"
    process = _sweep(sweep_file, log_dir)
    start = time.time()
    while not (first / "results.json").is_file():  # the first run finishes, then stop
        assert process.poll() is None and time.time() - start < 600, process.communicate()
        time.sleep(0.5)
    finished_at = (first / "results.json").stat().st_mtime
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 130 and "rerun the same command" in stderr, stderr[-2000:]

    again = _sweep(sweep_file, log_dir)
    stdout, stderr = again.communicate(timeout=900)
    assert again.returncode == 0, stderr[-3000:]
    assert "4 runs" in stdout and "0 failed" in stdout
    assert (first / "results.json").stat().st_mtime == finished_at  # not trained again
    for setting in ("original", "alpha2_0.05"):
        for seed in (0, 1):
            results = json.loads((log_dir / setting / f"seed_{seed}" / "results.json")
                                 .read_text())
            assert results["step"] == 4 and results["complete"]

    report = subprocess.run([sys.executable, str(ROOT / "run.py"), "--experiment=report",
                             f"--log_dir={log_dir}"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert report.returncode == 0, report.stderr[-2000:]
    rows = {row["setting"]: row for row in
            json.loads((log_dir / "report.json").read_text())["rows"]}
    for setting in ("original", "alpha2_0.05"):
        runs = [_run_numbers(log_dir / setting / f"seed_{s}") for s in (0, 1)]
        for metric in ("best_test_accuracy", "final_test_accuracy", "constraint_mean_nats"):
            values = [r[metric] for r in runs]
            assert rows[setting][metric] == pytest.approx(
                [np.mean(values), np.std(values, ddof=1)]), (setting, metric)
        assert rows[setting]["seeds_finished"] == 2
    table = (log_dir / "report.md").read_text()
    assert "| alpha2_0.05 | 92.76 ± 0.33 |" in table
    assert list((log_dir / "hparams").glob("events.out.tfevents.*"))
    assert list((log_dir / "hparams" / "alpha2_0.05" / "seed_1").glob("events.out.*"))


@pytest.mark.parametrize("name, runs", [("p2_table1", 130), ("p2_table2", 60)])
def test_shipped_paper_sweeps_validate(name, runs, tmp_path):
    sweep = _load_sweep_file(ROOT / "experiments" / "sweeps" / f"{name}.yaml")
    _, planned = plan_runs(sweep, EXPERIMENTS, str(tmp_path),
                           overrides={"data_dir": str(tmp_path)})
    assert len(planned) == runs
    assert all(run["values"]["eval_protocol"] == "original" for run in planned)
    assert all(run["expected"] for run in planned)

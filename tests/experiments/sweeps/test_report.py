"""The sweep report's numbers from fake run folders with known values (fast): mean and
sample standard deviation (ddof 1) over two seeds, the constraint averaged over every
measurement of a run, unfinished runs left out (issue 29: the headline table in CI)."""

import json

import numpy as np
import pytest
import tensorflow as tf

from infodl.experiments.sweeps.config import ReportConfig
from infodl.experiments.sweeps.report import run

# setting -> seed -> (best accuracy, final accuracy, constraint measurements)
RUNS = {
    "original": {0: (0.90, 0.88, [0.30, 0.10]), 1: (0.94, 0.93, [0.50, 0.30, 0.10])},
    "reg": {0: (0.91, 0.91, [0.20]), 1: (0.92, 0.89, [0.05, 0.15]), 2: None},  # 2: running
}


def fake_sweep(root, plan=RUNS):
    runs = []
    for setting, seeds in plan.items():
        for seed, numbers in seeds.items():
            folder = root / setting / f"seed_{seed}"
            folder.mkdir(parents=True)
            runs.append({"setting": setting, "seed": seed, "folder": str(folder),
                         "values": {"alpha2": 0.0 if setting == "original" else 0.03,
                                    "seed": seed}, "expected": "7.37 ± 0.1"})
            if numbers is None:
                (folder / "results.json").write_text(json.dumps({"complete": False}))
                continue
            best, final, constraints = numbers
            (folder / "results.json").write_text(json.dumps(
                {"complete": True, "test_accuracy": final, "best_test_accuracy": best,
                 "final_test_accuracy": final}))
            with tf.summary.create_file_writer(str(folder)).as_default():
                for step, value in enumerate(constraints):
                    tf.summary.scalar("info/constraint_nats", value, step=step * 100)
    (root / "sweep.json").write_text(json.dumps(
        {"experiment": "resnet", "description": "fake", "runs": runs}))


def test_mean_and_sample_std_over_two_seeds(tmp_path):
    fake_sweep(tmp_path)
    results = run(ReportConfig(log_dir=str(tmp_path), hparams=False))
    rows = {row["setting"]: row for row in results["rows"]}
    # ddof 1 over two values a, b: |a - b| / sqrt(2) (ddof 0 would give |a - b| / 2)
    assert rows["original"]["best_test_accuracy"] == pytest.approx((0.92, 0.04 / np.sqrt(2)))
    assert rows["original"]["final_test_accuracy"] == pytest.approx((0.905, 0.05 / np.sqrt(2)))
    # the constraint of a run is the mean of its measurements: 0.2 and 0.3
    assert rows["original"]["constraint_mean_nats"] == pytest.approx((0.25, 0.1 / np.sqrt(2)))
    assert rows["reg"]["best_test_accuracy"] == pytest.approx((0.915, 0.01 / np.sqrt(2)))
    assert rows["reg"]["constraint_mean_nats"] == pytest.approx((0.15, 0.1 / np.sqrt(2)))
    assert (rows["reg"]["seeds_finished"], rows["reg"]["seeds_planned"]) == (2, 3)
    table = (tmp_path / "report.md").read_text()
    assert "| original | 7.37 ± 0.1 | 92.00 ± 2.83 | 90.50 ± 3.54 | 0.250 ± 0.071 | 2/2 |" in table
    assert "| reg | 7.37 ± 0.1 | 91.50 ± 0.71 | 90.00 ± 1.41 | 0.150 ± 0.071 | 2/3 |" in table
    assert json.loads((tmp_path / "report.json").read_text())["rows"][0]["setting"] == "original"


def test_one_seed_has_no_std_and_a_missing_plan_is_one_line(tmp_path):
    """One seed: no spread to measure (infodl.analysis.seed_statistics), never 0."""
    fake_sweep(tmp_path / "one", {"original": {3: (0.8, 0.7, [0.4])}})
    (row,) = run(ReportConfig(log_dir=str(tmp_path / "one"), hparams=False))["rows"]
    assert row["best_test_accuracy"] == (0.8, None)
    assert row["constraint_mean_nats"] == (pytest.approx(0.4), None)
    assert "| 80.00 (1 seed) | 70.00 (1 seed) | 0.400 (1 seed) | 1/1 |" in (
        tmp_path / "one" / "report.md").read_text()
    with pytest.raises(FileNotFoundError, match="Expected a sweep folder with sweep.json"):
        run(ReportConfig(log_dir=str(tmp_path), hparams=False))

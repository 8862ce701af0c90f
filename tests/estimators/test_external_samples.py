"""`python -m benchmarks.external_samples`: the suite's estimators on samples from a file."""

import json

import numpy as np
import pytest

from benchmarks import external_samples
from benchmarks.beyond_normal_tasks import TASKS
from infodl.estimators import GaussianCopulaEstimator

TWO = "Normal 1x1,Multinormal 3x3 (dense)"


def _write(path, truths=None, num=300):
    arrays = {}
    for i, name in enumerate(TASKS):
        x, y = TASKS[name].sample(num, 7) if name in TWO.split(",") else (
            np.zeros((num, 1)), np.zeros((num, 1)))
        arrays[f"x{i}"], arrays[f"y{i}"] = x, y
    truths = [task.truth for task in TASKS.values()] if truths is None else truths
    np.savez(path, truths=np.array(truths), names=np.array(list(TASKS)), **arrays)


def test_fits_the_file_s_samples_appends_and_resumes(tmp_path, capsys):
    samples, results = tmp_path / "s.npz", tmp_path / "r.jsonl"
    _write(samples)
    argv = [str(samples), "--estimators", "copula,cca", "--tasks", TWO,
            "--results", str(results)]
    external_samples.main(argv)
    records = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(records) == 4 and {r["samples"] for r in records} == {"s.npz"}
    x, y = np.load(samples)["x0"], np.load(samples)["y0"]
    copula = [r for r in records if r["task"] == "Normal 1x1" and r["estimator"] == "copula"]
    assert copula[0]["value"] == float(GaussianCopulaEstimator().fit_estimate(x, y))
    out = capsys.readouterr().out
    assert "copula: " in out and "/2 within the band" in out
    external_samples.main(argv)  # all done: nothing appended, the same summary
    assert len(results.read_text().splitlines()) == 4
    assert capsys.readouterr().out.splitlines()[-2:] == out.splitlines()[-2:]


def test_a_file_in_another_order_stops_in_one_line(tmp_path):
    samples = tmp_path / "s.npz"
    truths = [task.truth for task in TASKS.values()][::-1]
    _write(samples, truths=truths)
    with pytest.raises(SystemExit, match="does not hold the suite's 40 tasks"):
        external_samples.main([str(samples), "--results", str(tmp_path / "r.jsonl")])
    with pytest.raises(SystemExit, match="cannot read samples"):
        external_samples.main([str(tmp_path / "missing.npz")])

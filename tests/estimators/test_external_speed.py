"""`python -m benchmarks.external_speed`: MINE-DV's fit time beside other arms, ABBA."""

import sys

import numpy as np
import pytest

from benchmarks import external_speed
from benchmarks.beyond_normal_tasks import TASKS
from tests.estimators.test_external_samples import _write

T_TASK = "Student-t 5x5 nu=3"


def test_the_bmi_arm_runs_the_other_python_on_the_task_s_samples(tmp_path, monkeypatch):
    """A stand-in `bmi` package (MINEEstimator returning the mean of x) shows that the
    other interpreter gets the file and the task's index and that its JSON is read."""
    package = tmp_path / "bmi"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "estimators.py").write_text(
        "class MINEEstimator:\n"
        "    def __init__(self, verbose=True):\n"
        "        assert verbose is False\n"
        "    def estimate(self, x, y):\n"
        "        return float(x.mean())\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    samples = tmp_path / "s.npz"
    _write(samples)
    x = np.load(samples)[f"x{list(TASKS).index('Normal 1x1')}"]
    fit = external_speed.timed_fit("bmi-mine", str(samples), "Normal 1x1", 0, sys.executable)
    assert fit["value"] == pytest.approx(float(x.mean()), abs=1e-6)
    assert fit["seconds"] >= 0
    (package / "estimators.py").write_text("raise ImportError('no bmi here')\n")
    with pytest.raises(SystemExit, match="the bmi-mine fit of Normal 1x1 failed: ImportError"):
        external_speed.timed_fit("bmi-mine", str(samples), "Normal 1x1", 0, sys.executable)


def test_arms_alternate_and_the_ratios_are_paired_medians(tmp_path, monkeypatch, capsys):
    samples = tmp_path / "s.npz"
    _write(samples)
    seconds = {"mine-dv": 10.0, "mine-dv-coordinates": 8.0, "bmi-mine": 20.0}
    calls = []

    def fake_fit(arm, path, task, seed, bmi_python):
        calls.append((task, arm))
        slow = 2.0 if len(calls) > 6 else 1.0  # the second task's fits: a loaded machine
        return {"seconds": seconds[arm] * slow * (1 + 0.1 * (task == T_TASK)),
                "value": 0.1}

    monkeypatch.setattr(external_speed, "timed_fit", fake_fit)
    external_speed.main([str(samples), "--tasks", f"Normal 1x1,{T_TASK}", "--pairs", "2",
                         "--bmi_python", "python"])
    arms = ["mine-dv", "mine-dv-coordinates", "bmi-mine"]
    assert [arm for _, arm in calls] == (arms + arms[::-1]) * 2
    out = capsys.readouterr().out
    assert "mine-dv / mine-dv-coordinates: geometric mean over the 2 tasks 1.25" in out
    assert "mine-dv / bmi-mine: geometric mean over the 2 tasks 0.50" in out
    assert f"mine-dv / bmi-mine, {T_TASK}: median 0.50 (pairs: 0.50, 0.50)" in out


def test_bad_arguments_stop_in_one_line(tmp_path):
    samples = tmp_path / "s.npz"
    _write(samples)
    with pytest.raises(SystemExit):
        external_speed.main([str(samples), "--tasks", "Normal 9x9"])
    with pytest.raises(SystemExit):
        external_speed.main([str(samples), "--pairs", "0"])
    with pytest.raises(SystemExit, match="cannot read samples"):
        external_speed.main([str(tmp_path / "missing.npz")])

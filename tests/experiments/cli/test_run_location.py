"""Every run of the command line ends with its run folder and the TensorBoard command.

Issue 34: `infodl --model=resnet20 ...` wrote ./runs/resnet20 without saying so.
"""

import os
import pathlib
import shlex
import subprocess
import sys
import textwrap

import pytest

from infodl.experiments.cli import command_line as cli
from infodl.experiments.cli import run_location
from infodl.experiments.registry import EXPERIMENTS

ROOT = pathlib.Path(__file__).resolve().parents[3]


class FakeExperiment:
    """An experiment module of the registry's kind: `summary(results)` -> lines."""

    @staticmethod
    def summary(results):
        return [f"step={results['step']}"]


def test_closing_lines_name_the_folder_absolute_and_quoted_for_the_shell(tmp_path,
                                                                            monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_location.closing_lines("runs/resnet20") == [
        f"run folder: {tmp_path / 'runs' / 'resnet20'}",
        f"tensorboard --logdir {tmp_path / 'runs' / 'resnet20'}"]
    spaced = tmp_path / "my runs"
    assert shlex.split(run_location.closing_lines(spaced)[1]) == [
        "tensorboard", "--logdir", str(spaced)]


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_every_experiment_ends_with_its_folder_and_tensorboard(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config_class = EXPERIMENTS[name].config
    if name == "report":
        config = config_class(log_dir="runs/sweeps/p2_table2")
    else:
        config = config_class()  # the default log_dir, relative: ./runs/...
    results = {"step": 2, "analysis_dir": str(tmp_path / "model_analysis")}
    lines = cli._experiment_end(FakeExperiment, config, results)
    folder = tmp_path / (config.log_dir or "model_analysis")
    assert lines == ["step=2", f"run folder: {folder}", f"tensorboard --logdir {folder}"]
    if name not in ("analyze", "report"):
        assert config.log_dir.startswith("runs/")


def test_analyze_given_a_log_dir_names_it():
    config = EXPERIMENTS["analyze"].config(checkpoint="a/model.keras", log_dir="/out/analysis")
    assert run_location.run_folder(config, {"analysis_dir": "/out/analysis"}) == "/out/analysis"
    with pytest.raises(ValueError, match="Expected a log_dir or an analysis_dir"):
        run_location.run_folder(EXPERIMENTS["analyze"].config(), {})


def test_a_sweep_ends_with_its_folder_and_tensorboard(tmp_path):
    """The command line's sweep path, with the sweep itself replaced (no runs started)."""
    code = textwrap.dedent("""
        import sys
        from infodl.experiments.cli import command_line as cli
        from infodl.experiments.sweeps import plan as sweep

        def run_sweep(sweep_file, log_dir, workers, experiments, **options):
            return {"log_dir": log_dir, "runs": 0, "trained": [], "skipped": [],
                    "failed": [], "busy": []}

        sweep.run_sweep = run_sweep
        sys.argv = ["infodl", "--sweep=grid.yaml", "--log_dir=runs/grid"]
        cli.main()
    """)
    (tmp_path / "grid.yaml").write_text("experiment: resnet\n")  # not read: no sweep runs
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-2:] == [
        f"run folder: {tmp_path / 'runs' / 'grid'}",
        f"tensorboard --logdir {tmp_path / 'runs' / 'grid'}"]

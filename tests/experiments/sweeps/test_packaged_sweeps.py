"""`--sweep=p2_table2.yaml` finds the sweep file shipped with the package from any folder,
and `--sweep=list` lists them (issue 34)."""

import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

from infodl.experiments.sweeps.config import _packaged_sweeps, resolve_sweep_file

ROOT = pathlib.Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "experiments" / "sweeps"


def run_cli(code, cwd):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_shipped_files_are_the_packaged_sweeps():
    assert _packaged_sweeps() == {path.name: path for path in sorted(SHIPPED.glob("*.yaml"))}
    assert {"p2_table1.yaml", "p2_table2.yaml"} <= set(_packaged_sweeps())


def test_a_bare_name_is_the_packaged_file_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_sweep_file("p2_table2.yaml") == SHIPPED / "p2_table2.yaml"
    assert resolve_sweep_file("p2_table1") == SHIPPED / "p2_table1.yaml"
    (tmp_path / "p2_table2.yaml").write_text("experiment: resnet\n")  # the user's own wins
    assert resolve_sweep_file("p2_table2.yaml") == pathlib.Path("p2_table2.yaml")
    with pytest.raises(FileNotFoundError, match=r"p2_table1.yaml, p2_table2.yaml.*"
                                                r"Received: --sweep=nowhere.yaml"):
        resolve_sweep_file("nowhere.yaml")
    with pytest.raises(FileNotFoundError):  # a path with a folder is only that path
        resolve_sweep_file("sub/p2_table1.yaml")


def test_sweep_list_prints_every_packaged_sweep(tmp_path):
    result = run_cli("""
        import sys
        from infodl.experiments.cli import command_line as cli
        sys.argv = ["infodl", "--sweep=list"]
        cli.main()
    """, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == [
        f"p2_table1.yaml: P2 Table 1 (CIFAR-100) ({SHIPPED / 'p2_table1.yaml'})",
        f"p2_table2.yaml: P2 Table 2 (CIFAR-10) ({SHIPPED / 'p2_table2.yaml'})"]


def test_the_command_line_runs_the_packaged_file_and_refuses_a_missing_one(tmp_path):
    """The sweep itself replaced: which file it was given, started from another folder."""
    code = """
        import sys
        from infodl.experiments.cli import command_line as cli
        from infodl.experiments.sweeps import plan as sweep

        def run_sweep(sweep_file, log_dir, workers, experiments, **options):
            print("file", sweep_file)
            return {"log_dir": log_dir, "runs": 0, "trained": [], "skipped": [],
                    "failed": [], "busy": []}

        sweep.run_sweep = run_sweep
        sys.argv = ["infodl", "--sweep=NAME"]
        cli.main()
    """
    found = run_cli(code.replace("NAME", "p2_table2.yaml"), tmp_path)
    assert found.returncode == 0, found.stderr[-2000:]
    assert f"file {SHIPPED / 'p2_table2.yaml'}" in found.stdout.splitlines()
    assert f"run folder: {tmp_path / 'runs' / 'sweeps' / 'p2_table2'}" in found.stdout
    missing = run_cli(code.replace("NAME", "p2_table3.yaml"), tmp_path)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().splitlines()[-1].startswith(
        "Error: Expected a sweep file or the name of a packaged one")

"""`--sweep_launcher=ray` without Ray installed: one line naming the extra, nothing written."""

import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]


def test_without_ray_the_sweep_fails_in_one_line_naming_the_extra(tmp_path):
    (tmp_path / "grid.yaml").write_text(
        "experiment: resnet\nflags: {dataset: synthetic, train_steps: 2}\nseeds: [0]\n"
        "settings:\n  - {name: a}\n")
    code = textwrap.dedent("""
        import sys
        sys.modules["ray"] = None  # Ray hidden: `import ray` fails, find_spec finds nothing
        from infodl.experiments.cli import command_line as cli
        sys.argv = ["infodl", "--sweep=grid.yaml", "--sweep_launcher=ray", "--log_dir=grid"]
        cli.main()
    """)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    env.pop("RAY_ADDRESS", None)
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert errors == ['Error: Expected the ray package for --sweep_launcher=ray. Received: no '
                      'module named ray; pip install "infodl[ray]" (in a checkout: '
                      'pip install -e ".[ray]")'], result.stderr[-2000:]
    assert not (tmp_path / "grid").exists()  # refused before the sweep folder was made


def test_the_extras_are_declared_by_name():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert extras["ray"] == ["ray"] and extras["jax"] == ["jax"]
    assert set(extras["dev"]) == {"pytest", "pytest-xdist", "ruff", "mkdocs",
                                  "mkdocs-material", "mkdocstrings[python]"}
    pinned = {line.split("==")[0].lower() for line in
              (ROOT / "requirements.txt").read_text().splitlines() if "==" in line}
    for requirement in extras["ray"] + extras["jax"] + extras["dev"]:
        assert requirement.split("[")[0].lower() in pinned, requirement  # the tests use them

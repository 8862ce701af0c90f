"""The version is written once, `infodl.__version__`; pyproject.toml reads it."""

import importlib.metadata
import pathlib
import re

import pytest

import infodl

ROOT = pathlib.Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib")  # Python >= 3.11


def test_the_version_is_written_only_in_infodl_init():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "infodl.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", infodl.__version__)
    assert f"## {infodl.__version__} " in (ROOT / "CHANGELOG.md").read_text()


def test_an_install_of_this_checkout_reports_that_version():
    """With `pip install -r requirements.txt` (CI) the installed metadata is this one."""
    try:
        distribution = importlib.metadata.distribution("infodl")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("infodl is not installed (a checkout run from its root)")
    assert distribution.version == infodl.__version__

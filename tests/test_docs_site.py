"""The reference site builds with `mkdocs build --strict`: a broken docstring section,
cross-reference or link fails the suite (mkdocs.yml, docs/hooks/)."""

import os
import pathlib
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("models", "estimators", "callbacks", "training", "data", "analysis", "experiments")


def nav_pages(nav):
    for entry in nav:
        for value in entry.values():
            if isinstance(value, list):
                yield from nav_pages(value)
            else:
                yield value


def test_the_nav_holds_every_docs_page_and_a_reference_page_per_package():
    # mkdocs.yml's tags (none used) would need mkdocs' loader; plain YAML reads it
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    pages = set(nav_pages(config["nav"]))
    assert {path.name for path in (ROOT / "docs").glob("*.md")} <= pages
    for package in PACKAGES:
        page = f"reference/{package}.md"
        assert page in pages
        assert (ROOT / "docs" / page).read_text().splitlines()[-1] == f"::: infodl.{package}"


def test_mkdocs_build_strict_passes(tmp_path):
    site = tmp_path / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict",
                             "--site-dir", str(site)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "WARNING" not in result.stderr, result.stderr[-4000:]
    models = (site / "reference" / "models" / "index.html").read_text()
    training = (site / "reference" / "training" / "index.html").read_text()
    estimators = (site / "reference" / "estimators" / "index.html").read_text()
    assert 'id="infodl.models.regularized_logits.RegularizedLogits"' in models
    assert 'id="infodl.training.saved_model.load_model"' in training
    assert 'id="infodl.estimators.mine.MINE"' in estimators
    # the docstrings' `Example:` doctests are code, not Markdown quotes of `>>>`
    assert "&gt;&gt;&gt;" in models and "<blockquote>" not in models
    assert (site / "changelog" / "index.html").read_text().count("Unreleased") >= 1
    assert (site / "invnet_roc_reginvnet.png").is_file()  # the pages' figures come along

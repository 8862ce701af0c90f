"""The repository cites only what its users have: papers, not the private spec or folders.

The project's working notes (a specification page and a `shared` folder beside the
checkout) are not part of the repository; a user reading a section number of it or a path into that
folder cannot follow it. Papers are cited as P1/P2/P3 with their section instead.
"""

import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Written in two parts so that this file does not match itself.
FORBIDDEN = ("SPEC" + " §", "SPEC" + ":", ".." + "/shared")
SKIPPED_FOLDERS = {".git", "__pycache__", ".pytest_cache", ".ruff_cache", "runs"}


def _text_files():
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT)
        if path.is_file() and not SKIPPED_FOLDERS & set(relative.parts):
            data = path.read_bytes()
            if b"\0" not in data[:4096]:  # text, not a saved model or an events file
                yield relative, data.decode("utf-8", errors="replace")


def test_no_file_cites_the_private_spec_or_shared_folder():
    found = [f"{path}:{number}: {line.strip()}"
             for path, text in _text_files()
             for number, line in enumerate(text.splitlines(), 1)
             if any(word in line for word in FORBIDDEN)]
    assert not found, "cite the paper and section instead:\n" + "\n".join(found)


def test_the_check_sees_the_library_and_docs():
    paths = {str(path) for path, _ in _text_files()}
    assert {"README.md", "callbacks/block_ratio.py", "infodl/seeds.py"} <= paths


def test_benchmark_results_are_named_after_their_scripts_and_hold_no_machine_paths():
    """`benchmarks/results/<script>[_<what>].txt` comes from `benchmarks/<script>.py`, and a
    result names files by their path in the repository, not on the machine that ran it."""
    results = ROOT / "benchmarks" / "results"
    scripts = {path.stem for path in (ROOT / "benchmarks").glob("*.py")}
    unnamed, paths = [], []
    for path in sorted(results.iterdir()):
        if not any(path.stem == s or path.stem.startswith(s + "_") for s in scripts):
            unnamed.append(path.name)
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if any(root in line for root in ("/work/", "/tmp/", "/root/", "/home/")):
                paths.append(f"{path.name}:{number}")
    assert unnamed == [] and paths == [], (unnamed, paths[:5])
    assert len(list(results.iterdir())) >= 10  # the check reads the results


def test_library_text_names_no_issue_and_flag_help_no_date():
    """Users cannot look up "issue 19" or "before 2026-12-02": library code and docstrings
    name no issue number, and no flag's help carries a date (measured numbers go to
    docs/*.md beside their command, with their date; changes to CHANGELOG.md)."""
    import dataclasses
    import re

    from infodl.experiments.registry import EXPERIMENTS, GLOBAL_SETTINGS

    issue = re.compile(r"\bissues? #?\d+", re.I)
    library = ("analysis", "callbacks", "data", "estimators", "experiments", "infodl",
               "models", "training")
    found = [f"{path}:{number}" for path, text in _text_files()
             if path.parts[0] in library and path.suffix == ".py"
             for number, line in enumerate(text.splitlines(), 1) if issue.search(line)]
    configs = [e.config for e in EXPERIMENTS.values()] + list(GLOBAL_SETTINGS)
    dated = [f"{config.__name__}.{field.name}" for config in configs
             for field in dataclasses.fields(config)
             if re.search(r"\b20\d\d-\d\d-\d\d\b|\bissue\b", field.metadata.get("help", ""))]
    assert found == [] and dated == [], (found, dated)

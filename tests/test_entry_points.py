"""Every entry point starts: `run.py` and each `python -m infodl.<package>` print their flags.

The `__main__` modules are found in the library's folders, so a new one is tested (and
must say here which flags it prints). Each runs from a folder outside the checkout, the
checkout on PYTHONPATH, as a user's `python -m` would.
"""

import os
import pathlib
import subprocess
import sys

import pytest

import infodl

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Command (after `python`) -> flags its --help must list (and one it must not).
EXPECTED = {
    "-m infodl": (("--alpha2", "--model", "--sweep", "--experiment"), "--tsne_layers"),
    "-m infodl.analysis": (("--checkpoint", "--tsne_layers", "--pca_components"), "--alpha2"),
}


def main_modules():
    """`-m <module>` of every `__main__.py` of the library."""
    found = []
    for folder in ("infodl",) + tuple(infodl.PACKAGES):
        for path in sorted((ROOT / folder).rglob("__main__.py")):
            parts = list(path.parent.relative_to(ROOT).parts)
            found.append("-m " + ".".join(parts if parts[0] == "infodl" else ["infodl"] + parts))
    return found


def test_every_main_module_is_listed():
    assert sorted(main_modules()) == sorted(EXPECTED)


@pytest.mark.parametrize("command", [*EXPECTED, "run.py"])
def test_entry_point_help_prints_its_flags(command, tmp_path):
    shown, hidden = EXPECTED.get(command, (("--alpha2", "--sweep"), "--tsne_layers"))
    argv = [str(ROOT / "run.py")] if command == "run.py" else command.split()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, *argv, "--help"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr and "Error" not in result.stderr, result.stderr[-2000:]
    for flag in shown:
        assert f"  {flag}" in result.stdout or f"  --[no]{flag[2:]}" in result.stdout, flag
    assert hidden not in result.stdout

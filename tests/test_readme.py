"""Every Python block of README.md runs as written, in a fresh interpreter and folder."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def test_readme_has_python_blocks():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3",
               KERAS_BACKEND="tensorflow")
    result = subprocess.run([sys.executable, "-c", BLOCKS[index]], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"README block {index}:\n{result.stderr[-3000:]}"
    assert result.stdout.strip(), "every README block prints what it computed"


def test_the_layout_section_names_the_folders_there_are():
    """Every folder the README's layout names exists, and every package folder of the
    repository (the experiments' folders too) is named there."""
    text = (ROOT / "README.md").read_text()
    block = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    named, parent = set(), None
    for line in block.splitlines():
        match = re.match(r"^( {4,6})(\w[\w.]*/?)\s", line)
        if not match:
            continue
        name = match.group(2)
        if len(match.group(1)) == 4:
            parent = name if name.endswith("/") else None
            named.add(name.rstrip("/"))
        elif parent is not None and name.endswith("/"):
            named.add(parent + name.rstrip("/"))
    for name in named:
        assert (ROOT / name).exists(), f"the README's layout names {name}, which is not there"
    packages = {str(init.parent.relative_to(ROOT)) for init in ROOT.glob("*/__init__.py")}
    packages |= {str(init.parent.relative_to(ROOT))
                 for init in (ROOT / "experiments").glob("*/__init__.py")}
    assert packages - {"tests", "examples"} <= named, packages - named

"""Every Python block of README.md runs as written, in a fresh interpreter and folder, and
prints what its text promises, without a Python warning (e.g. MINE's "may not be trusted").
"""

import ast
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
NUMBER = r"(-?\d+(?:\.\d+)?(?:e-?\d+)?)"


def printed(pattern, stdout):
    """The numbers of the one printed line that matches `pattern` (a regex with groups)."""
    found = re.findall(pattern, stdout)
    assert len(found) == 1, f"expected one line matching {pattern!r} in:\n{stdout}"
    values = found[0] if isinstance(found[0], tuple) else (found[0],)
    return [float(value) for value in values]


def check_regularizer(stdout):
    """Block 1: the α1, α2 terms, and exact zeros left by the last of the proximal steps
    (every 30 steps; 15 epochs of 8 steps end on the 120th, a proximal step)."""
    (zeros,) = printed(rf"entries of w exactly 0: {NUMBER}", stdout)
    assert 0 < zeros < 1, stdout
    terms = ast.literal_eval(stdout.split("terms on the last batch:")[1].splitlines()[0].strip())
    assert terms["alpha1_term"] > 0 and terms["alpha2_term"] > 0, terms


def check_callbacks(stdout):
    """Block 2: every measurement is in the logs; the constraint is I(X;Ŷ) - I(Y;Ŷ)."""
    logs = ast.literal_eval(stdout.strip().splitlines()[-1])
    for key in ("block_ratio/block/mean", "block_ratio/block/max", "info/I_X_Yhat_nats",
                "info/I_Y_Yhat_nats", "info/constraint_nats", "classifier/feature_norm_mean",
                "classifier/weight_column_norm_mean"):
        assert key in logs, (key, logs)
    ratio_max = logs["block_ratio/block/max"]
    assert logs["block_ratio/block/mean"] <= ratio_max == logs["block_ratio/max"]
    assert logs["info/constraint_nats"] == pytest.approx(
        logs["info/I_X_Yhat_nats"] - logs["info/I_Y_Yhat_nats"], abs=2e-4)  # rounded to 4
    assert logs["info/I_Y_Yhat_nats"] >= 0 and logs["classifier/feature_norm_mean"] > 0


def check_resnet_units(stdout):
    """Block 3: ResNet-20 has 3 stages of 3 residual units."""
    units, largest = printed(rf"{NUMBER} residual units; largest \|L\(x\)\|/\|x\| = {NUMBER}",
                             stdout)
    assert units == 9 and largest > 0


def check_estimators(stdout):
    """Block 4: MINE and AA-MINE within 0.05 nats of their closed forms, as the comments say."""
    mine, truth = printed(rf"MINE {NUMBER} nats \(truth {NUMBER}\)", stdout)
    assert truth == 0.511 and abs(mine - truth) <= 0.05, stdout
    estimate, truth = printed(rf"AA-MINE {NUMBER} nats, truth {NUMBER}", stdout)
    assert abs(estimate - truth) <= 0.05, stdout


CHECKS = {"ProximalL1()": check_regularizer, "InformationConstraintLogger(": check_callbacks,
          "build_resnet(": check_resnet_units, "ArchitectureAwareMINE(": check_estimators}


def check_of(block):
    matching = [check for marker, check in CHECKS.items() if marker in block]
    assert len(matching) == 1, f"no single check for the README block:\n{block[:300]}"
    return matching[0]


def test_readme_has_python_blocks_and_a_check_for_each():
    assert len(BLOCKS) >= 4
    assert sorted(check_of(block).__name__ for block in BLOCKS) == sorted(
        check.__name__ for check in CHECKS.values())


def test_printed_number_parsing():
    assert printed(rf"x = {NUMBER}; y = {NUMBER}", "a\nx = -0.5; y = 1e-3\n") == [-0.5, 0.001]
    with pytest.raises(AssertionError):
        printed(rf"x = {NUMBER}", "x = 1\nx = 2\n")


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_prints_what_it_says(index, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3",
               KERAS_BACKEND="tensorflow")
    script = tmp_path / f"readme_block_{index}.py"      # saved as a file, run elsewhere
    script.write_text(BLOCKS[index])
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"README block {index}:\n{result.stderr[-3000:]}"
    warnings = [line for line in result.stderr.splitlines()
                if re.search(r"\w*Warning: |may not be trusted", line)]
    assert not warnings, f"README block {index} warned:\n" + "\n".join(warnings)
    check_of(BLOCKS[index])(result.stdout)


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

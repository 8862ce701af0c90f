"""`-p randomly` (pytest-randomly) shuffles the order; the JAX-backend test still goes first
on the xdist workers (tests/conftest.py sorts after the shuffle), and a test's random
numbers do not depend on what ran before it (tests/conftest.py seeds each test)."""

import os
import pathlib
import random
import subprocess
import sys

import numpy as np
import pytest

from tests.background_suite import JAX_TEST
from tests.conftest import SEED, seed_everything

ROOT = pathlib.Path(__file__).resolve().parents[1]
FILES = ("tests/test_seeds.py", "tests/test_ci_script.py", "tests/test_backends_and_lint.py")


@pytest.mark.slow  # an xdist session: 20 s
def test_the_jax_test_goes_first_in_a_shuffled_order(tmp_path):
    seed = 6  # one whose order puts another file first
    pytest.importorskip("pytest_randomly")
    order_file = tmp_path / "order.txt"
    env = dict(os.environ, INFODL_TEST_ORDER_FILE=str(order_file))
    # --setup-plan: the workers collect and order, nothing runs
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "randomly",
         f"--randomly-seed={seed}", "--setup-plan", *FILES],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    order = order_file.read_text().splitlines()
    assert order[0] == JAX_TEST
    files = [nodeid.split("::")[0] for nodeid in order[1:]]
    assert files != sorted(files) and files[0] != FILES[-1]  # shuffled: not the file order


def _draws():
    import keras

    return np.random.rand(), random.random(), float(keras.random.uniform(()))


@pytest.mark.parametrize("run", [1, 2])
def test_every_test_body_starts_from_the_seed(run):
    """Whatever the test before it drew (the other parameter draws too)."""
    first = _draws()
    _draws()
    seed_everything(SEED)
    assert _draws() == first

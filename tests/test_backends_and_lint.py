"""The suite's extra checks: the library under the JAX backend, and ruff.

`python -m pytest -q` (the README's one test command, the one CI runs) also runs the
tests of `callbacks/`, `estimators/` and `models/` under `KERAS_BACKEND=jax` in a
subprocess (Keras picks its backend once per process), and `ruff check .`.
"""

import os
import pathlib
import subprocess
import sys

import keras
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
JAX_SUITES = ("tests/callbacks", "tests/estimators", "tests/models")


def test_ruff_check_is_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="already running under JAX")
def test_library_tests_pass_under_the_jax_backend():
    pytest.importorskip("jax")
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *JAX_SUITES],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.splitlines()[-1]

"""The suite's extra checks: the library under the JAX backend, and ruff.

`python -m pytest -q` (the README's one test command, the one CI runs) also runs the
tests of `callbacks/`, `estimators/` and `models/` (but those of the NumPy-only
estimators) under `KERAS_BACKEND=jax` in a subprocess (Keras picks its backend once per
process; started in the background when collection ends, tests/background_suite.py), and
`ruff check .`.
"""

import os
import pathlib
import subprocess
import sys

import keras
import pytest

from tests.background_suite import BACKEND_FREE, JAX_DESELECTED, BackgroundSuite

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_ruff_check_is_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="already running under JAX")
def test_library_tests_pass_under_the_jax_backend(request):
    """JAX is in requirements.txt: a JAX that does not import fails this test (its run
    fails), it does not skip it. With --runslow the slow tests also run under JAX."""
    runslow = request.config.getoption("--runslow")
    suite = (getattr(request.config, "background_jax_suite", None)
             or BackgroundSuite(runslow=runslow))
    code, output = suite.wait(timeout=14400 if runslow else 2400)
    assert code == 0, output[-6000:]
    assert " passed" in output.strip().splitlines()[-1]


def test_the_tests_left_out_of_the_jax_run_cover_modules_that_load_no_backend():
    code = (f"import sys; import {', '.join(BACKEND_FREE.values())}; "
            "print(sorted({m.split('.')[0] for m in sys.modules}"
            " & {'keras', 'tensorflow', 'jax'}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
    assert all((ROOT / path).is_file() for path in BACKEND_FREE)


def test_the_tests_the_jax_run_deselects_exist():
    """A renamed test would silently run again under JAX (pytest ignores a --deselect id
    that matches nothing): each id must still name a test function of its file. A
    parameter id is not checked here; a stale one only costs the JAX run time."""
    for test in JAX_DESELECTED:
        path, name = test.split("::")
        source = (ROOT / path).read_text()
        assert f"def {name.split('[')[0]}(" in source, test


def test_a_jax_that_does_not_import_fails_the_jax_run(tmp_path, monkeypatch):
    (tmp_path / "jax").mkdir()
    (tmp_path / "jax" / "__init__.py").write_text("raise ImportError('broken jax')\n")
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}{os.pathsep}{ROOT}")
    code, output = BackgroundSuite(suites=("tests/test_seeds.py",)).wait(timeout=300)
    assert code != 0 and "broken jax" in output


def test_a_stale_deselect_id_fails_the_jax_run(monkeypatch):
    """tests/conftest.py refuses it in the JAX run (INFODL_JAX_RUN), parameter ids too."""
    stale = "tests/test_seeds.py::test_derived_seeds_are_stable_and_none_stays_none[x]"
    monkeypatch.setattr("tests.background_suite.JAX_DESELECTED", (stale,))
    code, output = BackgroundSuite(suites=("tests/test_seeds.py",)).wait(timeout=300)
    assert code != 0 and f"JAX_DESELECTED names no collected test: ['{stale}']" in output

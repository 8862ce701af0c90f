"""Shared pytest set-up: quiet TensorFlow, the --runslow switch, small fixtures."""

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest

SHARED_DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data"


def pytest_addoption(parser):
    parser.addoption(
        "--runslow", action="store_true", default=False,
        help="also run the tests marked slow (skipped by default and in CI)")


def running_in_xdist_worker(config):
    """True in a pytest-xdist worker process (pytest.ini runs two)."""
    return hasattr(config, "workerinput")


def pytest_collection_modifyitems(config, items):
    if running_in_xdist_worker(config):
        # The JAX-backend test goes first: the worker that takes it starts the JAX run and
        # waits for it while the other worker runs the TensorFlow tests (and, with
        # --dist worksteal, takes over the waiting worker's queue).
        from tests.background_suite import JAX_TEST
        items.sort(key=lambda item: item.nodeid != JAX_TEST)
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


def pytest_collection_finish(session):
    """Starts the JAX-backend run of the library tests now, if it was collected (in a
    single process; under xdist its test starts it, see above)."""
    from tests.background_suite import JAX_TEST, BackgroundSuite
    if (os.environ.get("KERAS_BACKEND") != "jax" and not running_in_xdist_worker(session.config)
            and any(item.nodeid == JAX_TEST for item in session.items)):
        try:
            import jax  # noqa: F401
        except ImportError:
            return
        session.config.background_jax_suite = BackgroundSuite()


def pytest_sessionfinish(session):
    suite = getattr(session.config, "background_jax_suite", None)
    if suite is not None:
        suite.stop()


@pytest.fixture
def var_u_path():
    """Path of the original 12-bit task file: $INFODL_VAR_U, else SHARED_DATA/var_u.mat.

    The tests that need it skip (saying so) when neither exists; the file is
    data/var_u.mat of Shwartz-Ziv & Tishby's IDNNs repository (github.com/ravidziv/IDNNs).
    """
    path = pathlib.Path(os.environ.get("INFODL_VAR_U", SHARED_DATA / "var_u.mat"))
    if not path.exists():
        pytest.skip(f"var_u.mat not found at {path}: set INFODL_VAR_U=/path/to/var_u.mat")
    return str(path)

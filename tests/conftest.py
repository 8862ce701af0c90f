"""Shared pytest set-up: quiet TensorFlow, the --runslow switch, a seed for every test
and fixture, small fixtures."""

import gc
import os
import pathlib
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest

SHARED_DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data"
# Every test body starts from this seed (Python, NumPy, Keras and the backend), and every
# fixture from this seed plus a number made from its name, whatever ran before them in the
# same worker: a test's random numbers do not depend on the order (issue 29.5).
SEED = 0


def pytest_addoption(parser):
    parser.addoption(
        "--runslow", action="store_true", default=False,
        help="also run the tests marked slow (skipped by default and in CI)")


def running_in_xdist_worker(config):
    """True in a pytest-xdist worker process (pytest.ini runs two)."""
    return hasattr(config, "workerinput")


def seed_everything(seed):
    """Python's, NumPy's, Keras' and the backend's global random state, from one seed."""
    import keras

    keras.utils.set_random_seed(seed)


def pytest_configure(config):
    # pytest-randomly (`-p randomly`: shuffled order) would reseed Python and NumPy from
    # its own seed of the run after the seeding below; its order is the only thing it adds.
    if config.pluginmanager.hasplugin("randomly"):
        config.option.randomly_reset_seed = False


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    seed_everything(SEED + zlib.crc32(fixturedef.argname.encode()) % 2**16)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    seed_everything(SEED)
    return (yield)


@pytest.hookimpl(tryfirst=True, specname="pytest_collection_modifyitems")
def pytest_refuse_stale_deselect_ids(config, items):  # tryfirst: before --deselect removes them
    """In the JAX run, a --deselect id that names no collected test is an error: a
    renamed test would otherwise run again under JAX unnoticed (pytest ignores it)."""
    if os.environ.get("INFODL_JAX_RUN"):
        collected = {item.nodeid for item in items}
        stale = [test for test in config.getoption("deselect") or [] if test not in collected]
        if stale:
            raise pytest.UsageError(f"JAX_DESELECTED names no collected test: {stale}")


@pytest.hookimpl(trylast=True)  # after pytest-randomly's shuffle, which runs first anyway
def pytest_collection_modifyitems(config, items):
    if running_in_xdist_worker(config):
        # The JAX-backend test goes first: the worker that takes it starts the JAX run and
        # waits for it while the other worker runs the TensorFlow tests (and, with
        # --dist worksteal, takes over the waiting worker's queue).
        from tests.background_suite import JAX_TEST
        items.sort(key=lambda item: item.nodeid != JAX_TEST)
        if os.environ.get("INFODL_TEST_ORDER_FILE"):  # tests/test_test_order.py reads it
            pathlib.Path(os.environ["INFODL_TEST_ORDER_FILE"]).write_text(
                "\n".join(item.nodeid for item in items))
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
        # no check that JAX imports here: its run fails then, and so does its test
        session.config.background_jax_suite = BackgroundSuite(
            runslow=session.config.getoption("--runslow"))


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



@pytest.fixture(autouse=True)
def _fresh_keras_session():
    """Each test leaves a fresh Keras session behind (`keras.backend.clear_session`: no
    layer names, graphs or traced functions carried to the next test), and each module
    a collected heap (below). Besides isolating the tests, it keeps a long-lived worker
    fast: without it, some MINE tests ran up to 8 times slower late in a worker than
    alone (tests/estimators' four MINE files in one process: 269 s without, 203 s with a
    collecting clear_session after each test, one run after the other;
    `test_a_1d_array_is_one_feature` 42.8 s against 5.0 s). The garbage collection is
    per module, not per test: at 0.2-0.25 s a collection, after each of the suite's
    ~1350 tests it cost more than it saved (the README command 1122 s against 944-978)."""
    yield
    import keras

    keras.backend.clear_session(free_memory=False)


@pytest.fixture(scope="module", autouse=True)
def _collected_heap_per_module():
    yield
    gc.collect()

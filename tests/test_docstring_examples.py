"""Every `>>>` example in the library's docstrings runs and prints what it shows.

One test per library module (the seven package folders and `infodl/` itself, not
`tests/` or `benchmarks/`), so a failure names the module. The examples of a module
are collected with `doctest.DocTestFinder` and run with `doctest.DocTestRunner`; each
docstring starts from a namespace holding only the standard imports `np` (NumPy) and
`keras`, so an example defines its own inputs and imports the library names it uses.

An example runs without a `UserWarning` at the settings it shows (issue 33: a warning a
user meets in the first example teaches them to ignore it, e.g. MINE's "may not be
trusted"); there are no exceptions.

Option flags for all examples: ELLIPSIS and NORMALIZE_WHITESPACE (NumPy arrays wrap
their lines differently across versions); an example states any other flag itself.
Each module runs in a fresh temporary folder (an example that writes files leaves
nothing in the checkout), with Keras' global state cleared and a fixed seed.

An example that trains for tens of seconds (the IB trainers: each layer compiles its
own graphs) carries `# doctest: +SLOW`, a flag registered here: it is skipped by the
quick test and run, with the rest of its module, by `--runslow`
(`test_slow_docstring_examples_run`). `+SKIP` is kept for what cannot run offline.
"""

import doctest
import importlib
import pathlib
import warnings

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("analysis", "callbacks", "data", "estimators", "experiments", "models", "training")
OPTION_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
SLOW = doctest.register_optionflag("SLOW")


def _module_name(path):
    """`infodl.<package>.<module>` of a file under a package folder or under `infodl/`."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts if parts[0] == "infodl" else ["infodl", *parts])


def library_modules():
    """{importable name: source path} of every library module, in file order."""
    files = sorted((ROOT / "infodl").rglob("*.py"))
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return {_module_name(path): path for path in files if "__pycache__" not in path.parts}


MODULES = library_modules()
WITH_EXAMPLES = [name for name, path in MODULES.items() if ">>>" in path.read_text()]


def _doctests(module):
    """The examples of `module`'s own objects (not re-exported ones), non-empty only."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    return sorted(finder.find(module, module.__name__, globs={}), key=lambda test: test.name)


def test_modules_are_found_and_most_carry_examples():
    assert "infodl.callbacks.block_ratio" in MODULES and "infodl.seeds" in MODULES
    assert len(WITH_EXAMPLES) >= 50


def _run_examples(module_name, tmp_path, monkeypatch, run_slow):
    """Runs the module's examples; fails with doctest's report naming each failure."""
    import keras

    monkeypatch.chdir(tmp_path)
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    module = importlib.import_module(module_name)
    tests = _doctests(module)
    assert tests, f"{module_name} has '>>>' lines that doctest does not collect"
    runner = doctest.DocTestRunner(optionflags=OPTION_FLAGS)
    report = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        for test in tests:
            for example in test.examples:
                if example.options.get(SLOW) and not run_slow:
                    example.options[doctest.SKIP] = True
            test.globs = {"np": np, "keras": keras}
            runner.run(test, out=report.append, clear_globs=True)
    if runner.failures:
        pytest.fail("".join(report), pytrace=False)
    warned = sorted({str(w.message) for w in caught if issubclass(w.category, UserWarning)})
    if warned:
        pytest.fail(f"{module_name}'s examples warned:\n" + "\n".join(warned), pytrace=False)


def _has_slow_examples(module_name):
    return "+SLOW" in MODULES[module_name].read_text()


@pytest.mark.parametrize("module_name", WITH_EXAMPLES)
def test_docstring_examples_run(module_name, tmp_path, monkeypatch):
    _run_examples(module_name, tmp_path, monkeypatch, run_slow=False)


@pytest.mark.slow
@pytest.mark.parametrize("module_name", [name for name in WITH_EXAMPLES
                                         if _has_slow_examples(name)])
def test_slow_docstring_examples_run(module_name, tmp_path, monkeypatch):
    _run_examples(module_name, tmp_path, monkeypatch, run_slow=True)

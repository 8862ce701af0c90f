"""Composition over plumbing: no function or constructor in training/ or experiments/
takes more than 12 parameters, and no experiment matches names by inspecting signatures
(a setting reaches its formula in hops that grep can follow)."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
MAX_PARAMETERS = 12
PACKAGES = ("training", "experiments")


def _parameter_count(function):
    """Parameters of a def, without self / cls, counting *args and **kwargs as one each."""
    arguments = function.args
    names = [a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs]
    if names and names[0] in ("self", "cls"):
        names = names[1:]
    return len(names) + (arguments.vararg is not None) + (arguments.kwarg is not None)


def _functions(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _too_long(paths):
    return [f"{path.relative_to(ROOT)}:{node.lineno} {node.name} "
            f"({_parameter_count(node)} parameters)"
            for path in paths for node in _functions(path)
            if _parameter_count(node) > MAX_PARAMETERS]


def test_no_function_in_training_or_experiments_takes_more_than_12_parameters():
    paths = [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]
    assert len(paths) > 20  # the walk found the packages
    assert _too_long(paths) == []


def test_the_parameter_count_fails_on_13(tmp_path):
    """The check itself: 13 parameters (self excluded) are reported, 12 are not."""
    path = tmp_path / "example.py"
    path.write_text("class A:\n"
                    "    def __init__(self, " + ", ".join(f"a{k}" for k in range(12)) + "):\n"
                    "        pass\n"
                    "def f(" + ", ".join(f"b{k}" for k in range(12)) + ", *rest):\n"
                    "    pass\n")
    too_long = [line.replace(str(tmp_path) + "/", "") for line in
                (f"{path}:{node.lineno} {node.name} ({_parameter_count(node)} parameters)"
                 for node in _functions(path) if _parameter_count(node) > MAX_PARAMETERS)]
    assert too_long == [f"{path.name}:4 f (13 parameters)"]


def test_no_experiment_inspects_a_signature():
    offenders = [str(path.relative_to(ROOT)) for path in sorted((ROOT / "experiments")
                                                                 .rglob("*.py"))
                 if "inspect.signature" in path.read_text()
                 or "from inspect import" in path.read_text()]
    assert offenders == []

"""Every library object a docstring names by its dotted path exists at that path.

A docstring names a library object as `infodl.<package>.<module>.<Name>` (or a shorter
prefix of it: `infodl.models`, `infodl.choices.DATASETS`). The test reads every
docstring of the library (the seven package folders and `infodl/`; not the `>>>`
examples, which `test_docstring_examples.py` runs) and checks that

- each `infodl.`-path resolves: its longest importable prefix is imported and the rest
  is looked up attribute by attribute (so `infodl.training.ProximalL1` fails: the
  class lives in `infodl.callbacks`);
- no path starts at a bare package name (`models.resnet.build_resnet`,
  `callbacks.TrainingScalars`): the packages are importable only under `infodl.`, and
  a user's own `models` or `data` package would shadow the bare name.
"""

import ast
import importlib
import re

import pytest

from tests.test_docstring_examples import MODULES, PACKAGES

IDENTIFIER = r"[A-Za-z_]\w*"
QUALIFIED = re.compile(rf"(?<![\w./])infodl(?:\.{IDENTIFIER})+")
BARE = re.compile(rf"(?<![\w./-])(?:{'|'.join(PACKAGES)})(?:\.{IDENTIFIER})+")
# A file name such as `analysis.json` looks like a path; its extension tells it apart.
FILE_EXTENSIONS = {"csv", "gz", "json", "jsonl", "keras", "md", "npz", "pkl", "png", "py",
                   "txt", "yaml"}


def _docstrings(path):
    """(line number, docstring) of the module and of every class and function in it."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            docstring = ast.get_docstring(node, clean=False)
            if docstring:
                yield getattr(node, "lineno", 1), docstring


def _prose(docstring):
    """The docstring without its doctest examples (`>>>`/`...` lines and their output)."""
    kept, in_example = [], False
    for line in docstring.splitlines():
        stripped = line.strip()
        if stripped.startswith((">>>", "...")):
            in_example = True
        elif in_example and not stripped:
            in_example = False
        elif not in_example:
            kept.append(line)
    return "\n".join(kept)


def _references():
    """{(module, line, path)} of every dotted library path named in a docstring."""
    found = set()
    for module_name, path in MODULES.items():
        for line, docstring in _docstrings(path):
            text = _prose(docstring)
            found |= {(module_name, line, match.group(0), "qualified")
                      for match in QUALIFIED.finditer(text)}
            found |= {(module_name, line, match.group(0), "bare")
                      for match in BARE.finditer(text)
                      if match.group(0).rsplit(".", 1)[-1] not in FILE_EXTENSIONS}
    return sorted(found)


REFERENCES = _references()


def resolves(dotted):
    """True when `dotted` is an importable module, or a module's attribute path."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            if not hasattr(target, attribute):
                return False
            target = getattr(target, attribute)
        return True
    return False


def test_references_are_found():
    qualified = [ref for ref in REFERENCES if ref[3] == "qualified"]
    assert len(qualified) >= 20
    assert resolves("infodl.callbacks.proximal_l1.ProximalL1")
    assert resolves("infodl.models.regularized_logits.RegularizedLogits.apply_proximal_l1")
    assert not resolves("infodl.training.ProximalL1")
    assert not resolves("infodl.estimators.no_such_module")


def test_no_docstring_names_a_bare_package_path():
    bare = [f"{module}:{line}: {path}" for module, line, path, kind in REFERENCES
            if kind == "bare"]
    assert not bare, "write infodl.<package>... instead of:\n" + "\n".join(bare)


def test_every_qualified_docstring_path_resolves():
    broken = [f"{module} (docstring at line {line}): {path}"
              for module, line, path, kind in REFERENCES
              if kind == "qualified" and not resolves(path)]
    assert not broken, "docstrings name objects that do not exist there:\n" + "\n".join(broken)


@pytest.mark.parametrize("text, expected", [
    ("see `training.ProximalL1`.", ["training.ProximalL1"]),
    ("tf.data.Dataset and keras.callbacks.TerminateOnNaN", []),
    ("the folder models/resnet.py, the training data.", []),
    ("writes analysis.json and analysis.md", ["analysis.json", "analysis.md"]),
])
def test_bare_pattern(text, expected):
    assert BARE.findall(text) == expected


def test_file_names_are_not_references():
    assert not any(path.endswith((".json", ".md")) for _, _, path, _ in REFERENCES)

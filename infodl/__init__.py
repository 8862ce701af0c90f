"""infodl: the information-theoretic deep-learning library of this repository.

Every package of the project is importable under this one name, so that installing it
adds a single top-level name and never shadows a user's own `models` or `data`:

    infodl.models, infodl.callbacks, infodl.estimators, infodl.training, infodl.data,
    infodl.analysis, infodl.experiments

(the folders `models/`, `callbacks/`, ... at the repository root). `pip install -r
requirements.txt` (which installs this checkout editable), `pip install -e .` or `pip
install git+<url>` maps them here (pyproject.toml). When this package is imported from a
checkout, its names map to that checkout's folders first (`_CheckoutPackages` below): a
checkout run from its root is what runs even when another copy is installed (another
clone or worktree installed editable would otherwise serve `infodl.models` from there
under this checkout's `infodl`), it runs without any install, and a bare `import models`
from the repository root gives the same module object as `import infodl.models` (one name
per module). Its own modules are free of TensorFlow:

- `infodl.checks`: the argument checks, with Keras-style messages
  (`Expected alpha2 >= 0. Received: alpha2=-1`);
- `infodl.choices`: every list of allowed values (models, datasets, activations,
  estimators, bounds, ...), imported by the configs that validate flags and by the
  builders that use the values;
- `infodl.lazy_exports`, `infodl.quiet_startup`: late imports and a quiet start-up.

`infodl.run_folder` (atomic writes, checkpoints, summaries, the run-folder guard and
lock) is core too, below every package, but some of its modules use TensorFlow/Keras.

Example:
    >>> from infodl.callbacks import BlockRatioLogger
    >>> from infodl.estimators import MINE
    >>> BlockRatioLogger.__module__  # one name per module: never `callbacks.block_ratio`
    'infodl.callbacks.block_ratio'
"""

__version__ = "0.1.0"  # the only place: pyproject.toml reads it, CHANGELOG.md says what changed

import importlib as _importlib
import importlib.abc as _importlib_abc
import importlib.machinery as _machinery
import importlib.util as _importlib_util
import os as _os
import sys as _sys

PACKAGES = ("analysis", "callbacks", "data", "estimators", "experiments", "models", "training")


def checkout_root():
    """The repository root when this package runs from a checkout, None when installed."""
    here = _os.path.dirname(_os.path.abspath(__file__))
    root = _os.path.dirname(here)
    if _os.path.isdir(_os.path.join(here, "models")):  # an installed copy holds its packages
        return None
    looks_like_repo = all(_os.path.isfile(_os.path.join(root, name, "__init__.py"))
                          for name in PACKAGES)
    return root if looks_like_repo and _os.path.isfile(_os.path.join(root, "run.py")) else None


class _CheckoutPackages(_importlib_abc.MetaPathFinder, _importlib_abc.Loader):
    """Imports the checkout's folders as `infodl.<folder>` and only under that name.

    - `infodl.models` is the folder `<root>/models` (and `infodl.models.<module>` its
      modules, found through the package's `__path__`); no other name under `infodl` maps
      to the repository root, so the folders `tests/`, `benchmarks/` and `run.py` are not
      modules of `infodl`, as in an installed copy.
    - A bare `import models` that would load this checkout's folder (the repository
      root is on `sys.path` when Python runs from it) yields the module `infodl.models`
      itself, and each of its modules is the `infodl.models` module of that name: one
      module object per file, so the Keras registry and `isinstance` see one class. A
      user's own `models` package earlier on `sys.path` is left alone.
    """

    def __init__(self, root):
        self.root = root

    def _folder(self, name):
        return _os.path.join(self.root, name)

    def _is_checkout_folder(self, top):
        spec = _machinery.PathFinder.find_spec(top)
        origin = getattr(spec, "origin", None)
        return origin is not None and _os.path.dirname(_os.path.abspath(origin)) == \
            _os.path.abspath(self._folder(top))

    def find_spec(self, fullname, path=None, target=None):
        parts = fullname.split(".")
        if len(parts) == 2 and parts[0] == __name__ and parts[1] in PACKAGES:
            folder = self._folder(parts[1])
            return _importlib_util.spec_from_file_location(
                fullname, _os.path.join(folder, "__init__.py"),
                submodule_search_locations=[folder])
        if parts[0] not in PACKAGES:
            return None
        if len(parts) == 1:
            aliased = self._is_checkout_folder(parts[0])
        else:
            aliased = _sys.modules.get(parts[0]) is _sys.modules.get(f"{__name__}.{parts[0]}")
        return _importlib_util.spec_from_loader(fullname, self) if aliased else None

    def create_module(self, spec):
        return _importlib.import_module(f"{__name__}.{spec.name}")

    def exec_module(self, module):
        """Nothing to run: `create_module` returned the loaded `infodl.` module."""


def one_name(module_name):
    """Makes a package folder loaded under its bare name the same object as `infodl.<name>`.

    Each package's `__init__.py` calls this first: when Python ran it as `models`
    (before `infodl` was imported), the entry `sys.modules["models"]` is replaced by
    `infodl.models`, which the import statement then returns.
    """
    if not module_name.startswith(__name__ + "."):
        _sys.modules[module_name] = _importlib.import_module(f"{__name__}.{module_name}")


if checkout_root() and not any(isinstance(finder, _CheckoutPackages)
                              for finder in _sys.meta_path):
    _sys.meta_path.insert(0, _CheckoutPackages(checkout_root()))

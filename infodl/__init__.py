"""infodl: the information-theoretic deep-learning library of this repository.

Every package of the project is importable under this one name, so that installing it
adds a single top-level name and never shadows a user's own `models` or `data`:

    infodl.models, infodl.callbacks, infodl.estimators, infodl.training, infodl.data,
    infodl.analysis, infodl.experiments

(the folders `models/`, `callbacks/`, ... at the repository root). `pip install -e .`
or `pip install git+<url>` maps them here (pyproject.toml); run from a checkout
without installing, this package finds them beside itself (the repository root is on
`infodl.__path__`, below). Its own modules are free of TensorFlow:

- `infodl.checks`: the argument checks, with Keras-style messages
  (`Expected alpha2 >= 0. Received: alpha2=-1`);
- `infodl.choices`: every list of allowed values (models, datasets, activations,
  estimators, bounds, ...), imported by the configs that validate flags and by the
  builders that use the values;
- `infodl.lazy_exports`, `infodl.quiet_startup`: late imports and a quiet start-up.

Example:
    >>> from infodl.callbacks import BlockRatioLogger
    >>> from infodl.estimators import MINE
"""

import os as _os

PACKAGES = ("analysis", "callbacks", "data", "estimators", "experiments", "models", "training")


def _in_checkout():
    """The repository root when this file sits in a checkout (not in site-packages)."""
    here = _os.path.dirname(_os.path.abspath(__file__))
    root = _os.path.dirname(here)
    if _os.path.isdir(_os.path.join(here, "models")):  # an installed copy holds its packages
        return None
    looks_like_repo = all(_os.path.isfile(_os.path.join(root, name, "__init__.py"))
                          for name in PACKAGES)
    return root if looks_like_repo and _os.path.isfile(_os.path.join(root, "run.py")) else None


if _in_checkout() and _in_checkout() not in __path__:
    __path__.append(_in_checkout())

"""Package attributes imported on first access (PEP 562), so that heavy modules load late.

`import infodl.estimators` must not load TensorFlow for a NumPy user, yet
`infodl.estimators.MINE` must work: a package lists which public name lives in which
of its modules, and `lazy_exports` returns the module-level `__getattr__` and `__dir__`
that import that module when the name is first read.
"""

import importlib


def lazy_exports(package_globals, lazy):
    """The `__getattr__` and `__dir__` of a package whose `lazy` names load on first use.

    Args:
        package_globals: the package's `globals()` (its `__name__` and `__all__` are
            read from it; a resolved name is stored in it, so later reads skip the hook).
        lazy: dict public name -> module name relative to the package (".mine").

    Returns:
        (__getattr__, __dir__) to assign at module level.

    Example:
        >>> import sys
        >>> from infodl.lazy_exports import lazy_exports
        >>> package = {"__name__": "infodl.estimators", "__all__": ["MINE"]}
        >>> __getattr__, __dir__ = lazy_exports(package, {"MINE": ".mine"})
        >>> __getattr__("MINE") is sys.modules["infodl.estimators.mine"].MINE
        True
        >>> "MINE" in package  # stored, so the next read skips the hook
        True
    """
    package = package_globals["__name__"]

    def __getattr__(name):
        if name in lazy:
            value = getattr(importlib.import_module(lazy[name], package), name)
            package_globals[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(package_globals) | set(package_globals.get("__all__", ())))

    return __getattr__, __dir__

"""MkDocs hook: lets mkdocstrings read the library under its import names.

The packages are the repository's folders (`models/`, `estimators/`, ...), installed as
`infodl.models`, `infodl.estimators`, ... by pyproject.toml's package-dir mapping;
griffe, which reads the sources without importing them, looks for `infodl/models/`.
Before the build, this hook lays out that tree in a temporary folder, of symbolic links
to the checkout's files (`infodl/<core module>` and `infodl/<package>` -> `<package>/`),
and gives it to the Python handler as its search path. Nothing is imported, so the
build needs neither TensorFlow nor an install.
"""

import atexit
import pathlib
import shutil
import tempfile

from mkdocs.plugins import event_priority

PACKAGES = ("analysis", "callbacks", "data", "estimators", "experiments", "models", "training")


def lay_out_import_tree(root, folder):
    """Makes `folder/infodl` mirror the installed package of the checkout at `root`."""
    package = pathlib.Path(folder) / "infodl"
    package.mkdir(parents=True)
    for entry in (root / "infodl").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    for name in PACKAGES:
        (package / name).symlink_to(root / name, target_is_directory=True)
    return package


@event_priority(100)  # before mkdocstrings sets up its handler with the search paths
def on_config(config):
    root = pathlib.Path(config.config_file_path).resolve().parent
    folder = tempfile.mkdtemp(prefix="infodl-api-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    lay_out_import_tree(root, folder)
    handlers = config.plugins["mkdocstrings"].config.setdefault("handlers", {})
    handlers.setdefault("python", {})["paths"] = [folder]
    return config

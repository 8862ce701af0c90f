"""A checkout run from its root imports its own folders, even with another copy installed.

`pip install -r requirements.txt` installs a checkout editable: setuptools' finder (on
`sys.meta_path`, after the path finder) then maps `infodl.models` to that checkout's
folder. Python run from the root of another checkout (another clone or worktree) finds
that checkout's `infodl/` on `sys.path` first; its `infodl.models` must come from beside
it too, not from the installed copy (`infodl._CheckoutPackages`), or two checkouts' code
would be mixed without a word.
"""

import os
import pathlib
import subprocess
import sys
import textwrap

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_checkout_beats_another_installed_editable_copy(tmp_path):
    other = tmp_path / "other_clone"
    for package in ("models", "estimators"):
        (other / package).mkdir(parents=True)
        (other / package / "__init__.py").write_text("raise ImportError('the other copy')\n")
    code = textwrap.dedent(f"""
        import importlib.machinery, importlib.util, sys

        class InstalledEditableCopy:      # what setuptools' editable finder does
            MAPPING = {{"infodl.models": {str(other / "models")!r},
                        "infodl.estimators": {str(other / "estimators")!r}}}

            @classmethod
            def find_spec(cls, fullname, path=None, target=None):
                if fullname in cls.MAPPING:
                    folder = cls.MAPPING[fullname]
                    return importlib.util.spec_from_file_location(
                        fullname, folder + "/__init__.py", submodule_search_locations=[folder])
                return None

        sys.meta_path.append(InstalledEditableCopy)
        import infodl.models, infodl.estimators
        print(infodl.__file__)
        print(infodl.models.__file__)
        print(infodl.estimators.__file__)
    """)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("PYTHONPATH", None)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == [str(ROOT / "infodl" / "__init__.py"),
                                     str(ROOT / "models" / "__init__.py"),
                                     str(ROOT / "estimators" / "__init__.py")]

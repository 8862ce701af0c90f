"""One name per module: a checkout's folders load only as `infodl.<folder>`.

From the repository root (where `run.py` and `python -m pytest` run) the folders
`models/`, `callbacks/`, ... are also reachable as bare top-level names. They must give
the very same module objects as `infodl.models`, ...: two copies of a file register two
Keras classes of one name, and then `isinstance` and `RegularizedLogits.layers_in` fail
on a loaded model.
"""

import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_python(code, cwd=ROOT, pythonpath=None):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("bare_first", [True, False])
def test_bare_and_infodl_names_are_the_same_module_objects(bare_first):
    first, second = ("models", "infodl.models") if bare_first else ("infodl.models", "models")
    result = run_python(f"""
        import importlib, sys
        import infodl
        pairs = []
        for package in infodl.PACKAGES:
            a = "{first}".replace("models", package)
            b = "{second}".replace("models", package)
            pairs.append((importlib.import_module(a), importlib.import_module(b)))
        import models.mlp, infodl.models.mlp, estimators.binning, infodl.estimators.binning
        assert models.mlp is infodl.models.mlp
        assert estimators.binning is infodl.estimators.binning
        assert all(x is y for x, y in pairs), [(x, y) for x, y in pairs if x is not y]
        copies = [name for name in sys.modules if name.split(".")[0] in infodl.PACKAGES
                  and sys.modules[name] is not sys.modules.get("infodl." + name)]
        assert not copies, copies
        print("same", len(pairs))
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "same 7" in result.stdout


def test_names_outside_the_library_do_not_resolve_under_infodl():
    result = run_python("""
        import importlib.util
        for name in ("infodl.tests", "infodl.run", "infodl.benchmarks", "infodl.examples",
                     "infodl.docs"):
            try:
                found = importlib.util.find_spec(name)
            except ModuleNotFoundError:
                found = None
            assert found is None, name
        print("none")
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "none" in result.stdout


def test_a_users_own_models_package_is_left_alone(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "__init__.py").write_text("OWN = 'user'\n")
    result = run_python("""
        import infodl.models, models
        assert models is not infodl.models
        print(models.OWN)
    """, cwd=tmp_path, pythonpath=[tmp_path, ROOT])
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "user"


@pytest.mark.parametrize("order", ["bare_first", "infodl_first"])
def test_a_saved_and_loaded_model_keeps_its_regularized_logits_layer(tmp_path, order):
    imports = ("import models.regularized_logits as bare\n"
               "import infodl.models.regularized_logits as full")
    if order == "infodl_first":
        imports = "\n".join(reversed(imports.split("\n")))
    result = run_python(imports + f"""
import keras, numpy as np
from infodl.models import regularized_logits
inputs = keras.Input((4,))
logits = full.RegularizedLogits(3, alpha2=0.1, name="logits")(inputs)
model = keras.Model(inputs, logits)
model.save({str(tmp_path / "m.keras")!r})
loaded = keras.models.load_model({str(tmp_path / "m.keras")!r})
layer = loaded.get_layer("logits")
assert isinstance(layer, bare.RegularizedLogits) and isinstance(layer, full.RegularizedLogits)
print(len(bare.RegularizedLogits.layers_in(loaded)), len(full.RegularizedLogits.layers_in(loaded)))
""")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-2:] == ["1", "1"]

"""The public surface of models, training, analysis and experiments: `__all__`, read lazily.

`from infodl.models import RegularizedLogits` is the short path of
`infodl.models.regularized_logits.RegularizedLogits` (the same object), and importing a
package loads no TensorFlow until one of its names is read.
"""

import importlib
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("models", "training", "analysis", "experiments")
# One name per package, read in a fresh interpreter after the import.
SAMPLE = {"models": ("RegularizedLogits", "regularized_logits"),
          "training": ("LayerwiseIBTrainer", "ib_layerwise_trainer"),
          "analysis": ("FeatureAnalysis", "feature_analysis"),
          "experiments": ("IBLayerwiseConfig", "ib.layerwise_config")}
# The experiments' folders and the command line are packages with an `__all__` too.
SUBPACKAGES = tuple(f"experiments.{name}" for name in (
    "analyze", "cli", "ib", "info_plane", "invnet", "resnet", "sweeps"))


@pytest.mark.parametrize("package", PACKAGES)
def test_import_loads_no_tensorflow_until_a_name_is_read(package):
    name, module = SAMPLE[package]
    code = (f"import sys, infodl.{package}\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, "
            "sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\n"
            f"from infodl.{package} import {name}\n"
            f"from infodl.{package}.{module} import {name} as deep\n"
            f"assert {name} is deep\n"
            "print('ok')")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "ok"


@pytest.mark.parametrize("package", PACKAGES + SUBPACKAGES)
def test_every_public_name_resolves_to_the_object_of_its_module(package):
    module = importlib.import_module(f"infodl.{package}")
    assert module.__all__ and len(set(module.__all__)) == len(module.__all__)
    assert set(module.__all__) == set(module._LAZY)
    for name in module.__all__:
        defining = importlib.import_module(module._LAZY[name], f"infodl.{package}")
        assert getattr(module, name) is getattr(defining, name), name
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchName'"):
        module.NoSuchName  # noqa: B018


def test_readme_imports_the_short_paths():
    readme = (ROOT / "README.md").read_text()
    assert "from infodl.models import RegularizedLogits" in readme
    assert "from infodl.models.regularized_logits import" not in readme
    assert "from infodl.models.resnet import" not in readme

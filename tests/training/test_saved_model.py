"""`infodl.training.load_model` loads every experiment's checkpoint in a fresh process.

Issue 34: `keras.saving.load_model(ckpt)` in a new process failed with "Could not locate
class 'ResidualUnit'" unless the library's layers had been imported first.
"""

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from infodl.run_folder import checkpoints
from infodl.training.saved_model import REGISTERING_MODULES, load_model

ROOT = pathlib.Path(__file__).resolve().parents[2]


def outputs_in_a_fresh_process(paths, inputs, cwd):
    """{path: outputs of `load_model(path)` on `inputs[path]`}, computed in a new Python
    that imports nothing of the library before the call; also whether `import infodl`
    (and `infodl.training`) loaded TensorFlow, and what plain Keras made of each file."""
    (cwd / "inputs.npz").parent.mkdir(parents=True, exist_ok=True)
    np.savez(cwd / "inputs.npz", **{str(i): inputs[path] for i, path in enumerate(paths)})
    code = textwrap.dedent(f"""
        import json, sys
        import infodl, infodl.training
        tensorflow_on_import = "tensorflow" in sys.modules
        import keras, numpy as np
        paths, data = {[str(p) for p in paths]!r}, np.load("inputs.npz")
        plain = []
        for path in paths:
            try:
                keras.saving.load_model(path, compile=False)
                plain.append("loaded")
            except Exception as error:
                plain.append(type(error).__name__)
        outputs = {{}}
        for i, path in enumerate(paths):
            model = infodl.training.load_model(path)
            x = data[str(i)]
            outputs[path] = [np.asarray(y).tolist() for y in keras.tree.flatten(
                model(x if len(model.inputs) == 1 else {{"image": x, "label": None}}))]
        print(json.dumps({{"tensorflow_on_import": tensorflow_on_import, "plain": plain,
                          "outputs": outputs}}))
    """)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def assert_same_outputs(model, x, loaded_outputs):
    expected = keras.tree.flatten(model(x if len(model.inputs) == 1
                                        else {"image": x, "label": None}))
    assert len(expected) == len(loaded_outputs)
    for want, got in zip(expected, loaded_outputs, strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-5)


def test_every_registering_module_is_imported_by_load_model():
    registering = set()
    for package in ("models", "estimators", "training"):
        for path in (ROOT / package).glob("*.py"):
            if "register_keras_serializable" in path.read_text() and path.stem != "saved_model":
                registering.add(f"infodl.{package}.{path.stem}")
    assert registering == set(REGISTERING_MODULES)


def test_a_resnet_with_the_regularized_logits_loads_in_a_fresh_process(tmp_path):
    from infodl.models import build_resnet

    keras.utils.set_random_seed(0)
    model = build_resnet("resnet20", num_classes=10, alpha2=0.03)
    path = tmp_path / "ckpt-00000000.keras"
    model.save(path)
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
    found = outputs_in_a_fresh_process([path], {path: x}, tmp_path)
    assert found["tensorflow_on_import"] is False  # `import infodl` stays TensorFlow-free
    assert found["plain"] == ["TypeError"]  # what plain Keras did (the failure)
    assert_same_outputs(model, x, found["outputs"][str(path)])


def test_bad_paths_are_one_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.keras does not exist"):
        load_model(tmp_path / "missing.keras")
    (tmp_path / "model.h5").write_text("")
    with pytest.raises(ValueError, match="Expected a .keras file or a run folder"):
        load_model(tmp_path / "model.h5")
    with pytest.raises(FileNotFoundError, match="no model in"):
        load_model(tmp_path)
    (tmp_path / "model.keras").write_text("")
    assert checkpoints.model_file(tmp_path) == tmp_path / "model.keras"
    (tmp_path / "checkpoints").mkdir()
    for step in (2, 10):
        (tmp_path / "checkpoints" / f"ckpt-{step:08d}.keras").write_text("")
    assert checkpoints.model_file(tmp_path).name == "ckpt-00000010.keras"  # the newest


@pytest.mark.slow  # three small runs and a fresh process: about a minute on 2 cores
def test_the_checkpoints_of_the_resnet_invnet_and_ib_runs_load(tmp_path):
    from infodl.experiments.ib import layerwise as ib_layerwise
    from infodl.experiments.ib.layerwise_config import IBLayerwiseConfig
    from infodl.experiments.invnet import experiment as invnet
    from infodl.experiments.invnet.config import InvNetConfig
    from infodl.experiments.resnet import experiment as resnet
    from infodl.experiments.resnet.config import ResNetConfig

    resnet.run(ResNetConfig(model="resnet20", dataset="synthetic", alpha1=1e-4, alpha2=0.03,
                            batch_size=8, train_steps=2, eval_every=2, measurements=False,
                            log_dir=str(tmp_path / "resnet"), verbose=0))
    invnet.run(InvNetConfig(dataset="digits", epochs=1, batch_size=64, measurements=False,
                            analyze=False, log_dir=str(tmp_path / "invnet"), verbose=0))
    ib = ib_layerwise.run(IBLayerwiseConfig(method="cross_entropy", dataset="digits",
                                            train_steps=4, batch_size=64,
                                            log_dir=str(tmp_path / "ib"), verbose=0))
    paths = [next((tmp_path / "resnet" / "checkpoints").glob("ckpt-*.keras")),
             next((tmp_path / "invnet" / "checkpoints").glob("ckpt-*.keras")),
             pathlib.Path(ib["runs"][0]["model_path"])]
    rng = np.random.default_rng(0)
    inputs = {paths[0]: rng.normal(size=(2, 32, 32, 3)).astype("float32"),
              paths[1]: rng.uniform(size=(2, 8, 8, 1)).astype("float32"),
              paths[2]: rng.uniform(size=(2, 8, 8, 1)).astype("float32")}
    found = outputs_in_a_fresh_process(paths, inputs, tmp_path)
    assert found["plain"][:2] == ["TypeError", "TypeError"]
    for path in paths:
        model = keras.saving.load_model(path, compile=False)  # here the classes are known
        assert_same_outputs(model, inputs[path], found["outputs"][str(path)])

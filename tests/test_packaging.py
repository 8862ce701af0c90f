"""pip install -e . makes the library importable from any folder, under the one name infodl.

The script runs in a folder of its own that holds a user's own `models` and `data`
packages: they must stay the user's, while `infodl.callbacks.BlockRatioLogger` works in
the script's `model.fit` and logs the ratio a NumPy re-computation gives.
"""

import json
import os
import pathlib
import shutil
import site
import subprocess
import sys
import sysconfig
import textwrap
import venv

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

USER_SCRIPT = textwrap.dedent("""
    import json
    import numpy as np
    import keras
    import models, data                      # the user's own packages of these names
    from infodl.callbacks import BlockRatioLogger
    import infodl.models.resnet

    assert models.OWNER == "user" and data.OWNER == "user", "the user's packages were shadowed"
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    stem = keras.layers.Dense(8, name="stem")(inputs)
    branch = keras.layers.Dense(8, name="branch")(stem)
    logits = keras.layers.Dense(3, name="logits")(keras.layers.Add()([stem, branch]))
    model = keras.Model(inputs, logits)
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.random.default_rng(0).normal(size=(32, 6)).astype("float32")
    y = np.arange(32) % 3
    logger = BlockRatioLogger(x[:10], every_n_steps=2,
                              layer_pairs={"residual": ("stem", "branch")})
    history = model.fit(x, y, batch_size=8, epochs=2, callbacks=[logger], verbose=0)
    weights = {name: model.get_layer(name).get_weights() for name in ("stem", "branch")}
    s = x[:10].astype("float64") @ weights["stem"][0] + weights["stem"][1]
    b = s @ weights["branch"][0] + weights["branch"][1]
    ratios = np.linalg.norm(b, axis=1) / np.linalg.norm(s, axis=1)
    print(json.dumps({"history": {k: [float(v) for v in vs]
                                  for k, vs in history.history.items()},
                      "numpy_mean": float(ratios.mean()), "numpy_max": float(ratios.max()),
                      "resnet_module": infodl.models.resnet.__file__}))
""")


def make_venv(folder):
    """A fresh venv (its own pip and the setuptools this Python ships) that also sees the
    packages of the environment running the tests (TensorFlow etc., from requirements.txt):
    a .pth of that environment's site-packages. `system_site_packages=True` would give the
    base interpreter's packages instead, which a virtualenv's base need not have."""
    venv.EnvBuilder(with_pip=True).create(folder)
    python = folder / "bin" / "python"
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip()
    running = dict.fromkeys(site.getsitepackages() + [sysconfig.get_paths()["purelib"]])
    pathlib.Path(site_packages, "tested_environment.pth").write_text("\n".join(running) + "\n")
    return python


def run_outside(python, folder):
    for name in ("models", "data"):
        (folder / name).mkdir()
        (folder / name / "__init__.py").write_text('OWNER = "user"\n')
    (folder / "user_script.py").write_text(USER_SCRIPT)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run([str(python), "user_script.py"], cwd=folder, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def pip_install(python, *args):
    # With build isolation, as a user's `pip install .`: pip fetches the build backend of
    # pyproject.toml from the package index. (--no-build-isolation would build with the
    # venv's setuptools 65.5, which cannot make a wheel without the `wheel` package:
    # "invalid command 'bdist_wheel'".)
    result = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps",
                             "--disable-pip-version-check", *args],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]


def check_block_ratio(report):
    history = report["history"]
    mean_key = [key for key in history if key.endswith("residual/mean")]
    assert len(mean_key) == 1, sorted(history)
    # The final measurement at the end of training belongs to the final weights.
    assert history[mean_key[0]][-1] == pytest.approx(report["numpy_mean"], rel=1e-5)
    max_key = mean_key[0][:-len("mean")] + "max"
    assert history[max_key][-1] == pytest.approx(report["numpy_max"], rel=1e-5)


@pytest.mark.slow  # 40-140 s on 2 cores; python -m pytest -q --runslow runs it
def test_editable_install_works_from_another_folder(tmp_path):
    python = make_venv(tmp_path / "venv")
    pip_install(python, "-e", str(ROOT))
    outside = tmp_path / "project"
    outside.mkdir()
    report = run_outside(python, outside)
    check_block_ratio(report)
    assert pathlib.Path(report["resnet_module"]).resolve() == ROOT / "models" / "resnet.py"


@pytest.mark.slow
@pytest.mark.ci_slow
def test_regular_install_copies_every_package(tmp_path):
    """pip install . (as pip install git+<url> does): the installed copy stands alone."""
    python = make_venv(tmp_path / "venv")
    source = tmp_path / "source"  # the build writes build/ beside the sources: not here
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "runs", "build", "__pycache__", "*.egg-info", ".*cache"))
    pip_install(python, str(source))
    outside = tmp_path / "project"
    outside.mkdir()
    report = run_outside(python, outside)
    check_block_ratio(report)
    module = pathlib.Path(report["resnet_module"])
    assert "site-packages" in module.parts and module.parent.parent.name == "infodl"
    sweeps = module.parent.parent / "experiments" / "sweeps"
    assert sorted(p.name for p in sweeps.glob("*.yaml")) == ["p2_table1.yaml", "p2_table2.yaml"]
    check_installed_command_line(python, outside)


TINY_SWEEP = ("experiment: resnet\n"
              "flags: {model: resnet20, dataset: synthetic, synthetic_sizes: '64,32', "
              "batch_size: 8, train_steps: 2, eval_every: 2, info_every: 2, "
              "block_ratio_every: 0, classifier_stats_every: 0}\n"
              "seeds: [0]\nsettings:\n  - {name: original}\n  - {name: reg, alpha2: 0.05}\n")


def check_installed_command_line(python, folder):
    """The console script and `python -m infodl` take run.py's flags; a sweep started
    from the installed copy starts its runs through it and the report reads them."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    script = python.parent / "infodl"
    assert script.is_file(), "pip install did not create the infodl console script"
    for command in ([str(script), "--help"], [str(python), "-m", "infodl", "--help"]):
        shown = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True,
                               timeout=300)
        assert "Traceback" not in shown.stderr, shown.stderr[-2000:]  # absl's --help exits 1
        assert "--alpha2" in shown.stdout and "--sweep" in shown.stdout
    (folder / "sweep.yaml").write_text(TINY_SWEEP)
    sweep = subprocess.run([str(script), "--sweep=sweep.yaml", "--log_dir=grid"], cwd=folder,
                           env=env, capture_output=True, text=True, timeout=900)
    assert sweep.returncode == 0, (sweep.stdout + sweep.stderr)[-3000:]
    assert "2 runs, 2 run now, 0 already finished, 0 failed" in sweep.stdout, sweep.stdout
    report = subprocess.run([str(python), "-m", "infodl", "--experiment=report",
                             "--log_dir=grid"], cwd=folder, env=env, capture_output=True,
                            text=True, timeout=300)
    assert report.returncode == 0, report.stderr[-2000:]
    rows = json.loads((folder / "grid" / "report.json").read_text())["rows"]
    assert sorted(row["setting"] for row in rows) == ["original", "reg"]
    for row in rows:
        results = json.loads((folder / "grid" / row["setting"] / "seed_0" / "results.json")
                             .read_text())
        assert results["complete"] and results["step"] == 2
        assert row["seeds_finished"] == 1


def test_every_module_imports_only_under_the_infodl_name():
    """Importing every module (as the checkpoint loader does) loads no bare `models` etc.:
    a second copy of a module would register its Keras classes twice."""
    code = textwrap.dedent("""
        import importlib, pkgutil, sys
        import infodl
        from infodl.training.saved_model import register_keras_classes
        register_keras_classes()
        for name in infodl.PACKAGES:
            package = importlib.import_module(f"infodl.{name}")
            for module in pkgutil.iter_modules(package.__path__):
                if module.name != "__main__":
                    importlib.import_module(f"infodl.{name}.{module.name}")
        print(sorted(name for name in sys.modules if name.split(".")[0] in infodl.PACKAGES))
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_every_package_folder_is_in_the_package_list():
    """pyproject.toml lists packages one by one: a folder missing there (a new experiment's
    folder) would be missing from `pip install .`, and only the slow install test would see it."""
    import tomllib

    import infodl

    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = set()
    for top in ("infodl",) + tuple(infodl.PACKAGES):
        for init in (ROOT / top).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT).parts
            folders.add(".".join(parts if parts[0] == "infodl" else ("infodl",) + parts))
    assert set(settings["packages"]) == folders
    assert settings["package-data"] == {"infodl.experiments.sweeps": ["*.yaml"]}
    assert sorted(p.name for p in (ROOT / "experiments" / "sweeps").glob("*.yaml")) == [
        "p2_table1.yaml", "p2_table2.yaml"]

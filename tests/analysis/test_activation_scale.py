"""The RMS of a layer's output: NumPy recomputation, saved run folders, the command line."""

import keras
import numpy as np
import pytest

from infodl.analysis.activation_scale import activation_rms, run_folder_rms
from infodl.experiments.ib.activation_scale import main


def two_layer_model(scale):
    inputs = keras.Input((4,), name="image")
    hidden = keras.layers.Dense(3, activation="relu", name="hidden_1")(inputs)
    features = keras.layers.Dense(2, name="features")(hidden)
    model = keras.Model(inputs, keras.layers.Dense(2, name="logits")(features))
    rng = np.random.default_rng(0)
    model.get_layer("hidden_1").set_weights([scale * rng.normal(size=(4, 3)), np.zeros(3)])
    model.get_layer("features").set_weights([rng.normal(size=(3, 2)), rng.normal(size=2)])
    return model


def numpy_rms(model, inputs):
    w1, b1 = model.get_layer("hidden_1").get_weights()
    w2, b2 = model.get_layer("features").get_weights()
    hidden = np.maximum(inputs @ w1 + b1, 0)
    return np.sqrt(np.mean(hidden ** 2)), np.sqrt(np.mean((hidden @ w2 + b2) ** 2))


def test_rms_equals_numpy_across_batches_and_scales_with_the_weights():
    inputs = np.random.default_rng(1).normal(size=(25, 4)).astype("float32")
    model = two_layer_model(1.0)
    got = activation_rms(model, inputs, ["hidden_1", "features"], batch_size=7)
    np.testing.assert_allclose([got["hidden_1"], got["features"]], numpy_rms(model, inputs),
                               rtol=1e-5)
    # a ReLU layer without bias: 3x the weights, 3x the RMS
    assert activation_rms(two_layer_model(3.0), inputs, ["hidden_1"])["hidden_1"] == (
        pytest.approx(3 * got["hidden_1"], rel=1e-5))


def test_run_folders_and_the_command_line(tmp_path, capsys, monkeypatch):
    images = np.random.default_rng(2).integers(0, 256, size=(30, 4)).astype("float32")
    expected = []
    for seed, scale in enumerate((1.0, 2.0)):
        model = two_layer_model(scale)
        (tmp_path / "run" / f"seed_{seed}").mkdir(parents=True)
        model.save(tmp_path / "run" / f"seed_{seed}" / "model.keras")
        expected.append(numpy_rms(model, images)[0])
    per_seed = run_folder_rms(tmp_path / "run", images, ["hidden_1"])
    assert list(per_seed) == ["seed_0", "seed_1"]
    np.testing.assert_allclose([per_seed[s]["hidden_1"] for s in per_seed], expected,
                               rtol=1e-5)
    with pytest.raises(ValueError, match="Expected seed_"):
        run_folder_rms(tmp_path, images, ["hidden_1"])

    # the command line: the test split of the pickle it reads (here 4-pixel "images")
    from infodl.data import mnist_pickle
    monkeypatch.setattr(mnist_pickle, "read_mnist_pickle", lambda path: [(images, None)] * 3)
    assert main(["activation_scale", f"--log_dir={tmp_path / 'run'}",
                 "--data_dir=mnist.pkl.gz", "--layers=hidden_1"]) == 0
    line = capsys.readouterr().out
    assert f"hidden_1 {np.mean(expected):.3f} ± {np.std(expected, ddof=1):.3f}" in line
    monkeypatch.undo()  # the real reader: a missing file is one error line
    assert main(["activation_scale", f"--log_dir={tmp_path / 'run'}",
                 f"--data_dir={tmp_path / 'missing.pkl.gz'}"]) == 1
    assert capsys.readouterr().err.startswith("Error: ")

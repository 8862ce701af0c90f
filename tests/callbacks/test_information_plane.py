"""Tests of InformationPlaneLogger on a user's own keras.Sequential (not the 12-bit task)."""

import glob
import math
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from infodl.analysis.information_plane_trajectory import InformationPlaneTrajectory
from infodl.callbacks.information_plane import InformationPlaneLogger, log_spaced_epochs
from infodl.estimators.binning import BinningEstimator
from tests.estimators.binning_reference import reference_information


def _gaussian_task(num_examples=300, seed=0):
    generator = np.random.default_rng(seed)
    inputs = generator.normal(size=(num_examples, 5)).astype("float32")
    labels = (inputs[:, 0] + inputs[:, 1] ** 2 > 1.0).astype("int32")
    return inputs, labels


def _user_model(with_input=True):
    layers = [keras.layers.Dense(6, activation="tanh", name="first"),
              keras.layers.Dense(3, activation="tanh", name="second"),
              keras.layers.Dense(2, activation="softmax", name="classifier")]
    if with_input:
        layers = [keras.Input((5,))] + layers
    return keras.Sequential(layers)


def _numpy_layer_outputs(model, inputs):
    functions = {"tanh": np.tanh, "softmax": lambda a: np.exp(a) / np.exp(a).sum(1, keepdims=True)}
    outputs, hidden = [], inputs.astype(np.float64)
    for layer in model.layers:
        kernel, bias = layer.get_weights()
        hidden = functions[layer.activation.__name__](hidden @ kernel + bias)
        outputs.append(hidden)
    return outputs


def _read_events(log_dir):
    scalars, images = {}, []
    for path in glob.glob(os.path.join(log_dir, "events.out.tfevents*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == "images":
                    images.append(value.tag)
                else:
                    scalar = float(tf.make_ndarray(value.tensor))
                    scalars.setdefault(value.tag, {})[event.step] = scalar
    return scalars, images


def test_logger_on_user_sequential_matches_numpy(tmp_path):
    inputs, labels = _gaussian_task()
    keras.utils.set_random_seed(0)
    model = _user_model()
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    logger = InformationPlaneLogger(
        inputs, labels, BinningEstimator(num_bins=30), num_log_points=4,
        output_path=tmp_path / "plane.json", log_dir=str(tmp_path / "tb"),
        figure_path=tmp_path / "plane.png")
    history = model.fit(inputs, labels, batch_size=64, epochs=6, verbose=0,
                        callbacks=[logger])
    expected_epochs = log_spaced_epochs(6, 4)
    np.testing.assert_array_equal(logger.epochs_logged, expected_epochs)
    assert logger.layer_names == ["first", "second", "classifier"]
    # the last logged epoch is the end of training: recompute everything in NumPy
    final = logger.trajectory.information_bits[-1]
    for index, outputs in enumerate(_numpy_layer_outputs(model, inputs)):
        i_xt, i_ty = reference_information(np.digitize(outputs, np.linspace(-1, 1, 30)),
                                           labels)
        assert final[index, 0] == pytest.approx(i_xt, abs=1e-9)
        assert final[index, 1] == pytest.approx(i_ty, abs=1e-9)
    assert np.all(logger.trajectory.i_xt_bits <= math.log2(len(labels)) + 1e-9)
    # logs: present at logged epochs only (History keeps them)
    assert len(history.history["info_plane/layer1/I_XT_bits"]) == len(expected_epochs) - 1
    # the trajectory file round-trips
    loaded = InformationPlaneTrajectory.load(tmp_path / "plane.json")
    np.testing.assert_allclose(loaded.information_bits, logger.trajectory.information_bits)
    # TensorBoard: same numbers under the documented tags, plus the figure
    scalars, images = _read_events(str(tmp_path / "tb"))
    for row, epoch in enumerate(expected_epochs):
        assert scalars["info_plane/layer2/I_TY_bits"][epoch] == pytest.approx(
            logger.trajectory.i_ty_bits[row, 2], abs=1e-5)
    assert images == ["info_plane/figure"]
    with open(tmp_path / "plane.png", "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    assert logger.activation_history == []


class _MeanActivationEstimator:
    """Returns (mean activation, mean |activation|) per layer, in nats."""

    units = "nats"

    def information_per_layer(self, activations, labels):
        return np.array([[a.mean(), np.abs(a).mean()] for a in activations])


def test_unbuilt_model_chosen_layers_custom_estimator_and_kept_activations(tmp_path):
    inputs, labels = _gaussian_task(64)
    keras.utils.set_random_seed(1)
    model = _user_model(with_input=False)
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    logger = InformationPlaneLogger(inputs, labels, _MeanActivationEstimator(),
                                    layers=["second", 0], log_epochs=[0, 2, 3, 50],
                                    keep_activations=True, batch_size=16,
                                    output_path=tmp_path / "plane.npz")
    model.fit(inputs, labels, batch_size=32, epochs=3, verbose=0, callbacks=[logger])
    assert logger.epochs_logged == [0, 2, 3]
    with np.load(tmp_path / "plane_activations.npz") as saved:
        assert saved["layer0"].shape == (3, 64, 3) and saved["layer1"].shape == (3, 64, 6)
        np.testing.assert_array_equal(saved["epochs"], [0, 2, 3])
    assert logger.layer_names == ["second", "first"]
    outputs = _numpy_layer_outputs(model, inputs)
    np.testing.assert_allclose(logger.activation_history[-1][0], outputs[1], atol=1e-5)
    expected_bits = np.array([outputs[1].mean(), np.abs(outputs[1]).mean()]) / math.log(2)
    np.testing.assert_allclose(logger.trajectory.information_bits[-1, 0], expected_bits,
                               rtol=1e-4)
    # continuing with initial_epoch extends the trajectory (epoch 50 is scheduled)
    model.fit(inputs, labels, batch_size=32, epochs=50, initial_epoch=3, verbose=0,
              callbacks=[logger])
    assert logger.epochs_logged == [0, 2, 3, 50]


class _NaNEstimator:
    def information_per_layer(self, activations, labels):
        return np.full((len(activations), 2), np.nan)


def test_bad_inputs_raise():
    inputs, labels = _gaussian_task(32)
    with pytest.raises(ValueError, match="finite inputs"):
        InformationPlaneLogger(np.full((4, 5), np.nan), np.zeros(4), BinningEstimator())
    with pytest.raises(ValueError, match="labels of shape"):
        InformationPlaneLogger(inputs, labels[:-1], BinningEstimator())
    with pytest.raises(ValueError, match="information_per_layer"):
        InformationPlaneLogger(inputs, labels, object())
    with pytest.raises(ValueError, match="epochs >= 0"):
        InformationPlaneLogger(inputs, labels, BinningEstimator(), log_epochs=[-1, 3])
    model = _user_model()
    model.compile("sgd", "sparse_categorical_crossentropy")
    logger = InformationPlaneLogger(inputs, labels, _NaNEstimator(), log_epochs=[1])
    with pytest.raises(ValueError, match="finite MI values"):
        model.fit(inputs, labels, epochs=1, verbose=0, callbacks=[logger])


class SubclassedNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(2, activation="softmax")

    def call(self, inputs):
        return self.dense(inputs)


def test_subclassed_model_is_refused_with_a_clear_error():
    inputs, labels = _gaussian_task(32)
    model = SubclassedNet()
    model.compile("sgd", "sparse_categorical_crossentropy")
    logger = InformationPlaneLogger(inputs, labels, BinningEstimator(), log_epochs=[1])
    with pytest.raises(ValueError, match="Functional or Sequential"):
        model.fit(inputs, labels, epochs=1, verbose=0, callbacks=[logger])


def test_log_spaced_schedule():
    epochs = log_spaced_epochs(8000, 100)
    assert epochs[0] == 0 and epochs[1] == 1 and epochs[-1] == 8000
    assert np.all(np.diff(epochs) > 0) and len(epochs) <= 101
    # log-spaced: consecutive logged epochs grow by at most the logspace ratio
    ratio = 8000 ** (1 / 99)
    assert np.all(epochs[2:] <= np.ceil(epochs[1:-1] * ratio) + 1)
    np.testing.assert_array_equal(log_spaced_epochs(5, 3, include_initial=False), [1, 2, 5])
    with pytest.raises(ValueError, match="num_epochs"):
        log_spaced_epochs(0)

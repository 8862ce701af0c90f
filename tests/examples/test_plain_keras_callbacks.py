"""examples/plain_keras_callbacks.py: the logged values equal a NumPy re-computation."""

import glob
import importlib.util
import os
import pathlib

import numpy as np
import pytest
import tensorflow as tf

from tests.fixture_folders import shared_read_only

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "plain_keras_callbacks.py"


def load_example():
    spec = importlib.util.spec_from_file_location("plain_keras_callbacks", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def entropy(p):
    return -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=-1)


def numpy_forward(model, x):
    """(stem, branch, features, logits) of the example's model, in float64 NumPy."""
    w = {layer.name: [np.asarray(v, np.float64) for v in layer.get_weights()]
         for layer in model.layers if layer.get_weights()}
    dense = lambda name, h: h @ w[name][0] + w[name][1]  # noqa: E731
    stem = dense("stem", np.asarray(x, np.float64))
    branch = dense("branch", np.tanh(dense("branch_hidden", stem)))
    features = np.maximum(dense("features", stem + branch), 0.0)
    return stem, branch, features, dense("logits", features)


@pytest.fixture(scope="module")
def example_run(tmp_path_factory, request):
    log_dir = tmp_path_factory.mktemp("plain_keras")
    return load_example().main(log_dir=str(log_dir), verbose=False), \
        shared_read_only(request, log_dir)


def test_every_scalar_in_logs_is_finite_and_logged_each_epoch(example_run):
    result, log_dir = example_run
    history = result["history"]
    expected = {"block_ratio/residual/mean", "block_ratio/residual/max", "block_ratio/max",
                "info/I_X_Yhat_nats", "info/I_Y_Yhat_nats", "info/constraint_nats",
                "info/constraint_running_mean_nats", "classifier/feature_norm_mean",
                "classifier/weight_column_norm_mean", "classifier/weight_zero_fraction"}
    assert expected <= set(history)
    assert all(len(history[key]) == 3 and np.all(np.isfinite(history[key]))
               for key in expected)
    # Every 4 steps over 3 epochs of 8 steps: steps 0, 4, ..., 24.
    assert [step for step, _ in result["callbacks"][0].history] == list(range(0, 25, 4))
    tags = set()
    for path in glob.glob(os.path.join(str(log_dir), "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            tags.update(value.tag for value in event.summary.value)
    assert expected | {"classifier/weights", "classifier/features",
                       "classifier/weights_heatmap"} <= tags


def test_last_logged_values_equal_numpy_on_the_trained_weights(example_run):
    result, _ = example_run
    history, model = result["history"], result["model"]
    last = {key: values[-1] for key, values in history.items()}  # step 24 = final weights

    stem, branch, features, _ = numpy_forward(model, result["probe"])
    ratios = np.linalg.norm(branch, axis=1) / np.linalg.norm(stem, axis=1)
    assert last["block_ratio/residual/mean"] == pytest.approx(ratios.mean(), rel=1e-5)
    assert last["block_ratio/residual/max"] == pytest.approx(ratios.max(), rel=1e-5)
    assert last["block_ratio/max"] == last["block_ratio/residual/max"]

    kernel = np.asarray(model.get_layer("logits").get_weights()[0], np.float64)
    assert last["classifier/feature_norm_mean"] == pytest.approx(
        np.linalg.norm(features, axis=1).mean(), rel=1e-5)
    assert last["classifier/weight_column_norm_mean"] == pytest.approx(
        np.linalg.norm(kernel, axis=0).mean(), rel=1e-6)
    assert last["classifier/weight_zero_fraction"] == np.mean(kernel == 0.0)

    x_held, y_held = result["held_out"]
    logits = numpy_forward(model, x_held)[3]
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    marginal = entropy(probs.mean(axis=0))
    input_info = marginal - entropy(probs).mean()
    label_info = marginal - sum(np.mean(y_held == y) * entropy(probs[y_held == y].mean(axis=0))
                                for y in np.unique(y_held))
    assert last["info/I_X_Yhat_nats"] == pytest.approx(input_info, abs=1e-5)
    assert last["info/I_Y_Yhat_nats"] == pytest.approx(label_info, abs=1e-5)
    assert last["info/constraint_nats"] == pytest.approx(input_info - label_info, abs=1e-5)
    constraints = [values["info/constraint_nats"]
                   for _, values in result["callbacks"][1].history]
    assert last["info/constraint_running_mean_nats"] == pytest.approx(np.mean(constraints))
    assert label_info > 0.2  # the model learnt something: the prediction informs about Y

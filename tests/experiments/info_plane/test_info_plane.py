"""Tests of the information-plane experiment (fast wiring checks + slow compression runs)."""

import glob
import json
import math
import os

import numpy as np
import pytest

from infodl.analysis.compression import estimate_trajectory, layer_end_points, load_activations
from infodl.analysis.information_plane_trajectory import InformationPlaneTrajectory
from infodl.callbacks.information_plane import log_spaced_epochs
from infodl.data.twelve_bit import generate_twelve_bit_task
from infodl.experiments.info_plane.experiment import (
    InfoPlaneConfig,
    _make_estimator,
    _sigmoid_output_loss,
    run,
    summary,
)
from infodl.models.mlp import build_mlp


def _entropy_bits(labels):
    p = np.bincount(labels) / len(labels)
    return float(-np.sum(p * np.log2(p)))


def test_small_run_writes_files_and_averages_seeds(tmp_path):
    config = InfoPlaneConfig(epochs=12, num_log_points=4, num_seeds=2, seed=3,
                             log_dir=str(tmp_path / "run"), verbose=0)
    results = run(config)
    log_dir = tmp_path / "run"
    for name in ("trajectory_mean.npz", "trajectory_mean.csv", "info_plane.png",
                 "seed_3/trajectory.npz", "seed_4/trajectory.npz", "seed_4/info_plane.png"):
        assert (log_dir / name).is_file(), name
    assert glob.glob(str(log_dir / "seed_3" / "events.out.tfevents*"))
    seeds = [InformationPlaneTrajectory.load(log_dir / f"seed_{s}" / "trajectory.npz")
             for s in (3, 4)]
    mean = InformationPlaneTrajectory.load(results["trajectory_path"])
    np.testing.assert_allclose(
        mean.information_bits, (seeds[0].information_bits + seeds[1].information_bits) / 2)
    np.testing.assert_array_equal(mean.epochs, log_spaced_epochs(12, 4))
    assert mean.layer_names == ["hidden_1", "hidden_2", "hidden_3", "hidden_4", "hidden_5",
                                "output"]
    _, labels = generate_twelve_bit_task()
    assert np.all(mean.i_xt_bits <= 12.0 + 1e-9) and np.all(mean.i_xt_bits >= 0)
    assert np.all(mean.i_ty_bits <= _entropy_bits(labels) + 1e-9)
    # the first layer of a tanh net keeps the 4096 inputs apart: I(X;T) = 12 bits
    assert mean.i_xt_bits[-1, 0] == pytest.approx(12.0, abs=0.05)
    assert results["_end_points"]["output"]["I_XT_final"] == mean.i_xt_bits[-1, -1]
    assert seeds[1].metadata["seed"] == 4 and seeds[1].metadata["estimator"] == "binning"
    for record in results["runs"]:
        assert 0.0 <= record["test_accuracy"] <= 1.0 and record["epochs_per_second"] > 0
    # a rerun of the finished config trains nothing and gives the same average
    rerun = run(InfoPlaneConfig(**vars(config)))
    assert rerun["reused_seeds"] == [3, 4] and rerun["trained_seeds"] == []
    np.testing.assert_allclose(rerun["trajectory"].information_bits, mean.information_bits)
    # a folder written before a setting existed (here mine_standardize) still resumes
    stored = json.loads((log_dir / "config.json").read_text())
    del stored["mine_standardize"]
    (log_dir / "config.json").write_text(json.dumps(stored))
    assert run(InfoPlaneConfig(**vars(config)))["trained_seeds"] == []
    # more seeds: only the missing one is trained
    more = run(InfoPlaneConfig(**dict(vars(config), num_seeds=3)))
    assert more["reused_seeds"] == [3, 4] and more["trained_seeds"] == [5]
    # another config in the same folder is refused, naming the difference
    with pytest.raises(FileExistsError, match=r"different config \(epochs 12 -> 13\)"):
        run(InfoPlaneConfig(**dict(vars(config), epochs=13)))
    again = run(InfoPlaneConfig(**dict(vars(config), overwrite=True, num_seeds=1)))
    assert not (log_dir / "seed_4").exists()
    assert again["trajectory"].metadata["num_runs"] == 1


@pytest.mark.parametrize("estimator, expected_args", [
    ("binning_width", {"bin_width": 0.07}),
    ("binning_adaptive", {"bin_range": "adaptive", "num_bins": 30}),
    ("kde", {"noise_variance": 0.1}),
])
def test_estimator_choice_reaches_the_logger(tmp_path, estimator, expected_args):
    config = InfoPlaneConfig(activation="relu", estimator=estimator, epochs=1,
                             layer_sizes=(5, 3, 2), num_log_points=1, seed=1,
                             log_dir=str(tmp_path / estimator), verbose=0)
    for key, value in expected_args.items():
        assert getattr(_make_estimator(config), key) == value
    results = run(config)
    # epoch 0 is the untrained net: redo it outside the experiment
    inputs, labels = generate_twelve_bit_task()
    model = build_mlp(12, (5, 3, 2), activation="relu", seed=1)
    activations = [np.asarray(layer(x)) for layer, x in _layer_inputs(model, inputs)]
    expected = _make_estimator(config).information_per_layer(activations, labels)
    np.testing.assert_allclose(results["trajectory"].information_bits[0], expected,
                               rtol=1e-6, atol=1e-9)
    assert results["trajectory"].epochs.tolist() == [0, 1]


def _layer_inputs(model, inputs):
    hidden = inputs
    for layer in model.layers:
        yield layer, hidden
        hidden = np.asarray(layer(hidden))


def test_var_u_file_langevin_and_last_hidden_activation(tmp_path, var_u_path):
    config = InfoPlaneConfig(activation="relu", last_activation="sigmoid",
                             optimizer="langevin", learning_rate=0.05,
                             langevin_noise_scale=1e-3, langevin_decay_steps=100.0,
                             epochs=3, num_log_points=1, var_u_path=var_u_path,
                             log_dir=str(tmp_path / "langevin"), verbose=0)
    results = run(config)
    trajectory = results["trajectory"]
    assert trajectory.metadata["var_u_path"] == var_u_path
    assert trajectory.metadata["optimizer"] == "langevin"
    assert np.all(trajectory.i_ty_bits <= 0.99916 + 1e-5)
    # a sigmoid last hidden layer lives in (0, 1): with 30 edges on [-1, 1] its three
    # units use at most 15 bins each, so I(X;T) <= 3 log2(15)
    assert np.all(trajectory.i_xt_bits[:, 4] <= 3 * math.log2(15) + 1e-9)


def test_sigmoid_output_loss_is_binary_cross_entropy_on_one_hot_labels():
    outputs = np.array([[0.9, 0.2], [0.3, 0.6], [0.5, 0.5]], dtype=np.float32)
    labels = np.array([0, 1, 0])
    one_hot = np.eye(2)[labels]
    expected = -np.mean(one_hot * np.log(outputs) + (1 - one_hot) * np.log(1 - outputs),
                        axis=1)
    np.testing.assert_allclose(_sigmoid_output_loss(labels, outputs), expected, rtol=1e-5)


def test_sigmoid_output_saved_activations_and_compression_per_seed(tmp_path):
    """Saxe et al.'s sigmoid output, activations kept, each seed's compression in results."""
    config = InfoPlaneConfig(activation="relu", output_activation="sigmoid",
                             keep_activations=True, layer_sizes=(5, 3, 2), epochs=8,
                             num_log_points=3, num_seeds=2, seed=1,
                             log_dir=str(tmp_path / "sigmoid"), verbose=0)
    results = run(config)
    _, labels = generate_twelve_bit_task()
    per_seed = []
    for record in results["runs"]:
        trajectory = InformationPlaneTrajectory.load(record["trajectory_path"])
        epochs, layers = load_activations(record["activations_path"])
        np.testing.assert_array_equal(epochs, trajectory.epochs)
        # two independent sigmoid units: in (0, 1), rows not summing to 1 as a softmax's
        output = layers[-1]
        assert output.shape == (len(epochs), 4096, 2)
        assert np.all((output > 0) & (output < 1))
        assert np.max(np.abs(output.sum(axis=-1) - 1.0)) > 1e-3
        # the logged (fixed-range binning) values are recomputed from the saved activations
        again = estimate_trajectory(record["activations_path"], labels, "binning",
                                    trajectory.layer_names)
        np.testing.assert_allclose(again.information_bits, trajectory.information_bits)
        assert record["_end_points"] == layer_end_points(trajectory)
        per_seed.append(record["_end_points"]["hidden_2"]["compression_bits"])
    stats = results["compression"]["hidden_2"]
    assert stats["compression_bits_per_seed"] == per_seed and stats["seeds"] == [1, 2]
    assert stats["compression_bits_mean"] == pytest.approx(np.mean(per_seed))
    assert stats["compression_bits_std"] == pytest.approx(np.std(per_seed, ddof=1))
    assert results["trajectory"].metadata["output_activation"] == "sigmoid"
    assert any("± " in line and "over 2 seeds" in line for line in summary(results))
    # a seed whose saved activations are gone is trained again
    os.remove(results["runs"][1]["activations_path"])
    again = run(InfoPlaneConfig(**vars(config)))
    assert again["reused_seeds"] == [1] and again["trained_seeds"] == [2]


@pytest.mark.parametrize("field, value, message", [
    ("estimator", "histogram", "estimator"), ("optimizer", "rmsprop", "optimizer"),
    ("epochs", 0, "epochs"), ("num_seeds", 0, "num_seeds"),
    ("learning_rate", -1.0, "learning_rate"), ("activation", "softmaxx", "activation"),
    ("layer_sizes", (3,), "layer_sizes"), ("noise_variance", 0.0, "noise_variance"),
    ("train_fraction", 1.0, "train_fraction"), ("kde_bound", "middle", "kde_bound"),
    ("output_activation", "tanh", "output_activation"),
    ("mine_standardize", "rank", "mine_standardize in")])
def test_bad_config_raises(tmp_path, field, value, message):
    config = InfoPlaneConfig(log_dir=str(tmp_path / "bad"), **{field: value})
    with pytest.raises(ValueError, match=message):
        run(config)
    assert not os.path.exists(tmp_path / "bad")


def _binned_entropy_bits(values, edges):
    """H of the joint bin pattern of `values` (N, units): I(X;T) when the N inputs are
    distinct and equally likely and T is a function of X."""
    _, counts = np.unique(np.digitize(values, edges), axis=0, return_counts=True)
    p = counts / counts.sum()
    return float(-np.sum(p * np.log2(p)))


def test_fast_tanh_compresses_and_relu_does_not(tmp_path):
    """The default suite's version of the slow test below: one seed, 200 epochs at 50x
    the learning rate (2e-2). The 3-unit tanh layer levels off near 8.6 bits while the
    net fits, then falls by about 2 bits as I(T;Y) nears H(Y); the ReLU layer (adaptive
    bins) ends within 0.2 bit of its maximum. Seed 0 gave a fall of 2.42 bits from the
    maximum (8.55 -> 6.62 after epoch 50) for tanh, 0.16 for ReLU. The logged tanh
    values are recomputed from the saved activations with np.digitize."""
    common = dict(epochs=200, learning_rate=2e-2, num_log_points=20, seed=0, verbose=0)
    tanh = run(InfoPlaneConfig(keep_activations=True, log_dir=str(tmp_path / "tanh"),
                               **common))
    relu = run(InfoPlaneConfig(activation="relu", estimator="binning_adaptive",
                               log_dir=str(tmp_path / "relu"), **common))
    tanh_layer = tanh["_end_points"]["hidden_5"]
    relu_layer = relu["_end_points"]["hidden_5"]
    assert tanh_layer["I_XT_final"] < tanh_layer["I_XT_max"] - 1.5
    assert tanh_layer["I_TY_final"] > 0.9  # fitted: close to H(Y) = 0.9995 bits
    assert relu_layer["I_XT_final"] > relu_layer["I_XT_max"] - 1.0
    trajectory = tanh["trajectory"]
    epochs = trajectory.epochs.tolist()
    # the fall comes after fitting, not only from the first epochs' transient
    assert trajectory.i_xt_bits[epochs.index(50), 4] - tanh_layer["I_XT_final"] > 1.5
    saved_epochs, layers = load_activations(tanh["runs"][0]["activations_path"])
    assert saved_epochs.tolist() == epochs
    edges = np.linspace(-1.0, 1.0, 30)
    recomputed = [_binned_entropy_bits(values, edges) for values in layers[4]]
    np.testing.assert_allclose(trajectory.i_xt_bits[:, 4], recomputed, rtol=1e-9)


@pytest.mark.slow
def test_tanh_compresses_and_relu_does_not(tmp_path):
    """Last hidden layer (3 units), generated task, 2000 epochs, mean of 3 seeds.

    Margin: on var_u.mat (4000 epochs, seeds 0-4) the tanh layer fell from its
    maximum by 1.9 to 6.0 bits per seed (3.6 bits for the 5-seed mean trajectory),
    while ReLU with adaptive bins fell by 0.4 to 1.9 bits per seed (0.4 bits for
    the mean), mostly during fitting (units dying), not afterwards. Averaging 3 seeds
    and requiring a fall of at least 1.5 bits for tanh and at most 1.0 bit for ReLU
    separates the two regimes with room for the seed-to-seed spread; the binning
    estimate itself is exact on the 4096 inputs (no sampling noise).
    """
    common = dict(epochs=2000, num_log_points=60, num_seeds=3, seed=0, verbose=0)
    tanh = run(InfoPlaneConfig(log_dir=str(tmp_path / "tanh"), **common))
    relu = run(InfoPlaneConfig(activation="relu", estimator="binning_adaptive",
                               log_dir=str(tmp_path / "relu"), **common))
    tanh_layer = tanh["_end_points"]["hidden_5"]
    relu_layer = relu["_end_points"]["hidden_5"]
    print("tanh hidden_5", tanh_layer, "\nrelu hidden_5", relu_layer)
    assert tanh_layer["I_XT_final"] < tanh_layer["I_XT_max"] - 1.5
    assert tanh_layer["I_TY_final"] > 0.9  # fitted: close to H(Y) = 0.9995 bits
    assert relu_layer["I_XT_final"] > relu_layer["I_XT_max"] - 1.0


@pytest.mark.slow
def test_mine_estimator_runs_end_to_end(tmp_path):
    config = InfoPlaneConfig(estimator="mine", layer_sizes=(3, 2), epochs=2,
                             num_log_points=1, mine_steps=50,
                             log_dir=str(tmp_path / "mine"), verbose=0)
    trajectory = run(config)["trajectory"]
    assert trajectory.information_bits.shape == (3, 2, 2)
    assert np.all(trajectory.information_bits >= 0)
    # I(T;Y) <= H(Y) ~ 1 bit; MINE's lower bound on held-out pairs stays below it
    assert np.all(trajectory.i_ty_bits < 1.2)

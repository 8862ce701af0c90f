"""Compression per layer (peak minus final I(X;T)) and estimators recomputed from activations."""

import math

import numpy as np
import pytest

from infodl.analysis.compression import (
    ESTIMATORS,
    compression_over_seeds,
    estimate_trajectory,
    layer_end_points,
    layer_estimators,
    load_activations,
)
from infodl.analysis.compression_figures import plot_compression_bars
from infodl.analysis.information_plane_plot import plot_information_plane_grid
from infodl.analysis.information_plane_trajectory import InformationPlaneTrajectory
from infodl.estimators.binning import BinningEstimator
from infodl.estimators.kde import KDEEstimator
from infodl.experiments.info_plane.compression_table import BEGIN, END, _update_document


def _trajectory(i_xt, epochs=(0, 1, 10, 100), names=("hidden_1", "output")):
    """A trajectory with the given I(X;T) columns (one list per layer), I(T;Y) = 0.5."""
    values = np.stack([np.asarray(i_xt, dtype=np.float64).T,
                       np.full((len(epochs), len(names)), 0.5)], axis=-1)
    return InformationPlaneTrajectory(list(epochs), values, list(names))


def test_layer_end_points_closed_form():
    points = layer_end_points(_trajectory([[2.0, 5.0, 5.0, 3.5], [1.0, 2.0, 3.0, 4.0]]))
    assert points["hidden_1"]["compression_bits"] == pytest.approx(1.5)
    assert points["hidden_1"]["I_XT_max"] == 5.0 and points["hidden_1"]["I_XT_final"] == 3.5
    # the last epoch of the plateau at the maximum, before the fall
    assert points["hidden_1"]["epoch_of_I_XT_max"] == 10
    # never falls: no compression, the peak is the final epoch
    assert points["output"]["compression_bits"] == 0.0
    assert points["output"]["epoch_of_I_XT_max"] == 100
    constant = layer_end_points(_trajectory([[12.0] * 4, [3.0] * 4]))
    assert constant["hidden_1"]["epoch_of_I_XT_max"] == 100


def test_compression_over_seeds_mean_and_sample_std():
    seeds = [_trajectory([[2.0, 5.0, 4.0, 4.0], [1.0, 1.0, 1.0, 1.0]]),
             _trajectory([[2.0, 6.0, 3.0, 3.0], [1.0, 1.0, 1.0, 2.0]]),
             _trajectory([[2.0, 3.0, 4.0, 2.0], [1.0, 3.0, 1.0, 1.0]])]
    stats = compression_over_seeds(seeds, seeds=[7, 8, 9])
    layer = stats["hidden_1"]
    assert layer["compression_bits_per_seed"] == [1.0, 3.0, 2.0]
    assert layer["compression_bits_mean"] == pytest.approx(2.0)
    assert layer["compression_bits_std"] == pytest.approx(1.0)  # ddof = 1
    assert layer["epoch_of_I_XT_max_per_seed"] == [1, 1, 10]
    assert layer["epoch_of_I_XT_max_median"] == 1.0
    assert layer["I_XT_max_mean"] == pytest.approx(5.0)
    assert layer["seeds"] == [7, 8, 9]
    assert stats["output"]["compression_bits_per_seed"] == [0.0, 0.0, 2.0]
    assert compression_over_seeds(seeds[:1])["hidden_1"]["compression_bits_std"] is None
    with pytest.raises(ValueError, match="same layers"):
        compression_over_seeds([seeds[0], _trajectory([[1.0] * 4], names=("other",))])
    with pytest.raises(ValueError, match="one seed per trajectory"):
        compression_over_seeds(seeds, seeds=[1])


def _save_activations(path, rng, epochs=(0, 5, 50), units=(4, 2), size=64):
    layers = [np.tanh(rng.normal(size=(len(epochs), size, u)) * (1 + k)).astype("float32")
              for k, u in enumerate(units)]
    np.savez(path, epochs=np.asarray(epochs), **{f"layer{k}": a for k, a in enumerate(layers)})
    return layers


def _entropy_bits(rows):
    _, counts = np.unique(rows, axis=0, return_counts=True)
    p = counts / counts.sum()
    return float(-np.sum(p * np.log2(p)))


def test_estimators_recomputed_from_saved_activations(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "trajectory_activations.npz"
    layers = _save_activations(path, rng)
    labels = rng.integers(0, 2, size=64)
    epochs, loaded = load_activations(path)
    assert epochs.tolist() == [0, 5, 50] and len(loaded) == 2
    names = ["hidden_1", "output"]
    references = {"binning": BinningEstimator(30, (-1.0, 1.0)),
                  "binning_adaptive": BinningEstimator(30, "adaptive"),
                  "kde": KDEEstimator(noise_variance=0.1)}
    for name, reference in references.items():
        trajectory = estimate_trajectory(path, labels, name, names, metadata={"seed": 3})
        assert trajectory.metadata == {"seed": 3, "estimator": name}
        expected = [[reference.information(layer[row], labels) for layer in layers]
                    for row in range(3)]
        np.testing.assert_allclose(trajectory.information_bits, expected, rtol=1e-12)
    # a subset of the inputs (Saxe et al.'s KDE on the held-out split)
    subset = np.arange(0, 64, 3)
    trajectory = estimate_trajectory(path, labels, "kde", names, examples=subset)
    np.testing.assert_allclose(
        trajectory.information_bits[2, 1],
        references["kde"].information(layers[1][2][subset], labels[subset]), rtol=1e-12)
    # Saxe et al.: 100 equal bins between the layer's min and max over all epochs
    trajectory = estimate_trajectory(path, labels, "binning_training_range", names)
    for k, layer in enumerate(layers):
        low, high = float(layer.min()), float(layer.max())
        for row in range(3):
            bins = np.clip(np.floor((layer[row].astype(np.float64) - low) / (high - low)
                                    * 100), 0, 99)
            assert trajectory.i_xt_bits[row, k] == pytest.approx(_entropy_bits(bins))
    assert set(ESTIMATORS) == {"binning", "binning_adaptive", "binning_training_range",
                               "kde"}


def test_training_range_binning_puts_the_maximum_in_the_last_bin():
    history = np.array([[[0.0], [0.5]], [[0.99], [1.0]]], dtype=np.float32)  # (E, N, 1)
    estimator = layer_estimators("binning_training_range", [history])[0]
    indices = estimator.bin_indices(np.array([[0.0], [0.995], [1.0]], dtype=np.float32))
    assert indices[1, 0] == indices[2, 0] == indices[0, 0] + 99  # 1.0 with 0.995
    constant = layer_estimators("binning_training_range", [np.ones((2, 3, 1))])[0]
    assert constant.information(np.ones((3, 1)), np.array([0, 1, 0])) == (0.0, 0.0)


def test_bad_input_is_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match="Expected an estimator in"):
        layer_estimators("histogram", [np.zeros((1, 2, 1))])
    with pytest.raises(FileNotFoundError, match="keep_activations=True"):
        load_activations(tmp_path / "missing.npz")
    path = tmp_path / "acts.npz"
    _save_activations(path, np.random.default_rng(1))
    with pytest.raises(ValueError, match="activations of 3 layers"):
        estimate_trajectory(path, np.zeros(64, int), "binning", ["a", "b", "c"])


def test_document_keeps_the_text_around_the_markers(tmp_path):
    path = tmp_path / "compression.md"
    _update_document(path, "first table")
    assert BEGIN in path.read_text() and "first table" in path.read_text()
    path.write_text(f"# Title\n\nreading above\n\n{BEGIN}\nold\n{END}\n\nreading below\n")
    _update_document(path, "| a | b |")
    assert path.read_text() == (f"# Title\n\nreading above\n\n{BEGIN}\n| a | b |\n{END}\n\n"
                                "reading below\n")
    path.write_text("no markers")
    with pytest.raises(ValueError, match="markers"):
        _update_document(path, "x")


def test_figures_draw_every_panel():
    first = _trajectory([[2.0, 5.0, 5.0, 3.5], [1.0, 2.0, 3.0, 4.0]])
    figure = plot_information_plane_grid([[first, None], [first, first]], ["tanh", "relu"],
                                         ["binning", "kde"], title="t")
    assert len(figure.axes) == 5  # four panels and the colour bar
    assert len(figure.axes[0].lines) == 4 and len(figure.axes[1].lines) == 0
    stats = {"binning": {"a": compression_over_seeds([first, first])}}
    bars = plot_compression_bars(stats, {"binning": "binning"}, {"a": "tanh"},
                                 ["hidden_1", "output"])
    heights = [patch.get_height() for patch in bars.axes[0].patches]
    assert heights == pytest.approx([1.5, 0.0])
    assert not math.isnan(heights[0])

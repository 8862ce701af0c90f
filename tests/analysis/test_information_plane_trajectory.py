"""Tests of InformationPlaneTrajectory (save/load/average) and the information-plane plot."""

import numpy as np
import pytest

from infodl.analysis.figure_files import figure_to_png_bytes, save_figure_png
from infodl.analysis.information_plane_plot import plot_information_plane
from infodl.analysis.information_plane_trajectory import InformationPlaneTrajectory


def _trajectory(seed=0, epochs=(0, 1, 3, 10)):
    values = np.random.default_rng(seed).uniform(0, 1, size=(len(epochs), 3, 2))
    return InformationPlaneTrajectory(list(epochs), values, ["a", "b", "c"], {"seed": seed})


@pytest.mark.parametrize("extension", [".npz", ".json", ".csv"])
def test_save_load_round_trip(tmp_path, extension):
    trajectory = _trajectory()
    path = trajectory.save(tmp_path / "sub" / f"plane{extension}")
    loaded = InformationPlaneTrajectory.load(path)
    np.testing.assert_array_equal(loaded.epochs, trajectory.epochs)
    np.testing.assert_array_equal(loaded.information_bits, trajectory.information_bits)
    assert loaded.layer_names == ["a", "b", "c"]
    if extension != ".csv":
        assert loaded.metadata == {"seed": 0}


def test_average_is_the_numpy_mean():
    runs = [_trajectory(seed) for seed in range(4)]
    mean = InformationPlaneTrajectory.average(runs)
    expected = np.mean([run.information_bits for run in runs], axis=0)
    np.testing.assert_allclose(mean.information_bits, expected)
    np.testing.assert_allclose(mean.i_ty_bits, expected[..., 1])
    assert mean.metadata["num_runs"] == 4
    with pytest.raises(ValueError, match="equal epochs"):
        InformationPlaneTrajectory.average([runs[0], _trajectory(1, epochs=(0, 1, 4, 10))])


def test_invalid_trajectories_and_files(tmp_path):
    with pytest.raises(ValueError, match="shape"):
        InformationPlaneTrajectory([0, 1], np.zeros((2, 3)), ["a"])
    with pytest.raises(ValueError, match="finite"):
        InformationPlaneTrajectory([0], np.full((1, 1, 2), np.nan), ["a"])
    with pytest.raises(ValueError, match="increasing"):
        InformationPlaneTrajectory([3, 1], np.zeros((2, 1, 2)), ["a"])
    with pytest.raises(FileNotFoundError):
        InformationPlaneTrajectory.load(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match="ending in"):
        _trajectory().save(tmp_path / "plane.txt")
    (tmp_path / "broken.json").write_text("{\"epochs\": [0]}")
    with pytest.raises(ValueError, match="written by save"):
        InformationPlaneTrajectory.load(tmp_path / "broken.json")


def test_plot_draws_one_line_per_epoch_with_epoch_colours(tmp_path):
    trajectory = _trajectory()
    figure = plot_information_plane(trajectory, x_limit=(0, 12), y_limit=(0, 1), title="t")
    axes = figure.axes[0]
    assert len(axes.lines) == 4
    for line, row in zip(axes.lines, range(4), strict=True):
        np.testing.assert_allclose(line.get_xdata(), trajectory.i_xt_bits[row])
        np.testing.assert_allclose(line.get_ydata(), trajectory.i_ty_bits[row])
    assert axes.get_xlim() == (0.0, 12.0) and axes.get_ylim() == (0.0, 1.0)
    # colours follow the gnuplot map from black (epoch 0) to yellow (last epoch)
    np.testing.assert_allclose(axes.lines[0].get_color()[:3], (0, 0, 0), atol=1e-6)
    np.testing.assert_allclose(axes.lines[-1].get_color()[:3], (1, 1, 0), atol=1e-6)
    assert len(figure.axes) == 2  # the colour bar
    auto = plot_information_plane(trajectory).axes[0]
    assert auto.get_xlim()[1] == pytest.approx(1.05 * trajectory.i_xt_bits.max())
    assert figure_to_png_bytes(figure)[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "f.png").exists() is False
    save_figure_png(figure, tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="colormap"):
        plot_information_plane(trajectory, colormap="no_such_map")

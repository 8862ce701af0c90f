"""The information-plane figures: of a run's trajectory, of a grid of them, of IB training.

- `plot_information_plane`: one line per logged epoch through the layers, (I(X;T_k),
  I(T_k;Y)) coloured by epoch (P1, Shwartz-Ziv & Tishby);
- `plot_information_plane_grid`: such planes in rows (networks) and columns
  (estimators), one colour bar (Saxe et al.);
- `plot_ib_information_plane`: one panel per IB layer, (I(X; L + eps), I(Y; L)) along
  its iterations, with the error bars of independent fits (P3 Fig. 4).

Drawn with matplotlib's object API on an Agg canvas (`infodl.analysis.figure_files`: no
pyplot, no global backend change), so they work on headless machines and inside training
callbacks; save them with `save_figure_png` or `figure_to_png_bytes`.
"""

import matplotlib
import numpy as np
from matplotlib import cm, colors
from matplotlib.collections import LineCollection

from infodl.analysis.figure_files import new_figure


def plot_information_plane(trajectory, x_limit=None, y_limit=None, title=None,
                           colormap="gnuplot", figsize=(6.4, 4.8)):
    """Draw x = I(X;T_k), y = I(T_k;Y) for every logged epoch, coloured by epoch.

    For logged epoch e the line joins the points (I(X;T_k), I(T_k;Y)), k = 1..L
    (first layer to last); its colour is colormap(e / max epoch), with a colour bar.

    Args:
        trajectory: an InformationPlaneTrajectory (epochs (E,), information_bits
            (E, L, 2)).
        x_limit: (low, high) for I(X;T) or None (0 to 1.05 x the largest value).
        y_limit: (low, high) for I(T;Y) or None (0 to 1.05 x the largest value).
        title: figure title or None.
        colormap: matplotlib colormap name ("gnuplot" as in IDNNs).
        figsize: figure size in inches.

    Returns:
        A matplotlib.figure.Figure attached to an Agg canvas.

    Example:
        figure = plot_information_plane(trajectory, x_limit=(0, 12), y_limit=(0, 1))
        save_figure_png(figure, "docs/info_plane_tanh.png")

    Reference: Shwartz-Ziv & Tishby 2017, Fig. 3; P1 §1.2 and Fig. 6.
    """
    i_xt, i_ty = trajectory.i_xt_bits, trajectory.i_ty_bits
    epochs = trajectory.epochs
    figure = new_figure(figsize)
    axes = figure.add_subplot(1, 1, 1)
    top_epoch = max(int(epochs.max()) if epochs.size else 1, 1)
    normalize = colors.Normalize(vmin=0, vmax=top_epoch)
    if colormap not in matplotlib.colormaps:
        raise ValueError(f"Expected a matplotlib colormap name. Received: {colormap!r}")
    color_map = matplotlib.colormaps[colormap]
    for row, epoch in enumerate(epochs):
        axes.plot(i_xt[row], i_ty[row], marker="o", markersize=3, linewidth=0.8,
                  color=color_map(normalize(epoch)), alpha=0.9)
    axes.set_xlabel("I(X;T) [bits]")
    axes.set_ylabel("I(T;Y) [bits]")
    axes.set_xlim(_limits(i_xt, x_limit))
    axes.set_ylim(_limits(i_ty, y_limit))
    if title:
        axes.set_title(title, fontsize=10)
    mappable = cm.ScalarMappable(norm=normalize, cmap=color_map)
    mappable.set_array(np.asarray(epochs, dtype=np.float64))
    figure.colorbar(mappable, ax=axes, label="epoch")
    figure.tight_layout()
    return figure


def plot_information_plane_grid(trajectories, row_labels, column_labels,
                                x_limit=(0.0, 12.0), y_limit=(0.0, 1.0),
                                colormap="gnuplot", title=None):
    """A grid of information planes: row r, column c shows `trajectories[r][c]`.

    Each panel draws, for every logged epoch e, the line through the layers' points
    (I(X;T_k), I(T_k;Y)) coloured by e (one colour bar for all panels), as
    `plot_information_plane` does for one trajectory.

    Args:
        trajectories: rows of `InformationPlaneTrajectory` (or None for an empty panel).
        row_labels, column_labels: labels of the rows (networks) and columns (estimators).
        x_limit, y_limit: axis limits (bits).
        colormap: matplotlib colormap name.
        title: figure title or None.

    Returns:
        A matplotlib Figure on an Agg canvas.

    Example:
        figure = plot_information_plane_grid([[tanh_bin, tanh_kde]], ["tanh"],
                                             ["binning", "kde"])

    Reference: Saxe et al. 2018, Fig. 1; Shwartz-Ziv & Tishby 2017, Fig. 3.
    """
    rows, columns = len(row_labels), len(column_labels)
    figure = new_figure((2.8 * columns + 1.2, 2.4 * rows + 0.8))
    top_epoch = max([int(t.epochs.max()) for row in trajectories for t in row
                     if t is not None] + [1])
    normalize = colors.Normalize(vmin=0, vmax=top_epoch)
    color_map = matplotlib.colormaps[colormap]
    axes_grid = figure.subplots(rows, columns, squeeze=False, sharex=True, sharey=True)
    for r in range(rows):
        for c in range(columns):
            axes = axes_grid[r][c]
            trajectory = trajectories[r][c]
            if trajectory is not None:
                for row, epoch in enumerate(trajectory.epochs):
                    axes.plot(trajectory.i_xt_bits[row], trajectory.i_ty_bits[row],
                              marker="o", markersize=2, linewidth=0.6, alpha=0.9,
                              color=color_map(normalize(epoch)))
            axes.set_xlim(x_limit)
            axes.set_ylim(y_limit)
            if r == 0:
                axes.set_title(column_labels[c], fontsize=9)
            if c == 0:
                axes.set_ylabel(f"{row_labels[r]}\nI(T;Y) [bits]", fontsize=8)
            if r == rows - 1:
                axes.set_xlabel("I(X;T) [bits]", fontsize=8)
            axes.tick_params(labelsize=7)
    figure.subplots_adjust(left=0.1, right=0.88, bottom=0.07, top=0.92, wspace=0.12,
                           hspace=0.12)
    mappable = cm.ScalarMappable(norm=normalize, cmap=color_map)
    mappable.set_array(np.array([0.0, top_epoch]))
    figure.colorbar(mappable, cax=figure.add_axes([0.9, 0.3, 0.015, 0.4]), label="epoch")
    if title:
        figure.suptitle(title, fontsize=10)
    return figure


def plot_ib_information_plane(history, title=None):
    """Draws the information plane of every layer of a layer-wise IB `history`.

    Args:
        history: the "layers" dict of `LayerwiseIBTrainer.fit` (or its whole result).
        title: optional figure title.

    Returns:
        A matplotlib Figure on an Agg canvas.

    Example:
        >>> from infodl.analysis.figure_files import save_figure_png
        >>> from infodl.analysis.information_plane_plot import plot_ib_information_plane
        >>> history = {"layers": {  # LayerwiseIBTrainer.fit(...): (iteration, I_X, I_Y) bits
        ...     "hidden_1": {"trajectory": [[0, 4.0, 0.5], [50, 3.0, 0.9], [100, 2.5, 1.0]],
        ...                  "beta": 1e-3},
        ...     "hidden_2": {"trajectory": [[0, 3.0, 0.4], [100, 2.0, 0.95]]}}}
        >>> figure = plot_ib_information_plane(history, title="MNIST 1 %")
        >>> [axis.get_title() for axis in figure.axes[:2]]  # one panel per layer
        ['hidden_1 (β = 0.001)', 'hidden_2']
        >>> save_figure_png(figure, "ib_information_plane.png")
        'ib_information_plane.png'

    Reference: P3 (Elad et al.) Fig. 4.
    """
    layers = history.get("layers", history)
    names = sorted((name for name, record in layers.items() if record["trajectory"]),
                   key=lambda name: _training_order(name, layers[name]))
    columns = max(len(names), 1)
    figure = new_figure((4.2 * columns, 3.8))
    axes = figure.subplots(1, columns, squeeze=False)
    for axis, name in zip(axes[0], names, strict=False):
        record = layers[name]
        points = np.asarray(record["trajectory"], dtype=float)
        iterations, x, y = points[:, 0], points[:, 1], points[:, 2]
        span = max(iterations.max() - iterations.min(), 1.0)
        segments = np.stack([np.column_stack([x[:-1], y[:-1]]),
                             np.column_stack([x[1:], y[1:]])], axis=1)
        lines = LineCollection(segments, cmap="viridis", linewidths=2)
        lines.set_array((iterations[1:] - iterations.min()) / span)
        axis.add_collection(lines)
        scatter = axis.scatter(x, y, c=(iterations - iterations.min()) / span, cmap="viridis",
                               s=12, zorder=3)
        axis.plot(x[0], y[0], "o", mfc="none", mec="k", ms=9, label="start")
        axis.plot(x[-1], y[-1], "s", mfc="none", mec="k", ms=9, label="end")
        frame_x, frame_y = list(x), list(y)
        for point in record.get("error_bars", []):
            (x_mid, x_low, x_high), (y_mid, y_low, y_high) = (
                _summary(point, "I_X"), _summary(point, "I_Y"))
            axis.errorbar(x_mid, y_mid, xerr=[[x_mid - x_low], [x_high - x_mid]],
                          yerr=[[y_mid - y_low], [y_high - y_mid]], fmt="D",
                          color="tab:red", ms=5, capsize=3, zorder=4,
                          label=f"fit_estimate: median, {_count(point)}")
            frame_x.append(x_mid)
            frame_y.append(y_mid)
        handles, labels = axis.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=False))
        axis.legend(unique.values(), unique.keys(), fontsize=7, loc="best", framealpha=0.6)
        axis.set_xlim(*_limits(frame_x, margin=0.12))
        axis.set_ylim(*_limits(frame_y, margin=0.12))
        beta = record.get("beta")
        axis.set_title(f"{name}" + ("" if beta is None else f" (β = {beta:g})"), fontsize=10)
        axis.set_xlabel("I(X; L + ε)  [bits]")
        axis.set_ylabel("I(Y; L)  [bits]")
        axis.grid(alpha=0.3)
        colorbar = figure.colorbar(scatter, ax=axis, fraction=0.05, pad=0.02)
        colorbar.set_label(f"iteration / {int(iterations.max())}", fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return figure


def _summary(point, key):
    """(centre, low, high) of one fit_estimate point: median and range of the restarts."""
    values = point.get(f"{key}_values_bits")
    if values:
        return float(np.median(values)), float(min(values)), float(max(values))
    spread = point.get(f"{key}_std_bits") or 0.0
    return point[f"{key}_bits"], point[f"{key}_bits"] - spread, point[f"{key}_bits"] + spread


def _count(point):
    values = point.get("I_X_values_bits")
    return f"range of {len(values)} fits" if values else "± std"


def _training_order(name, record):
    """Layers in the order they were trained (history.json sorts its keys)."""
    if "index" in record:
        return record["index"], name
    number = name.rsplit("_", 1)[-1]
    return (int(number) if number.isdigit() else 10**6), name


def _limits(values, requested=None, margin=None):
    """Axis limits (low, high): `requested` when given (low < high checked); else, without
    `margin`, from 0 to 5 % above the largest value; with `margin`, the values' range
    widened by that fraction of it on each side."""
    if requested is not None:
        low, high = (float(v) for v in requested)
        if not low < high:
            raise ValueError(f"Expected axis limits (low, high) with low < high. "
                             f"Received: {requested}")
        return low, high
    if margin is not None:
        low, high = float(np.min(values)), float(np.max(values))
        pad = margin * max(high - low, 1e-3)
        return low - pad, high + pad
    top = float(np.max(values)) if np.size(values) else 1.0
    return 0.0, max(top * 1.05, 1e-3)

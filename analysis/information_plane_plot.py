"""The information-plane figure: one line per logged epoch through the layers.

Drawn with matplotlib's object API on an Agg canvas (no pyplot, no global backend
change), so it works on headless machines and inside training callbacks.
"""

import io
import os

import matplotlib
import numpy as np
from matplotlib import cm, colors
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


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
    figure = Figure(figsize=figsize)
    FigureCanvasAgg(figure)
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
    axes.set_xlim(_limits(x_limit, i_xt))
    axes.set_ylim(_limits(y_limit, i_ty))
    if title:
        axes.set_title(title, fontsize=10)
    mappable = cm.ScalarMappable(norm=normalize, cmap=color_map)
    mappable.set_array(np.asarray(epochs, dtype=np.float64))
    figure.colorbar(mappable, ax=axes, label="epoch")
    figure.tight_layout()
    return figure


def _limits(requested, values):
    if requested is not None:
        low, high = (float(v) for v in requested)
        if not low < high:
            raise ValueError(f"Expected axis limits (low, high) with low < high. "
                             f"Received: {requested}")
        return low, high
    top = float(np.max(values)) if np.size(values) else 1.0
    return 0.0, max(top * 1.05, 1e-3)


def figure_to_png_bytes(figure, dpi=100):
    """The PNG encoding of `figure` as bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def save_figure_png(figure, path, dpi=120):
    """Write `figure` to `path` as PNG (parent folders are created) and return path."""
    path = os.fspath(path)
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    figure.savefig(path, format="png", dpi=dpi)
    return path

"""The per-layer information plane of layer-wise IB training (P3 Fig. 4).

One panel per IB layer: the held-out estimates (I(X; L_i + eps), I(Y; L_i)) in bits
along the layer's iterations, coloured from dark (first iteration) to light (last), with
the start and end marked; where the run made independent fit_estimate points
(`estimate_restarts` > 0) they are drawn with error bars of ± one standard deviation
over the restarts.
"""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection


def plot_ib_information_plane(history, title=None):
    """Draws the information plane of every layer of a layer-wise IB `history`.

    Args:
        history: the "layers" dict of `LayerwiseIBTrainer.fit` (or its whole result).
        title: optional figure title.

    Returns:
        A matplotlib Figure.

    Example:
        >>> from infodl.experiments.ib.layerwise_plot import plot_ib_information_plane
        >>> history = {"layers": {  # LayerwiseIBTrainer.fit(...): (iteration, I_X, I_Y) bits
        ...     "hidden_1": {"trajectory": [[0, 4.0, 0.5], [50, 3.0, 0.9], [100, 2.5, 1.0]],
        ...                  "beta": 1e-3},
        ...     "hidden_2": {"trajectory": [[0, 3.0, 0.4], [100, 2.0, 0.95]]}}}
        >>> figure = plot_ib_information_plane(history, title="MNIST 1 %")
        >>> [axis.get_title() for axis in figure.axes[:2]]  # one panel per layer
        ['hidden_1 (β = 0.001)', 'hidden_2']
        >>> figure.savefig("ib_information_plane.png")

    Reference: P3 (Elad et al.) Fig. 4.
    """
    layers = history.get("layers", history)
    names = sorted((name for name, record in layers.items() if record["trajectory"]),
                   key=lambda name: _training_order(name, layers[name]))
    figure, axes = plt.subplots(1, max(len(names), 1), figsize=(4.2 * max(len(names), 1), 3.8),
                                squeeze=False)
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
        axis.set_xlim(*_limits(frame_x))
        axis.set_ylim(*_limits(frame_y))
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


def _limits(values, margin=0.12):
    low, high = float(np.min(values)), float(np.max(values))
    pad = margin * max(high - low, 1e-3)
    return low - pad, high + pad


def figure_png(figure):
    """The figure as PNG bytes (closes it)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()

"""The figures beside the compression table: information planes and compression per layer.

Drawn with matplotlib's object API on an Agg canvas (no pyplot), like
`infodl.analysis.information_plane_plot`.
"""

import matplotlib
import numpy as np
from matplotlib import cm, colors
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


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
    figure = Figure(figsize=(2.8 * columns + 1.2, 2.4 * rows + 0.8))
    FigureCanvasAgg(figure)
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


def plot_compression_bars(statistics, estimator_labels, variant_labels, layer_names,
                          title=None):
    """Compression per layer (mean ± std over seeds), one panel per estimator.

    Args:
        statistics: {estimator: {variant: {layer: {"compression_bits_mean",
            "compression_bits_std"}}}} (`infodl.analysis.compression.compression_over_seeds`);
            a layer's optional "null" (`infodl.analysis.compression_null`) draws its
            "null_quantile" as a black tick on the bar.
        estimator_labels: {estimator: panel title}, in panel order.
        variant_labels: {variant: legend label}, in bar order.
        layer_names: the layers, in order.
        title: figure title or None.

    Returns:
        A matplotlib Figure on an Agg canvas.
    """
    estimators, variants = list(estimator_labels), list(variant_labels)
    columns = min(2, len(estimators))
    rows = -(-len(estimators) // columns)
    figure = Figure(figsize=(5.0 * columns + 0.5, 3.0 * rows + 0.5))
    FigureCanvasAgg(figure)
    axes_row = figure.subplots(rows, columns, squeeze=False, sharey=True).reshape(-1)
    width = 0.8 / len(variants)
    positions = np.arange(len(layer_names))
    for axes, estimator in zip(axes_row, estimators, strict=False):
        for index, variant in enumerate(variants):
            records = [statistics[estimator][variant][name] for name in layer_names]
            means = [r["compression_bits_mean"] for r in records]
            stds = [r["compression_bits_std"] or 0.0 for r in records]
            centres = positions + (index - (len(variants) - 1) / 2) * width
            axes.bar(centres, means, width, yerr=stds, capsize=2,
                     label=variant_labels[variant])
            nulls = [r["null"]["null_quantile"] if "null" in r else np.nan for r in records]
            if not np.all(np.isnan(nulls)):  # the 95th percentile of the mean's null
                axes.scatter(centres, nulls, marker="_", s=40, color="black", zorder=3,
                             label="null, 95th pct." if index == 0 else None)
        axes.set_title(estimator_labels[estimator], fontsize=9)
        axes.set_xticks(positions)
        axes.set_xticklabels([name.replace("hidden_", "h") for name in layer_names],
                             fontsize=8)
        axes.axhline(0.0, color="black", linewidth=0.5)
        axes.tick_params(labelsize=7)
    for axes in axes_row[::columns]:
        axes.set_ylabel("max I(X;T) - final I(X;T) [bits]", fontsize=8)
    for axes in axes_row[len(estimators):]:
        axes.set_visible(False)
    axes_row[0].legend(fontsize=7)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return figure

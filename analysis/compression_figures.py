"""The compression per layer beside the compression table, as bars with their seeds' spread.

Drawn with matplotlib's object API on an Agg canvas (`infodl.analysis.figure_files`);
the information planes of that table are `infodl.analysis.information_plane_plot`'s.
"""

import numpy as np

from infodl.analysis.figure_files import new_figure


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
    figure = new_figure((5.0 * columns + 0.5, 3.0 * rows + 0.5))
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

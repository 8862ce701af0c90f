"""Figures of the feature analysis: P2 Fig. 2/6, 3, 8 and 4 (right), P3 Fig. 5, P1 Fig. 7.

matplotlib's object API on an Agg canvas (no pyplot), as `infodl.analysis.information_plane_plot`;
every function returns a `Figure` (save it with
`infodl.analysis.figure_files.save_figure_png`).
"""

import matplotlib
import matplotlib.ticker
import numpy as np

from infodl.analysis.figure_files import new_figure

FEATURE_UNITS = "activation units"


def _draw_class_statistics(axes, stats, c, entry=None, legend=True):
    x = np.arange(stats["means"].shape[1])
    mean, std = stats["means"][c], stats["stds"][c]
    axes.fill_between(x, mean - std, mean + std, color="tab:blue", alpha=0.2, linewidth=0,
                      label="feature mean ± std")
    axes.plot(x, mean, color="tab:blue", linewidth=1.2, label="feature mean")
    if "weights" in stats:
        axes.plot(x, stats["weights"][c], color="tab:orange", linewidth=1.0,
                  label=f"weight w_{c} (column {c} of w)")
        axes.plot(x, stats["products"][c], "+", color="tab:green", markersize=6,
                  label="product of feature mean and weight")
    if entry is not None and entry >= 0:
        axes.axvline(entry, color="grey", linestyle=":", linewidth=1,
                     label=f"representative entry {entry}")
    axes.axhline(0.0, color="black", linewidth=0.5)
    axes.set_xlim(-0.5, len(x) - 0.5)
    if legend:
        axes.legend(fontsize=7, loc="upper right")


def plot_class_statistics(stats, c, class_name=None, entry=None, title=None):
    """P2 Fig. 2: per feature entry, class c's mean ± std, w's column c, and their product.

    Args:
        stats: output of `class_feature_statistics`.
        c: the class.
        class_name: its name in the title (default "class c").
        entry: its representative entry, marked by a dotted line (or None).
        title: model name for the title (e.g. "RegInvNet").
    """
    figure = new_figure((9, 4))
    axes = figure.add_subplot(1, 1, 1)
    _draw_class_statistics(axes, stats, c, entry)
    name = class_name or f"class {c}"
    count = int(stats["counts"][c])
    axes.set_title(f"{title + ': ' if title else ''}feature statistics of {name} "
                   f"({count} test examples)", fontsize=10)
    axes.set_xlabel("index of feature entry i of F(x)")
    axes.set_ylabel(f"value [{FEATURE_UNITS}]")
    figure.tight_layout()
    return figure


def plot_class_statistics_grid(stats, entries=None, class_names=None, title=None, columns=5):
    """P2 Fig. 6: the class-statistics panel of every class in one grid."""
    num_classes = stats["means"].shape[0]
    rows = -(-num_classes // columns)
    figure = new_figure((3.2 * columns, 2.6 * rows + 0.6))
    for c in range(num_classes):
        axes = figure.add_subplot(rows, columns, c + 1)
        _draw_class_statistics(axes, stats, c, None if entries is None else entries[c],
                               legend=False)
        axes.set_title(class_names[c] if class_names else f"class {c}", fontsize=9)
        axes.tick_params(labelsize=7)
        if c % columns == 0:
            axes.set_ylabel(f"value [{FEATURE_UNITS}]", fontsize=8)
        if c >= num_classes - columns:
            axes.set_xlabel("feature entry i", fontsize=8)
    handles, labels = figure.axes[0].get_legend_handles_labels()
    labels = [label.replace(" (column 0 of w)", "").replace("w_0", "w_c") for label in labels]
    labels = ["representative entry" if label.startswith("representative") else label
              for label in labels]
    figure.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8)
    figure.suptitle(f"{title + ': ' if title else ''}per-class feature mean ± std, "
                    "classifier column w_c and their product", fontsize=11)
    figure.tight_layout(rect=(0, 0.05, 1, 0.96))
    return figure


def plot_representative_roc(roc, title=None):
    """P2 Fig. 3: micro/macro-average ROC of the representative entries as class scores."""
    figure = new_figure((5.5, 5))
    axes = figure.add_subplot(1, 1, 1)
    for item in roc["per_class"]:
        axes.plot(item["fpr"], item["tpr"], linewidth=0.6, alpha=0.5,
                  label=f"class {item['class']}, entry {item['entry']} "
                        f"(area = {item['auc']:.2f})")
    axes.plot(roc["micro"]["fpr"], roc["micro"]["tpr"], ":", color="deeppink", linewidth=3,
              label=f"micro-average ROC curve (area = {roc['micro']['auc']:.2f})")
    axes.plot(roc["macro"]["fpr"], roc["macro"]["tpr"], ":", color="navy", linewidth=3,
              label=f"macro-average ROC curve (area = {roc['macro']['auc']:.2f})")
    axes.plot([0, 1], [0, 1], "--", color="black", linewidth=0.8, label="chance (area = 0.5)")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.set_xlabel("False Positive Rate (fraction of other classes)")
    axes.set_ylabel("True Positive Rate (fraction of the class)")
    axes.set_title(f"{title + ': ' if title else ''}ROC of representative feature entries",
                   fontsize=10)
    axes.legend(fontsize=6.5, loc="lower right")
    figure.tight_layout()
    return figure


def plot_feature_histogram(class_features, entry=None, class_name="class", title=None,
                           bins=60):
    """P2 Fig. 8: histogram of the feature values of one class (all entries pooled), and
    of its representative entry alone."""
    values = np.asarray(class_features, np.float64)
    figure = new_figure((10, 4))
    panels = [(values.ravel(), f"all {values.shape[1]} entries pooled", "tab:blue")]
    if entry is not None and entry >= 0:
        panels.append((values[:, entry], f"representative entry {entry}", "tab:orange"))
    for index, (data, label, colour) in enumerate(panels):
        axes = figure.add_subplot(1, len(panels), index + 1)
        axes.hist(data, bins=bins, color=colour, alpha=0.85)
        zeros = float(np.mean(data == 0.0))
        axes.set_title(f"{label}: mean {data.mean():.3g}, std {data.std():.3g}, "
                       f"{100 * zeros:.0f} % exactly 0", fontsize=9)
        axes.set_xlabel(f"feature value [{FEATURE_UNITS}]")
        axes.set_ylabel("count (entry values)" if index == 0 else "count (examples)")
        if index == 0:
            axes.set_yscale("log")  # the spike at 0 and the tail on one scale
    figure.suptitle(f"{title + ': ' if title else ''}histogram of feature values of "
                    f"{class_name} ({values.shape[0]} test examples)", fontsize=10)
    figure.tight_layout()
    return figure


def plot_classifier_weights(kernel, weight_stats, title=None):
    """P2 Fig. 4 (right): w as a heat map (white = exactly 0) and its column norms."""
    kernel = np.asarray(kernel, np.float64)
    figure = new_figure((9, 4.5))
    axes = figure.add_subplot(1, 2, 1)
    scale = float(np.max(np.abs(kernel))) or 1.0
    image = axes.imshow(kernel, aspect="auto", cmap="RdBu_r", vmin=-scale, vmax=scale,
                        interpolation="nearest")
    figure.colorbar(image, ax=axes, label="w_ij [logit units per activation unit]")
    axes.set_xlabel("class j")
    axes.set_ylabel("feature entry i")
    axes.set_title(f"w: {100 * weight_stats['zero_fraction']:.1f} % of entries exactly 0",
                   fontsize=9)
    axes = figure.add_subplot(1, 2, 2)
    norms = weight_stats["column_norms"]
    axes.bar(np.arange(len(norms)), norms, color="tab:orange")
    axes.set_xlabel("class j")
    axes.set_ylabel("||w_j||_2 [logit units per activation unit]")
    axes.set_title(f"column norms (mean {weight_stats['column_norm_mean']:.3g})", fontsize=9)
    if title:
        figure.suptitle(f"{title}: classifier w", fontsize=10)
    figure.tight_layout()
    return figure


def plot_tsne(embedding, labels, layer, ratio=None, title=None, class_names=None):
    """P3 Fig. 5: a 2-D t-SNE embedding of one layer, one colour per class."""
    embedding, labels = np.asarray(embedding), np.asarray(labels)
    figure = new_figure((6.4, 5.6))
    axes = figure.add_subplot(1, 1, 1)
    classes = np.unique(labels)
    colours = matplotlib.colormaps["tab10" if classes.size <= 10 else "tab20"]
    for index, c in enumerate(classes):
        points = embedding[labels == c]
        axes.scatter(points[:, 0], points[:, 1], s=4, alpha=0.7,
                     color=colours(index % colours.N),
                     label=class_names[c] if class_names else f"class {c}")
    axes.set_xlabel("t-SNE dimension 1 (arbitrary units)")
    axes.set_ylabel("t-SNE dimension 2 (arbitrary units)")
    ratio_text = "" if ratio is None else f", separation ratio {ratio:.2f}"
    heading = f"{title}\n" if title else ""
    axes.set_title(f"{heading}t-SNE of layer {layer!r} "
                   f"({len(labels)} test examples{ratio_text})", fontsize=9)
    if classes.size <= 20:
        axes.legend(fontsize=7, markerscale=3, loc="best")
    figure.tight_layout()
    return figure


def plot_pca_accuracy(rows, layer, title=None):
    """P1 Fig. 7: linear-SVM and 1-NN test accuracy against retained principal components."""
    components = [row["components"] for row in rows]
    figure = new_figure((6, 4.2))
    axes = figure.add_subplot(1, 1, 1)
    axes.plot(components, [100 * row["svm_accuracy"] for row in rows], "o-",
              label="linear SVM")
    axes.plot(components, [100 * row["nearest_neighbour_accuracy"] for row in rows], "s--",
              label="nearest neighbour (1-NN)")
    axes.set_xscale("log", base=2)
    axes.set_xticks(components, [str(k) for k in components])
    axes.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axes.set_xlabel("number of principal components retained")
    axes.set_ylabel("test accuracy [%]")
    axes.set_ylim(0, 100)
    axes.grid(alpha=0.3)
    axes.set_title(f"{title + ': ' if title else ''}PCA of layer {layer!r} → classifiers",
                   fontsize=10)
    axes.legend(loc="lower right")
    figure.tight_layout()
    return figure

"""Per-class statistics of learned features, representative entries and their ROC (P2 §4.2).

NumPy and scikit-learn only (no TensorFlow): the inputs are feature arrays F(x) of
shape (N, d), integer labels and, optionally, the classifier w of shape (d, C).
"""

import numpy as np
from sklearn.metrics import auc, roc_curve

from infodl.checks import check_class_labels


def _check_features(features, labels):
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or features.shape[0] < 1:
        raise ValueError("Expected features of shape (N, d) with N >= 1. Received: "
                         f"shape {features.shape}")
    if not np.all(np.isfinite(features)):
        raise ValueError("Expected finite features. Received: NaN or inf")
    labels = np.asarray(check_class_labels(labels, num_examples=features.shape[0],
                                           allow_one_hot=False), np.int64).reshape(-1)
    return features, labels


def class_feature_statistics(features, labels, kernel=None, num_classes=None):
    """Mean and std of every feature entry per class, the class's column of w, their product.

        mean_c[i] = (1/n_c) Σ_{k: y_k = c} F(x_k)_i,   std_c[i] (population std),
        weight_c[i] = w_{i,c},                          product_c[i] = mean_c[i] · w_{i,c}

    The product is the entry's average contribution to the class's logit z_c (P2 Fig. 2:
    under the regularizer it is large on only a few "relevant" entries).

    Args:
        features: (N, d) array of F(x).
        labels: N integer labels in [0, num_classes).
        kernel: optional (d, C) classifier w (the logits layer's kernel).
        num_classes: C (default: the kernel's columns, else max label + 1).

    Returns:
        dict of arrays: "counts" (C,), "means" (C, d), "stds" (C, d) and, with a kernel,
        "weights" (C, d) = wᵀ and "products" (C, d). A class without examples has NaN
        means and stds.

    Example:
        >>> from infodl.analysis.feature_statistics import class_feature_statistics
        >>> features = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 2.0]])
        >>> kernel = np.array([[0.5, 0.0], [0.0, -1.0]])  # (d, C): w_0 = (0.5, 0), w_1 = (0, -1)
        >>> stats = class_feature_statistics(features, [0, 0, 1], kernel)
        >>> stats["means"][0], stats["products"][1]  # class 1's row, as P2 Fig. 2
        (array([2., 0.]), array([ 0., -2.]))

    Reference: P2 §4.2.1 and Fig. 2, 6 (appendix F).
    """
    features, labels = _check_features(features, labels)
    if kernel is not None:
        kernel = np.asarray(kernel, np.float64)
        if kernel.ndim != 2 or kernel.shape[0] != features.shape[1]:
            raise ValueError(f"Expected a kernel of shape ({features.shape[1]}, C). "
                             f"Received: {kernel.shape}")
    if num_classes is None:
        num_classes = kernel.shape[1] if kernel is not None else int(labels.max()) + 1
    if labels.max() >= num_classes:
        raise ValueError(f"Expected labels < num_classes={num_classes}. "
                         f"Received: label {labels.max()}")
    dim = features.shape[1]
    counts = np.bincount(labels, minlength=num_classes)
    means = np.full((num_classes, dim), np.nan)
    stds = np.full((num_classes, dim), np.nan)
    for c in np.flatnonzero(counts):
        members = features[labels == c]
        means[c], stds[c] = members.mean(axis=0), members.std(axis=0)
    stats = {"counts": counts, "means": means, "stds": stds}
    if kernel is not None:
        stats["weights"] = kernel.T.copy()
        stats["products"] = means * kernel.T
    return stats


def representative_entries(class_means):
    """Each class's representative entry: argmax_i mean_c[i] (P2 §4.2.2).

    Args:
        class_means: (C, d) array of per-class feature means (NaN rows are allowed).

    Returns:
        (C,) int64 array; -1 for a class without examples.
    """
    class_means = np.asarray(class_means, np.float64)
    entries = np.full(class_means.shape[0], -1, np.int64)
    present = ~np.all(np.isnan(class_means), axis=1)
    entries[present] = np.nanargmax(class_means[present], axis=1)
    return entries


def representative_entry_roc(features, labels, entries):
    """Micro- and macro-average ROC of the representative entries used as class scores.

    Class c's score of example k is s_kc = F(x_k)[entries[c]]; the one-vs-rest ROC of
    class c compares s_·c between examples of c and the rest. The micro-average pools
    all (example, class) pairs (one-hot labels against the score matrix, raveled); the
    macro-average interpolates every class's TPR on the union of their FPRs and averages
    (scikit-learn's ROC example, whose legends P2 Fig. 3 shows). AUC 0.5 = chance.

    Args:
        features: (N, d) array of F(x).
        labels: N integer labels.
        entries: (C,) representative entries (`representative_entries`).

    Returns:
        dict: "micro" and "macro" ({"fpr", "tpr", "auc"}), "per_class" (list of
        {"class", "entry", "auc", "fpr", "tpr"}; classes absent from labels or without
        negatives are skipped), "mean_class_auc" (mean of the per-class AUCs).

    Example:
        >>> from infodl.analysis.feature_statistics import (
        ...     representative_entries, representative_entry_roc)
        >>> features = np.array([[2.0, 0.0], [1.0, 0.5], [0.0, 3.0], [0.5, 1.0]])
        >>> labels = [0, 0, 1, 1]
        >>> entries = representative_entries([[1.5, 0.25], [0.25, 2.0]])  # class means
        >>> entries
        array([0, 1])
        >>> roc = representative_entry_roc(features, labels, entries)
        >>> roc["micro"]["auc"], roc["macro"]["auc"]  # perfect scores; P2 Fig. 3: 0.81 → 0.99
        (1.0, 1.0)

    Reference: P2 §4.2.2 and Fig. 3.
    """
    features, labels = _check_features(features, labels)
    entries = np.asarray(entries, np.int64)
    if entries.ndim != 1 or np.any(entries >= features.shape[1]):
        raise ValueError(f"Expected entries < {features.shape[1]}. Received: {entries}")
    classes = [c for c in range(len(entries))
               if entries[c] >= 0 and 0 < np.sum(labels == c) < len(labels)]
    if not classes:
        raise ValueError("Expected at least one class with positive and negative examples. "
                         f"Received: labels {np.unique(labels)}")
    one_hot = np.stack([labels == c for c in classes], axis=1)
    scores = features[:, entries[classes]]
    per_class, curves = [], []
    for column, c in enumerate(classes):
        fpr, tpr, _ = roc_curve(one_hot[:, column], scores[:, column])
        curves.append((fpr, tpr))
        per_class.append({"class": int(c), "entry": int(entries[c]), "auc": float(auc(fpr, tpr)),
                          "fpr": fpr, "tpr": tpr})
    micro_fpr, micro_tpr, _ = roc_curve(one_hot.ravel(), scores.ravel())
    macro_fpr = np.unique(np.concatenate([fpr for fpr, _ in curves]))
    macro_tpr = np.mean([np.interp(macro_fpr, fpr, tpr) for fpr, tpr in curves], axis=0)
    return {
        "micro": {"fpr": micro_fpr, "tpr": micro_tpr, "auc": float(auc(micro_fpr, micro_tpr))},
        "macro": {"fpr": macro_fpr, "tpr": macro_tpr, "auc": float(auc(macro_fpr, macro_tpr))},
        "per_class": per_class,
        "mean_class_auc": float(np.mean([item["auc"] for item in per_class])),
    }


def weight_statistics(kernel):
    """Sparsity and norms of the classifier w (d × C): P2 §4.3, Fig. 4.

    Returns:
        dict: "zero_fraction" (entries exactly 0), "zero_row_fraction" (feature entries
        whose whole row of w is 0, i.e. ignored by every class), "column_norms" (C,)
        ||w_j||_2, "column_norm_mean", "l1_norm" ||w||_1.
    """
    kernel = np.asarray(kernel, np.float64)
    if kernel.ndim != 2:
        raise ValueError(f"Expected a 2-D kernel (d, C). Received: shape {kernel.shape}")
    norms = np.linalg.norm(kernel, axis=0)
    return {"zero_fraction": float(np.mean(kernel == 0.0)),
            "zero_row_fraction": float(np.mean(np.all(kernel == 0.0, axis=1))),
            "column_norms": norms, "column_norm_mean": float(norms.mean()),
            "l1_norm": float(np.abs(kernel).sum())}

"""Stratified, seeded subsets of a labelled training set (P3 trains on 1 % of MNIST)."""

import numpy as np

from infodl.checks import check_fraction


def stratified_subset_indices(labels, fraction, seed=0):
    """Indices of a stratified random subset holding `fraction` of the examples.

    The subset has round(fraction · N) examples in total, split over the classes in
    proportion to their counts n_c (largest-remainder rounding of fraction · n_c), but
    at least one example of every class present in `labels`, so the total can exceed
    round(fraction · N) when fraction · N is smaller than the number of classes.

    Args:
        labels: 1-D integer array of N class labels.
        fraction: real number in (0, 1]; 1 returns every index.
        seed: integer seed of the NumPy generator that draws the examples.

    Returns:
        Sorted int64 array of the chosen indices (original order is kept).

    Example:
        >>> idx = stratified_subset_indices(np.repeat(np.arange(10), 100), 0.01)
        >>> len(idx)
        10

    Reference: P3 (003) §5, Table 1 "1 % of the training set".
    """
    fraction = check_fraction(fraction, "fraction")
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(
            f"Expected 1-D labels. Received: labels with shape {labels.shape}")
    if fraction == 1.0 or labels.size == 0:
        return np.arange(labels.size, dtype=np.int64)
    classes, counts = np.unique(labels, return_counts=True)
    quotas = counts * float(fraction)
    per_class = np.floor(quotas).astype(np.int64)
    total = max(1, round(labels.size * fraction))
    missing = total - int(per_class.sum())
    if missing > 0:
        # Largest fractional parts first; ties go to the lower class (stable sort).
        order = np.argsort(-(quotas - per_class), kind="stable")
        per_class[order[:missing]] += 1
    per_class = np.clip(per_class, 1, counts)
    rng = np.random.default_rng(seed)
    chosen = [
        rng.choice(np.flatnonzero(labels == label), size=int(count), replace=False)
        for label, count in zip(classes, per_class)
    ]
    return np.sort(np.concatenate(chosen)).astype(np.int64)

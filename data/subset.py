"""Stratified, seeded subsets of a labelled training set (P3 trains on 1 % of MNIST)."""

import math

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
        >>> from infodl.data.subset import stratified_subset_indices
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
        for label, count in zip(classes, per_class, strict=True)
    ]
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def smallest_fraction(num_examples, minimum):
    """The smallest fraction, rounded up to two significant digits, whose stratified
    subset holds at least `minimum` of `num_examples` (round(fraction · N) >= minimum)."""
    exact = min(1.0, minimum / num_examples)
    digits = 1 - math.floor(math.log10(exact))
    return min(1.0, math.ceil(exact * 10 ** digits) / 10 ** digits)


def check_subset_size(num_examples, num_classes, fraction, name="train_fraction",
                      minimum=None):
    """Refuses a fraction whose stratified subset cannot hold an example of every class.

    round(fraction · N) examples must be at least `minimum` (default: the number of
    classes), else the subset would silently hold more examples than asked for (one per
    class) or miss classes; the message names the smallest fraction that works.

    Args:
        num_examples: N, the size of the full training set.
        num_classes: the classes every subset must hold.
        fraction: the share kept, in (0, 1].
        name: the argument named in the message.
        minimum: the fewest examples the caller needs (>= num_classes).

    Returns:
        The number of examples of the subset, round(fraction · N).

    Example:
        >>> from infodl.data.subset import check_subset_size
        >>> check_subset_size(60000, 10, 0.01)
        600
        >>> check_subset_size(60000, 10, 0.0001)
        Traceback (most recent call last):
        ValueError: Expected train_fraction >= 0.00017, so that the stratified subset ...
    """
    fraction = check_fraction(fraction, name)
    minimum = max(int(num_classes), int(minimum or 0))
    size = num_examples if fraction == 1.0 else max(1, round(num_examples * fraction))
    if size < minimum:
        raise ValueError(
            f"Expected {name} >= {smallest_fraction(num_examples, minimum):g}, so that the "
            f"stratified subset of the {num_examples} training examples holds at least "
            f"{minimum} (one of each of the {num_classes} classes). Received: "
            f"{name}={fraction:g}, {size} example(s)")
    return size

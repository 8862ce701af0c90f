"""Data checks and small helpers shared by the NumPy mutual-information estimators.

Argument checks (numbers, choices, class labels) come from `infodl.checks`; this
module checks the estimators' data (activation arrays, lists of layers). Every
check raises one `ValueError` whose message says what was expected and what was
received, in the Keras style.
"""

import numpy as np

from infodl import checks
from infodl.choices import UNITS


def check_units(units):
    """Returns `units` if it is "bits" or "nats", else raises ValueError."""
    return checks.check_choice(units, "units", UNITS)


def to_units(value_nats, units):
    """Converts a value in nats to `units` ("bits" divides by ln 2); never -0.0."""
    value = value_nats / np.log(2.0) if units == "bits" else value_nats
    return float(value) + 0.0  # -0.0 + 0.0 == +0.0


def check_activations(activations, name="activations"):
    """Returns one layer's activations as a finite (N, D) float array.

    Each example's entries are flattened, so (N, H, W, C) becomes (N, H*W*C).
    float32/float64 arrays are kept (no copy); other numeric types become float64.

    Raises:
        ValueError: not numeric, no example, no unit, or a NaN/inf entry.
    """
    array = np.asarray(activations)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number)
                                     or array.dtype == bool):
        raise ValueError(f"Expected {name} to be a numeric array. "
                         f"Received: dtype={array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise ValueError(f"Expected real-valued {name}. Received: dtype={array.dtype}")
    if array.ndim == 0 or array.shape[0] == 0:
        raise ValueError(f"Expected {name} of shape (N, ...) with N >= 1 examples. "
                         f"Received: shape={array.shape}")
    array = array.reshape(array.shape[0], -1)
    if array.shape[1] == 0:
        raise ValueError(f"Expected {name} with at least one unit per example. "
                         f"Received: shape={array.shape}")
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    # Fast path: a float64 sum is finite iff every entry is (barring overflow).
    if not np.isfinite(np.sum(array, dtype=np.float64)):
        num_bad = int(np.count_nonzero(~np.isfinite(array)))
        if num_bad:
            raise ValueError(
                f"Expected {name} to contain only finite values. Received: {num_bad} "
                f"NaN/inf entries in {name} of shape {array.shape}")
    return array


def check_labels(labels, num_examples):
    """Returns labels as class indices 0..C-1 (int64, shape (N,)) and C.

    Accepts what `infodl.checks.check_class_labels` accepts: integer (or
    integer-valued float) labels >= 0 of shape (N,) or (N, 1), and one-hot / score
    rows of shape (N, C) (their argmax is the label). The classes present are
    renumbered 0..C-1 in order.

    Raises:
        ValueError: wrong length or rank, NaN/inf, negative or non-integer values.
    """
    vector = checks.check_class_labels(labels, num_examples)
    _, label_ids = np.unique(vector, return_inverse=True)
    label_ids = label_ids.reshape(-1).astype(np.int64)
    return label_ids, int(label_ids.max()) + 1


def check_layer_list(activations_per_layer):
    """Returns a list of layers; rejects a bare array (ambiguous with one layer)."""
    if isinstance(activations_per_layer, np.ndarray) or not isinstance(
            activations_per_layer, (list, tuple)) or not activations_per_layer:
        raise ValueError(
            "Expected a non-empty list of per-layer activations [(N, ...), ...]. "
            f"Received: {type(activations_per_layer).__name__}")
    return list(activations_per_layer)


def entropy_from_counts(counts):
    """Shannon entropy in nats of the empirical distribution counts / sum(counts).

    H = -sum_k p_k log p_k over the non-zero counts.
    """
    counts = np.asarray(counts, dtype=np.float64)
    counts = counts[counts > 0]
    total = counts.sum()
    probabilities = counts / total
    return float(-np.sum(probabilities * np.log(probabilities))) + 0.0  # never -0.0

"""Pairwise-distance (KDE) bounds on the entropy and MI of a noisy layer T = h(X) + noise."""

import numpy as np

from infodl import checks
from infodl.choices import KDE_BOUNDS
from infodl.estimators.estimate import Estimate

from . import _checks

BOUNDS = KDE_BOUNDS


def _pairwise_log_kernel_sums(points, scale, chunk_size):
    """log sum_j exp(-scale * ||p_i - p_j||^2) for every row i, tile by tile.

    The N x N matrix is never formed: rows and columns are cut into blocks of
    `chunk_size` and each (chunk_size x chunk_size) tile of squared distances
    |p_i|^2 + |p_j|^2 - 2 p_i.p_j is exponentiated and summed into its rows and,
    by symmetry, its columns (tiles below the diagonal are not computed).
    This is a log-sum-exp whose shift is known: every exponent is <= 0 and each
    row's largest, its own distance 0, is exactly 0 (the diagonal is set to 0),
    so each sum lies in [1, N] and neither overflows nor loses precision.
    Peak extra memory is about one tile, 8 * chunk_size^2 bytes.
    """
    points = points - points.mean(axis=0)  # distances unchanged, less cancellation
    squared_norms = np.einsum("ij,ij->i", points, points)
    num_points = points.shape[0]
    row_sums = np.zeros(num_points)
    for row_start in range(0, num_points, chunk_size):
        rows = slice(row_start, row_start + chunk_size)
        for column_start in range(row_start, num_points, chunk_size):
            columns = slice(column_start, column_start + chunk_size)
            tile = points[rows] @ points[columns].T
            tile *= 2.0
            tile -= squared_norms[rows, None]
            tile -= squared_norms[None, columns]  # tile = -||p_i - p_j||^2
            if row_start == column_start:
                np.fill_diagonal(tile, 0.0)
            np.minimum(tile, 0.0, out=tile)
            tile *= scale
            np.exp(tile, out=tile)
            row_sums[rows] += tile.sum(axis=1)
            if column_start != row_start:
                row_sums[columns] += tile.sum(axis=0)
    return np.log(row_sums)


class KDEEstimator:
    """Upper/lower bounds on H(T), I(X;T), I(T;Y) for T = h(X) + N(0, sigma^2 I).

    With X uniform over the N examples, T is a mixture of N Gaussians centred on the
    activations h_i (d units). Kolchinsky & Tracey's pairwise-distance estimators:

        H(T) ~= d/2 log(2 pi e sigma^2) - (1/N) sum_i log (1/N) sum_j exp(-D_ij)

    with D_ij = ||h_i - h_j||^2 / (2 sigma^2) (pairwise KL: upper bound) or
    D_ij = ||h_i - h_j||^2 / (8 sigma^2) (Bhattacharyya: lower bound). Then
    I(X;T) = H(T) - H(T|X) with H(T|X) = d/2 log(2 pi e sigma^2), and
    I(T;Y) = H(T) - sum_y p(y) H(T | Y=y), each H(T|y) by the same bound on the
    examples of class y (as Saxe et al. do). The constants cancel in both.

    The pairwise squared distances are computed tile by tile (chunk_size x
    chunk_size, upper triangle only) into per-row log-sum-exps, so memory does
    not grow as N^2.
    `fit_estimate(x, y)` (the one call of every estimator of the package) applies the
    same formula to both sides: I = M(x) + M(y) - M([x, y]) in nats, with
    M = H - d/2 log(2 pi e sigma^2) the mixture term above (the constants cancel).
    A single example or a constant layer gives I(X;T) = I(T;Y) = 0 and
    H(T) = d/2 log(2 pi e sigma^2). NaN/inf activations, labels of another length
    than the activations, and noise_variance <= 0 raise ValueError.

    Args:
        noise_variance: sigma^2 > 0 of the added Gaussian noise.
        bound: "upper" (pairwise KL) or "lower" (Bhattacharyya).
        chunk_size: integer >= 1, rows/columns per tile of the distance matrix.
        units: "bits" or "nats" for the returned values.

    Example:
    >>> from infodl.estimators.kde import KDEEstimator
    >>> estimator = KDEEstimator(noise_variance=0.01, bound="upper")
    >>> hidden = np.array([[0.1], [0.1], [0.9], [0.9]])  # two clusters far apart (σ = 0.1)
    >>> labels = np.array([0, 0, 1, 1])
    >>> np.round(estimator.information_per_layer([hidden, 0.0 * hidden], labels), 6)
    array([[1., 1.],
           [0., 0.]])

    Reference: Kolchinsky & Tracey 2017, "Estimating mixture entropy with pairwise
    distances", Sec. 4 (Eq. 9-10 with KL and Bhattacharyya); Saxe et al. 2018, Sec. 2;
    used for the information plane of Zhao & Sun (P1) §3.4.
    """

    def __init__(self, noise_variance=0.1, bound="upper", chunk_size=2048, units="bits"):
        self.noise_variance = checks.check_positive(noise_variance, "noise_variance")
        self.bound = checks.check_choice(bound, "bound", BOUNDS)
        self.chunk_size = checks.check_integer(chunk_size, "chunk_size")
        self.units = _checks.check_units(units)

    def get_config(self):
        """Returns the constructor arguments."""
        return {"noise_variance": self.noise_variance, "bound": self.bound,
                "chunk_size": self.chunk_size, "units": self.units}

    def entropy(self, activations):
        """H(T) bound in `units` for T = h(X) + N(0, sigma^2 I), X uniform on N examples."""
        values = np.asarray(_checks.check_activations(activations), dtype=np.float64)
        conditional = 0.5 * values.shape[1] * np.log(2 * np.pi * np.e * self.noise_variance)
        return _checks.to_units(conditional + self._mixture_term(values), self.units)

    def information(self, activations, labels):
        """Returns (I(X;T), I(T;Y)) in `units` for one layer.

        Args:
            activations: (N, ...) activations h(x_i) of one layer.
            labels: (N,) integer labels or (N, C) one-hot rows.

        Returns:
            A tuple of two floats (I(X;T), I(T;Y)).
        """
        values = np.asarray(_checks.check_activations(activations), dtype=np.float64)
        label_ids, num_classes = _checks.check_labels(labels, values.shape[0])
        i_xt = self._mixture_term(values)
        class_sizes = np.bincount(label_ids, minlength=num_classes)
        conditional = sum(size * self._mixture_term(values[label_ids == label])
                          for label, size in enumerate(class_sizes)) / values.shape[0]
        return (_checks.to_units(i_xt, self.units),
                _checks.to_units(i_xt - conditional, self.units))

    def information_per_layer(self, activations, labels):
        """Returns an (L, 2) array of (I(X;T), I(T;Y)) for a list of L layers."""
        layers = _checks.check_layer_list(activations)
        return np.array([self.information(layer, labels) for layer in layers],
                        dtype=np.float64).reshape(len(layers), 2)

    def fit_estimate(self, x, y):
        """I(X;Y) in nats of the pairs smoothed by the kernel, as an `Estimate`:

            I = H(x + e) + H(y + e') - H([x, y] + e'') = M(x) + M(y) - M([x, y]),

        each entropy by the pairwise bound of `bound` (M the mixture term; the
        conditional constants cancel). A plug-in value, not a bound on I: it depends on
        `noise_variance` and the scale of the features. With y one-hot labels scaled
        far apart (relative to sigma) it equals `information(x, labels)[1]`.
        """
        x = np.asarray(_checks.check_activations(x, "x"), dtype=np.float64)
        y = np.asarray(_checks.check_activations(y, "y"), dtype=np.float64)
        if len(x) != len(y):
            raise ValueError("Expected x and y with the same number of samples. "
                             f"Received: len(x)={len(x)}, len(y)={len(y)}")
        terms = [self._mixture_term(values) for values in (x, y, np.hstack([x, y]))]
        return Estimate(terms[0] + terms[1] - terms[2])

    def _mixture_term(self, values):
        """H(T) - H(T|X) in nats = log N - (1/N) sum_i log sum_j exp(-D_ij), in [0, log N]."""
        divisor = 2.0 if self.bound == "upper" else 8.0
        log_sums = _pairwise_log_kernel_sums(
            values, 1.0 / (divisor * self.noise_variance), self.chunk_size)
        # Each row sum lies in [1, N], so the term lies in [0, log N]; clipped
        # against rounding (a constant layer gave -4e-16).
        log_n = float(np.log(values.shape[0]))
        return min(max(0.0, log_n - float(np.mean(log_sums))), log_n)

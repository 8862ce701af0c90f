"""Binning (plug-in) estimator of I(X;T) and I(T;Y) for a deterministic layer T = h(X)."""

import numpy as np

from infodl import checks
from infodl.estimators.estimate import Estimate

from . import _checks

# Rows of a layer are processed in blocks of about this many entries (bounded memory).
_BLOCK_ENTRIES = 1 << 20
# Above this many edges the arithmetic bin estimate is not trusted: plain searchsorted.
_MAX_ARITHMETIC_EDGES = 1 << 20


def _round_up_to_dtype(edges, dtype):
    """Smallest values of `dtype` >= `edges`, so `x >= edge` is exact for x of `dtype`."""
    rounded = edges.astype(dtype)
    below = rounded.astype(np.float64) < edges
    rounded[below] = np.nextafter(rounded[below], dtype.type(np.inf))
    return rounded


def _count_edges_at_or_below(values, edges):
    """np.digitize(values, edges) (right=False) for ascending, evenly spaced edges.

    An arithmetic estimate floor((x - e_0) / step) + 1 is corrected by one exact
    comparison with each neighbouring edge, which is several times faster than the
    binary search of np.digitize and gives the same integers.
    """
    if edges.size > _MAX_ARITHMETIC_EDGES:
        return np.searchsorted(edges, values, side="right")
    step = (edges[-1] - edges[0]) / (edges.size - 1) if edges.size > 1 else 1.0
    bounds = np.concatenate(
        [[-np.inf], _round_up_to_dtype(edges, values.dtype), [np.inf]]).astype(values.dtype)
    # float32 keeps the estimate within one bin while edges.size * 2**-24 << 1.
    work_dtype = values.dtype if edges.size <= 1 << 16 else np.dtype(np.float64)
    with np.errstate(over="ignore"):  # huge values: inf, clipped just below
        estimate = values.astype(work_dtype) - work_dtype.type(edges[0])
        estimate *= work_dtype.type(1.0 / step)
        estimate += 1.0
    np.clip(estimate, 0, edges.size, out=estimate)
    index = estimate.astype(np.min_scalar_type(edges.size + 1))
    index -= values < bounds[index]
    index += values >= bounds[index + 1]
    return index


def _hash_multipliers(num_words):
    """Fixed random odd 64-bit multipliers of the row hash (one per 8-byte word)."""
    generator = np.random.default_rng(0x1DB1)
    return generator.integers(1, 2**63, size=num_words, dtype=np.uint64) | np.uint64(1)


def _row_symbols(packed):
    """Ids 0..K-1 of the distinct rows of `packed` (N, 8*W bytes), same id = same row.

    A row of at most 8 bytes is packed into one uint64 (collision free). Longer rows
    are hashed (sum of words times odd multipliers, mod 2^64); rows sharing a hash
    are then compared with the first row of their group, and any collision falls
    back to an exact sort of the rows as byte strings.
    """
    words = packed.view(np.uint64)
    if words.shape[1] == 1:
        return np.unique(words[:, 0], return_inverse=True)[1].reshape(-1)
    codes = words @ _hash_multipliers(words.shape[1])
    _, first_index, symbols = np.unique(codes, return_index=True, return_inverse=True)
    symbols = symbols.reshape(-1)
    rows_per_block = max(1, _BLOCK_ENTRIES // words.shape[1])
    for start in range(0, words.shape[0], rows_per_block):
        block = slice(start, start + rows_per_block)
        if not np.array_equal(words[block], words[first_index[symbols[block]]]):
            as_bytes = packed.view(np.dtype((np.void, packed.strides[0]))).reshape(-1)
            return np.unique(as_bytes, return_inverse=True)[1].reshape(-1)
    return symbols


class BinningEstimator:
    """Discretizes each unit of a layer and measures I(X;T), I(T;Y) on the symbols.

    Every unit's activation becomes a bin index and a layer's row of bin indices is
    one discrete symbol T. With X uniform over N distinct inputs and a deterministic
    network (plug-in probabilities over the N examples):

        I(X;T) = H(T),    I(T;Y) = H(T) - sum_y p(y) H(T | Y=y) = H(T) + H(Y) - H(T,Y).

    Three ways to bin:
    - `bin_range=(low, high)`: edges `np.linspace(low, high, num_bins)` and
      `np.digitize` as in IDNNs: indices 0..num_bins, so the default 30 edges on
      [-1, 1] give 29 inner bins plus one bin below -1 and one for values >= 1
      (every ReLU value >= 1 lands in that one bin). Unlike IDNNs, values below
      `low` keep their own bin instead of wrapping around into the top one.
    - `bin_range="adaptive"`: `num_bins` equal bins between the layer's observed
      min and max (the max belongs to the last bin); a constant layer is one bin.
    - `bin_width=w`: index floor(a / w) (Saxe et al. use w = 0.07); then
      `num_bins` and `bin_range` are ignored.

    A single example, or a constant layer, gives (0, 0): one symbol has no entropy.
    `fit_estimate(x, y)` is the one call every estimator of the package answers: both
    sides binned by the same rule, I(X;Y) = H(X_b) + H(Y_b) - H(X_b, Y_b) in nats.
    NaN/inf activations, labels of another length than the activations, and
    num_bins < 1 or bin_width <= 0 raise ValueError.

    Args:
        num_bins: integer >= 1, edges (fixed range) or bins (adaptive).
        bin_range: (low, high) with low < high, or "adaptive".
        bin_width: None or a width > 0 for fixed-width bins.
        units: "bits" or "nats" for the returned values.

    Example:
    >>> from infodl.estimators.binning import BinningEstimator
    >>> estimator = BinningEstimator(num_bins=30, bin_range=(-1.0, 1.0))
    >>> hidden = np.tanh([[0.1, 2.0], [0.1, 3.0], [1.5, 0.0], [-0.5, 0.0]])  # 4 inputs
    >>> labels = np.array([0, 0, 1, 1])  # rows 0 and 1 share a symbol: H(T) = 1.5
    >>> [round(value, 6) for value in estimator.information(hidden, labels)]  # bits
    [1.5, 1.0]
    >>> estimator.information_per_layer([hidden, hidden[:, :1] * 0.0], labels)  # (2, 2)
    array([[1.5, 1. ],
           [0. , 0. ]])

    Reference: Shwartz-Ziv & Tishby 2017 (ravidziv/IDNNs), discussed in Zhao & Sun
    (P1) §1.2 and §3.4; fixed-width bins: Saxe et al. 2018, Sec. 2.
    """

    def __init__(self, num_bins=30, bin_range=(-1.0, 1.0), bin_width=None, units="bits"):
        self.num_bins = checks.check_integer(num_bins, "num_bins")
        if isinstance(bin_range, str):
            if bin_range != "adaptive":
                raise ValueError("Expected bin_range to be a (low, high) tuple or "
                                 f"'adaptive'. Received: bin_range={bin_range!r}")
        else:
            try:
                low, high = (float(value) for value in bin_range)
            except (TypeError, ValueError):
                raise ValueError("Expected bin_range to be a (low, high) tuple or "
                                 f"'adaptive'. Received: bin_range={bin_range!r}") from None
            if not (np.isfinite(low) and np.isfinite(high) and low < high):
                raise ValueError("Expected bin_range=(low, high) with finite low < high. "
                                 f"Received: bin_range={bin_range!r}")
            bin_range = (low, high)
        self.bin_range = bin_range
        self.bin_width = checks.check_positive(bin_width, "bin_width", allow_none=True)
        self.units = _checks.check_units(units)

    def get_config(self):
        """Returns the constructor arguments."""
        return {"num_bins": self.num_bins, "bin_range": self.bin_range,
                "bin_width": self.bin_width, "units": self.units}

    def bin_indices(self, activations):
        """Non-negative bin index of every unit: (N, ...) -> (N, D) small unsigned ints.

        Indices equal np.digitize's for a fixed range; fixed-width indices
        floor(a / w) are shifted by their minimum over the layer.
        """
        values = _checks.check_activations(activations)
        return self._packed_indices(values)[:, :values.shape[1]]

    def entropy(self, activations):
        """H(T) of the binned layer (= I(X;T)) in `units`."""
        values = _checks.check_activations(activations)
        counts = np.bincount(_row_symbols(self._packed_indices(values)))
        return _checks.to_units(_checks.entropy_from_counts(counts), self.units)

    def information(self, activations, labels):
        """Returns (I(X;T), I(T;Y)) in `units` for one layer.

        Args:
            activations: (N, ...) activations of one layer on N distinct inputs.
            labels: (N,) integer labels or (N, C) one-hot rows.

        Returns:
            A tuple of two floats (I(X;T), I(T;Y)), both >= 0.
        """
        values = _checks.check_activations(activations)
        label_ids, num_classes = _checks.check_labels(labels, values.shape[0])
        symbols = _row_symbols(self._packed_indices(values))
        h_t = _checks.entropy_from_counts(np.bincount(symbols))
        h_y = _checks.entropy_from_counts(np.bincount(label_ids))
        h_ty = _checks.entropy_from_counts(np.bincount(symbols * num_classes + label_ids))
        i_ty = max(0.0, h_t + h_y - h_ty)
        return _checks.to_units(h_t, self.units), _checks.to_units(i_ty, self.units)

    def information_per_layer(self, activations, labels):
        """Returns an (L, 2) array of (I(X;T), I(T;Y)) for a list of L layers."""
        layers = _checks.check_layer_list(activations)
        return np.array([self.information(layer, labels) for layer in layers],
                        dtype=np.float64).reshape(len(layers), 2)

    def fit_estimate(self, x, y):
        """Plug-in I(X;Y) in nats of x and y each binned by this estimator's rule (each
        row of bin indices one symbol), as an `Estimate` (whatever `units`):

            I = H(X_b) + H(Y_b) - H(X_b, Y_b)   (empirical frequencies over the N pairs).

        Not `trusted` when the pairs occupy more than N / 2 joint bins: with fewer than
        two samples per occupied bin the plug-in value measures the binning (it tends
        to H(X_b) -> log N), not the dependence.
        """
        x, y = _checks.check_activations(x, "x"), _checks.check_activations(y, "y")
        if len(x) != len(y):
            raise ValueError("Expected x and y with the same number of samples. "
                             f"Received: len(x)={len(x)}, len(y)={len(y)}")
        symbols_x = _row_symbols(self._packed_indices(x))
        symbols_y = _row_symbols(self._packed_indices(y))
        joint = np.bincount(symbols_x * (int(symbols_y.max()) + 1) + symbols_y)
        entropy = _checks.entropy_from_counts
        value = max(0.0, entropy(np.bincount(symbols_x)) + entropy(np.bincount(symbols_y))
                    - entropy(joint))
        occupied = int(np.count_nonzero(joint))
        reason = (f"{occupied} occupied joint bins for {len(x)} pairs (fewer than 2 "
                  "samples per bin: the plug-in value measures the binning)"
                  if occupied > len(x) / 2 else "")
        return Estimate(value, reason=reason)

    def _packed_indices(self, values):
        """Bin indices in an (N, 8*W bytes) zero-padded array of the smallest uint type."""
        num_examples, num_units = values.shape
        if self.bin_width is not None:
            low = np.floor(float(values.min()) / self.bin_width)
            top = np.floor(float(values.max()) / self.bin_width) - low
            if not top < 2.0**62:
                raise ValueError(f"Expected bin_width large enough for < 2**62 bins over "
                                 f"the activations. Received: bin_width={self.bin_width}")
        elif self.bin_range == "adaptive":
            low, high = float(values.min()), float(values.max())
            edges = np.linspace(low, high, self.num_bins + 1)[1:-1] if high > low else ()
            edges = np.asarray(edges, dtype=np.float64)
            top = self.num_bins - 1
        else:
            edges = np.linspace(self.bin_range[0], self.bin_range[1], self.num_bins)
            top = self.num_bins
        dtype = np.min_scalar_type(int(top))
        units_per_word = 8 // dtype.itemsize
        padded_units = -(-num_units // units_per_word) * units_per_word
        packed = np.zeros((num_examples, padded_units), dtype=dtype)
        rows_per_block = max(1, _BLOCK_ENTRIES // num_units)
        for start in range(0, num_examples, rows_per_block):
            block = values[start:start + rows_per_block]
            if self.bin_width is not None:
                index = np.floor(block.astype(np.float64) / self.bin_width) - low
            elif edges.size == 0:
                index = 0
            else:
                index = _count_edges_at_or_below(block, edges)
            packed[start:start + rows_per_block, :num_units] = index
        return packed

"""Standardization of MINE's critic inputs: whitening, per-feature scaling, Gaussianizing.

Each side (s, or t) is mapped by an invertible map, so I(S; T) is unchanged, most by
x -> (x - mean) W (affine), after which the critic sees inputs with zero mean and

- "whiten": identity covariance, W = Sigma^(-1/2) (ZCA, symmetric; eigenvalues of
  Sigma floored at 1e-6 of the largest), for inputs up to 256 features;
- "scale": unit variance per feature, W = diag(1 / std) (a constant feature keeps 1),
  also used by "whiten" above 256 features (a d x d product per step would cost
  more than the critic's first layer);
- "global": one scale for every feature, W = I / s with s^2 their mean variance (rare
  large features, e.g. sparse ReLU units, are not blown up into outliers);
- "gaussianize": first each feature through a strictly increasing piecewise-linear
  map g_j that sends the training quantiles at levels (k + 1/2) / K to the standard
  normal's, Phi^-1((k + 1/2) / K), k = 0 .. K - 1 (K = 256; logarithmic beyond the
  end knots), then "whiten". g_j approximates Phi^-1 o F_j, so the critic sees
  nearly Gaussian marginals whatever their shape (heavy tails, skew); being strictly
  increasing, it is invertible and leaves I(S; T) unchanged;
- "auto" (MINE's default): g_j only for the features whose marginal a normality check
  rejects, the identity for the others, then "whiten". The check is the Shapiro-Francia
  statistic on the knots, 1 - r^2 with r the correlation of the K training quantiles
  with the normal's (0 for an exact normal): a feature is gaussianized when it exceeds
  max(AUTO_QQ_THRESHOLD, AUTO_QQ_NOISE / n) (about 1.2 / n for Gaussian samples of n,
  at most 3 / n in 60 draws; 0.015-0.7 for Student-t with <= 5 degrees of freedom,
  uniform, x^3, half-cube, asinh or wiggly marginals) and has at least
  AUTO_MIN_DISTINCT distinct values (discrete features, e.g. one-hot labels, stay
  affine). Gaussian inputs thus keep the exact affine map of "whiten";
- "none": no map.

Example:
    >>> from infodl.estimators.standardization import (gaussianize_features, gaussianized,
    ...     quantile_knots, standardized, standardizing_transform)
    >>> x = np.random.default_rng(0).exponential(size=(4000, 2)).astype("float32")
    >>> transform = standardizing_transform(x.astype("float64"), whiten=True)  # (d, d)
    >>> white = standardized(x, x.mean(axis=0), transform.astype("float32"))
    >>> bool(np.allclose(np.cov(np.asarray(white), rowvar=False), np.eye(2), atol=1e-3))
    True
    >>> knots = quantile_knots(x)                             # (256, d) float32
    >>> normal = np.asarray(gaussianized(x, knots))           # N(0, 1) marginals
    >>> bool(abs(normal.mean()) < 0.05 and abs(normal.std() - 1) < 0.05)
    True
    >>> gaussian = np.random.default_rng(1).standard_normal((4000, 1))
    >>> gaussianize_features(np.concatenate([x, gaussian], axis=1)).tolist()
    [True, True, False]

Reference: mutual information is invariant under invertible maps of each variable
(Cover & Thomas, Elements of Information Theory, section 8.6).
"""

import numpy as np
from keras import ops
from keras.backend import standardize_dtype
from scipy.special import ndtri

from infodl.choices import MINE_STANDARDIZATIONS

STANDARDIZE = MINE_STANDARDIZATIONS
WHITEN_MAX_DIM = 256
WHITEN_EIGENVALUE_FLOOR = 1e-6
GAUSSIANIZE_KNOTS = 256
# Beyond the end knots the map leaves them with the slope between the end knot and the
# knot this many knots further in (a wider span than one segment: a steadier slope).
TAIL_SPAN_KNOTS = 16
# `gaussianized` finds a value's segment among every SEARCH_BLOCK-th knot, then in its block.
SEARCH_BLOCK = 16
# Tied quantiles are pulled apart by this fraction of the feature's knot range.
KNOT_TIE_GAP = 1e-6
# "auto": gaussianize a feature when its Q-Q deficit 1 - r^2 exceeds
# max(AUTO_QQ_THRESHOLD, AUTO_QQ_NOISE / n) and it has AUTO_MIN_DISTINCT distinct values.
AUTO_QQ_THRESHOLD = 0.005
AUTO_QQ_NOISE = 5.0
AUTO_MIN_DISTINCT = 64


def whitens(mode, width):
    """Whether an input of `width` features gets a (d, d) whitening matrix."""
    return mode in ("whiten", "gaussianize", "auto") and width <= WHITEN_MAX_DIM


def qq_deficit(knots):
    """1 - r^2 per feature, r the correlation of its (K, d) quantile knots with
    `normal_knots(K)` (the Shapiro-Francia statistic on K quantiles; 0 for a normal)."""
    knots = np.asarray(knots, "float64")
    levels = normal_knots(len(knots))[:, None] - normal_knots(len(knots)).mean()
    centred = knots - knots.mean(axis=0)
    norms = np.sqrt((centred ** 2).sum(axis=0) * (levels ** 2).sum())
    r = (centred * levels).sum(axis=0) / np.where(norms > 0, norms, 1.0)
    return np.where(norms > 0, 1.0 - r ** 2, 0.0)


def gaussianize_features(values, knots=None):
    """"auto"'s choice per feature of (n, d) values: True where the marginal is far
    from normal (Q-Q deficit above max(AUTO_QQ_THRESHOLD, AUTO_QQ_NOISE / n)) and the
    feature has at least AUTO_MIN_DISTINCT distinct values; `knots` reuses the
    feature's `quantile_knots`."""
    values = np.asarray(values, "float64").reshape(len(values), -1)
    knots = quantile_knots(values) if knots is None else knots
    threshold = max(AUTO_QQ_THRESHOLD, AUTO_QQ_NOISE / max(len(values), 1))
    distinct = np.array([len(np.unique(column[:4 * AUTO_MIN_DISTINCT]))
                         for column in values.T])
    return (qq_deficit(knots) > threshold) & (distinct >= AUTO_MIN_DISTINCT)


def normal_knots(count=GAUSSIANIZE_KNOTS):
    """Phi^-1((k + 1/2) / count), k = 0 .. count - 1: where `gaussianized` sends the knots."""
    return ndtri((np.arange(count) + 0.5) / count)


def quantile_knots(values, count=GAUSSIANIZE_KNOTS):
    """(count, d) float32 training quantiles of each feature of (n, d) values, at the
    levels (k + 1/2) / count, made strictly increasing: a knot equal to the one before
    (ties: a ReLU's zeros, discrete values) is placed KNOT_TIE_GAP of the feature's
    knot range above it (1 for a constant feature), and knots that meet in float32
    are moved to the next float32.
    """
    values = np.asarray(values, "float64").reshape(len(values), -1)
    knots = np.quantile(values, (np.arange(count) + 0.5) / count, axis=0)
    spread = knots[-1] - knots[0]
    gap = KNOT_TIE_GAP * np.where(spread > 0, spread, np.maximum(np.abs(knots[0]), 1.0))
    steps = np.where(np.diff(knots, axis=0) > 0, np.diff(knots, axis=0), gap)
    knots = np.concatenate([knots[:1], knots[0] + np.cumsum(steps, axis=0)]).astype("float32")
    for k in range(1, count):
        knots[k] = np.maximum(knots[k], np.nextafter(knots[k - 1], np.float32(np.inf)))
    return knots


def gaussianized(values, knots):
    """Each feature j of (n, d) values through the piecewise-linear map that sends
    knots[:, j] to `normal_knots` (strictly increasing knots, e.g. `quantile_knots`).

    Inside the knots: linear interpolation (the segment found by counting the knots at
    or below each value, every SEARCH_BLOCK-th knot, then those of its block). Beyond them:
    level_end +- log(1 + slope |x - knot_end|), which leaves the end knot with the slope
    from it to the knot TAIL_SPAN_KNOTS further in (their distance floored at 1e-3 of
    the knot range) and grows only logarithmically, so heavy-tailed outliers stay near
    the normal's range. Strictly increasing, so invertible.
    """
    count = knots.shape[0]
    level_values = normal_knots(count).astype(standardize_dtype(values.dtype))
    levels = ops.convert_to_tensor(level_values)
    knot_at = _knot_lookup(knots)
    segment = ops.minimum(_last_knot_at_or_below(values, knot_at, count), count - 2)
    left, right = knot_at(segment), knot_at(segment + 1)
    level = ops.take(levels, segment)
    mapped = level + (values - left) * (ops.take(levels, segment + 1) - level) / (right - left)
    # The tails' constants: the levels as NumPy scalars of the values' dtype (the same
    # rounding as tensor arithmetic, no ops), the four end knots in one gather.
    span = min(TAIL_SPAN_KNOTS, count - 1)
    first, inner_low, inner_high, last = ops.unstack(
        ops.take(knots, [0, span, count - 1 - span, count - 1], axis=0))
    floor = 1e-3 * (last - first)
    low_slope = (level_values[span] - level_values[0]) / ops.maximum(inner_low - first, floor)
    high_slope = (level_values[-1] - level_values[-1 - span]) / ops.maximum(
        last - inner_high, floor)
    below = level_values[0] - ops.log1p(ops.maximum(first - values, 0.0) * low_slope)
    above = level_values[-1] + ops.log1p(ops.maximum(values - last, 0.0) * high_slope)
    mapped = ops.where(values < first, below, mapped)
    return ops.where(values > last, above, mapped)


def standardizing_transform(values, whiten, noise_variance=0.0, pooled=False):
    """Sigma^(-1/2) of the samples (whiten) or 1 / std per feature (std 0 -> 1).

    With `noise_variance` sigma^2 > 0 the transform is that of values + eps, eps ~
    N(0, sigma^2 I) independent of them: Sigma + sigma^2 I, or std = sqrt(var + sigma^2).
    `pooled` (not whiten): one std for every feature, the root of their mean variance.
    """
    if not whiten:
        variance = values.var(axis=0) + noise_variance
        if pooled:
            variance = np.full_like(variance, variance.mean())
        std = np.sqrt(variance)
        return 1.0 / np.where(std > 0, std, 1.0)
    covariance = np.atleast_2d(np.cov(values, rowvar=False))
    covariance = covariance + noise_variance * np.eye(len(covariance))
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    largest = max(float(eigenvalues[-1]), 0.0)
    if largest == 0.0:  # every feature constant
        return np.eye(len(covariance))
    floored = np.maximum(eigenvalues, WHITEN_EIGENVALUE_FLOOR * largest)
    return (eigenvectors / np.sqrt(floored)) @ eigenvectors.T


def standardized(values, shift, transform):
    """(values - shift) W: a matrix product for a (d, d) transform, else a scaling."""
    centered = values - shift
    if len(transform.shape) == 2:
        return ops.matmul(centered, transform)
    return centered * transform


def _knot_lookup(knots):
    """index (n, ...) -> knots[index[..., j], j], as one gather from the flattened knots
    (a plain 1-D gather: take_along_axis was ~25x slower with TensorFlow on CPU)."""
    width = knots.shape[1]
    flat = ops.reshape(knots, (-1,))
    columns = ops.arange(width, dtype="int32")
    return lambda index: ops.take(flat, index * width + columns)


def _last_knot_at_or_below(values, knot_at, count):
    """Per value, the largest k with knots[k, j] <= value (0 when every knot is above,
    or for NaN), exact in the values' own units: the count of knots at or below it,
    minus one. Counted in two levels of SEARCH_BLOCK knots (every SEARCH_BLOCK-th knot,
    then the knots of the block found), a dozen ops where a binary search took eight
    rounds of seven: the map's graph is traced and run eagerly in every fit, where the
    number of ops, not their size, sets the time."""
    block = min(SEARCH_BLOCK, count)
    starts = ops.arange(0, count, block, dtype="int32")  # (B,) first knot of each block
    coarse = _count_at_or_below(values, knot_at(starts[:, None, None]))  # (n, d)
    first = ops.maximum(coarse - 1, 0) * block
    offsets = ops.arange(block, dtype="int32")[:, None, None]  # (block, 1, 1)
    fine = _count_at_or_below(values, knot_at(ops.minimum(first + offsets, count - 1)),
                              limit=None if count % block == 0 else count - first)
    return ops.maximum(first + fine - 1, 0)


def _count_at_or_below(values, knots, limit=None):
    """How many of the (m, n, d) or (m, 1, d) knots are at or below each of the (n, d)
    values; `limit` (n, d): only the first `limit` of the m count (the last block,
    cut short, repeats the last knot)."""
    at_or_below = ops.expand_dims(values, 0) >= knots
    if limit is not None:
        position = ops.arange(knots.shape[0], dtype="int32")[:, None, None]
        at_or_below = ops.logical_and(at_or_below, position < limit)
    return ops.sum(ops.cast(at_or_below, "int32"), axis=0)

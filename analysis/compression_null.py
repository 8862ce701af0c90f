"""A null for compression: how large peak-minus-final I(X;T) gets from estimator noise alone.

The compression of one run, compression = max_e I(X;T)[e] - I(X;T)[e_E] over the logged
epochs e_0 < ... < e_E, is >= 0 by construction, so noise in the estimates alone makes it
positive. The null hypothesis tested here is "I(X;T) never falls": the estimates are
I[e] = mu[e] + n[e] with a non-decreasing true trajectory mu and estimator noise n
independent across epochs. Then

    compression = max_e (mu[e] + n[e]) - mu[E] - n[E] <= max_e n[e] - n[E],

with equality for a flat mu, the least favourable trajectory of the null: its
compression is distributed as max_e n[e] - n[E] over the E + 1 logged epochs. On a flat
trajectory every epoch is the final one, so the noise n is taken from the final epoch:
the centred values of the estimator on B bootstrap resamples (with replacement) of the
inputs it was computed on. For S seeds the null of the mean compression is the mean of S
independent draws, each with its own seed's noise; the observed mean stands above the
null when it exceeds the null's 95th percentile. The same draws give each seed's own
95th percentile, against which each seed's compression is counted.

A time-shuffled trajectory is not used: a trajectory that only rises has a large
compression once its epochs are permuted (its low early values land at the end), so
that null measures the range of the trajectory, not its noise, and tests "no temporal
order" rather than "no fall".

Reference: Saxe et al. 2018, Fig. 1 and Appendix B (compression read off the information
plane); Efron & Tibshirani 1993, "An Introduction to the Bootstrap", ch. 6 (bootstrap
standard errors); P1 §3.4.
"""

import numpy as np

from infodl.estimators.binning import BinningEstimator
from infodl.estimators.kde import KDEEstimator

_TOLERANCE_BITS = 1e-9  # compression at or below this is rounding, never "above the null"


def input_information_bits(estimator, activations):
    """I(X;T) alone, in the estimator's units: H(T) - H(T|X) from `estimator.entropy`.

    H(T|X) is the entropy of a single example (0 for binning, d/2 log(2 pi e sigma^2)
    for the KDE), so this costs one `entropy` of the layer, about half of
    `estimator.information`, which also estimates I(T;Y).

    Args:
        estimator: an estimator with `.entropy(activations)` (binning, KDE).
        activations: (N, units) activations of one layer.

    Returns:
        A float, equal to `estimator.information(activations, labels)[0]`.

    Example:
        >>> from infodl.analysis.compression_null import input_information_bits
        >>> from infodl.estimators.binning import BinningEstimator
        >>> activations = np.array([[-0.9], [-0.9], [0.5], [0.9]])  # 3 bins: 1/2, 1/4, 1/4
        >>> input_information_bits(BinningEstimator(30, (-1.0, 1.0)), activations)
        1.5
    """
    activations = np.asarray(activations)
    return float(estimator.entropy(activations) - estimator.entropy(activations[:1]))


def bootstrap_information(estimators, layers, num_resamples, seed):
    """I(X;T) of each layer on bootstrap resamples of its N inputs (the same for all layers).

    Resample b draws N indices uniformly with replacement; every layer is estimated on
    the same resampled inputs. A resample is the original inputs with multiplicities
    c_i, which fixed-range binning and the KDE use directly (one pass over the layer
    for all B resamples, equal to the estimator on the resampled rows): binning's plug-in
    entropy of the bins' counts weighted by c, and the KDE's
    log N - (1/N) sum_i c_i log sum_j c_j exp(-D_ij). Other estimators (adaptive
    binning, whose range depends on the resample) are run on each resample.

    Args:
        estimators: one estimator per layer (`input_information_bits`).
        layers: per layer, its (N, units) activations (the same N inputs).
        num_resamples: B >= 2.
        seed: seed of the resampling (`numpy.random.default_rng`).

    Returns:
        A (B, layers) float array of I(X;T) in the estimators' units.

    Example:
        >>> from infodl.analysis.compression_null import bootstrap_information
        >>> from infodl.estimators.binning import BinningEstimator
        >>> layers = [np.zeros((8, 2))]  # a constant layer: I(X;T) = 0 on every resample
        >>> bootstrap_information([BinningEstimator()], layers, 3, seed=0)
        array([[0.],
               [0.],
               [0.]])
    """
    if len(estimators) != len(layers):
        raise ValueError(f"Expected one estimator per layer. Received: {len(estimators)} "
                         f"estimators for {len(layers)} layers")
    if int(num_resamples) < 2:
        raise ValueError(f"Expected num_resamples >= 2. Received: num_resamples={num_resamples}")
    size = len(layers[0])
    rng = np.random.default_rng(seed)
    resamples = [rng.integers(0, size, size=size) for _ in range(int(num_resamples))]
    counts = np.stack([np.bincount(indices, minlength=size) for indices in resamples], 1)
    values = np.zeros((int(num_resamples), len(layers)))
    for k, (estimator, layer) in enumerate(zip(estimators, layers, strict=True)):
        layer = np.asarray(layer)
        weighted = _weighted_information_bits(estimator, layer, counts)
        values[:, k] = weighted if weighted is not None else [
            input_information_bits(estimator, layer[indices]) for indices in resamples]
    return values


def _weighted_information_bits(estimator, layer, counts):
    """I(X;T) in bits for each column of multiplicities `counts` (N, B), or None when the
    estimator has no weighted form here."""
    if getattr(estimator, "units", None) != "bits":
        return None
    size = counts.sum(axis=0)[0]
    if isinstance(estimator, BinningEstimator) and estimator.bin_width is None \
            and not isinstance(estimator.bin_range, str):
        _, symbols = np.unique(estimator.bin_indices(layer), axis=0, return_inverse=True)
        weights = np.zeros((symbols.max() + 1, counts.shape[1]))
        np.add.at(weights, symbols.reshape(-1), counts)
        p = weights / size
        return 0.0 - np.sum(np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0), axis=0)
    if isinstance(estimator, KDEEstimator):
        points = layer.reshape(len(layer), -1).astype(np.float64)
        points = points - points.mean(axis=0)
        norms = np.einsum("ij,ij->i", points, points)
        distances = np.maximum(norms[:, None] + norms[None, :] - 2.0 * points @ points.T, 0.0)
        np.fill_diagonal(distances, 0.0)
        divisor = 2.0 if estimator.bound == "upper" else 8.0
        sums = np.exp(-distances / (divisor * estimator.noise_variance)) @ counts
        logs = np.where(counts > 0, counts * np.log(np.maximum(sums, 1.0)), 0.0)
        nats = np.clip(np.log(size) - logs.sum(axis=0) / size, 0.0, np.log(size))
        return nats / np.log(2.0)
    return None


def null_compression_draws(bootstrap_values, num_epochs, num_draws, rng):
    """Draws of max_e n[e] - n[E] for a flat trajectory with the bootstrap's noise.

    Each draw takes num_epochs noise values independently (with replacement) from the
    centred bootstrap values v_b - mean(v), one per logged epoch, the last one being
    the final epoch's.

    Args:
        bootstrap_values: (B,) estimates of one layer on bootstrap resamples.
        num_epochs: E + 1, the number of logged epochs of the trajectory (>= 1).
        num_draws: R, the number of draws.
        rng: a `numpy.random.Generator`; it draws one (R, E + 1) array of indices.

    Returns:
        An (R,) array, each >= 0.
    """
    values = np.asarray(bootstrap_values, dtype=np.float64)
    if values.ndim != 1 or values.size < 2:
        raise ValueError(f"Expected at least two bootstrap values of one layer. Received: "
                         f"shape {values.shape}")
    if int(num_epochs) < 1:
        raise ValueError(f"Expected num_epochs >= 1. Received: num_epochs={num_epochs}")
    noise = (values - values.mean())[rng.integers(0, values.size,
                                                  size=(int(num_draws), int(num_epochs)))]
    return noise.max(axis=1) - noise[:, -1]


def compression_against_null(compression_per_seed, bootstrap_per_seed, num_epochs,
                             num_draws=10000, seed=0, quantile=0.95):
    """The null of one layer's compression over seeds, and whether the observed stands above.

    For each seed s in order, R draws of its null (`null_compression_draws` with one
    generator `numpy.random.default_rng(seed)`); the null of the mean over seeds is the
    mean of the seeds' draws, draw by draw.

    Args:
        compression_per_seed: (S,) observed compression per seed (bits).
        bootstrap_per_seed: S arrays of the final-epoch estimate on bootstrap resamples.
        num_epochs: E + 1, the logged epochs per trajectory.
        num_draws: R.
        seed: the seed of the draws.
        quantile: the null quantile to stand above (0.95).

    Returns:
        {"null_quantile": q of the mean's null, "above_null": mean > q,
        "null_quantile_per_seed": [q_s], "above_null_per_seed": [c_s > q_s],
        "seeds_above_null": count, "bootstrap_std_per_seed": [std (ddof 1) of the
        bootstrap values], "quantile", "num_draws", "num_resamples_per_seed"}.

    Example:
        >>> from infodl.analysis.compression_null import compression_against_null
        >>> noise = [np.random.default_rng(s).normal(0.0, 0.01, 200) for s in range(3)]
        >>> result = compression_against_null([2.0, 1.5, 0.0], noise, num_epochs=21)
        >>> result["above_null"], result["seeds_above_null"]  # 1.17 bits vs ~0.03
        (True, 2)
    """
    observed = np.asarray(compression_per_seed, dtype=np.float64)
    if observed.ndim != 1 or len(bootstrap_per_seed) != observed.size or observed.size == 0:
        raise ValueError(f"Expected one bootstrap sample per seed. Received: "
                         f"{len(bootstrap_per_seed)} for {observed.size} seeds")
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"Expected 0 < quantile < 1. Received: quantile={quantile}")
    rng = np.random.default_rng(seed)
    draws = np.stack([null_compression_draws(values, num_epochs, num_draws, rng)
                      for values in bootstrap_per_seed])  # (S, R)
    per_seed = np.quantile(draws, quantile, axis=1)
    mean_null = float(np.quantile(draws.mean(axis=0), quantile))
    above_per_seed = observed > np.maximum(per_seed, _TOLERANCE_BITS)
    return {"null_quantile": mean_null,
            "above_null": bool(observed.mean() > max(mean_null, _TOLERANCE_BITS)),
            "null_quantile_per_seed": per_seed.tolist(),
            "above_null_per_seed": above_per_seed.tolist(),
            "seeds_above_null": int(above_per_seed.sum()),
            "bootstrap_std_per_seed": [float(np.std(v, ddof=1)) for v in bootstrap_per_seed],
            "quantile": float(quantile), "num_draws": int(num_draws),
            "num_resamples_per_seed": [int(np.size(v)) for v in bootstrap_per_seed]}

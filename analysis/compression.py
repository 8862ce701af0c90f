"""Compression in the information plane, measured: per layer, peak I(X;T) minus final I(X;T).

For one run with I(X;T_k) logged at epochs e_0 < ... < e_E (bits),

    compression_k = max_e I(X;T_k)[e] - I(X;T_k)[e_E]  (>= 0; 0 when I(X;T_k) only grows)

and the epoch of the peak argmax_e I(X;T_k)[e]. Over S seeds the table reports the
mean and the sample standard deviation (ddof = 1) of the per-seed values, not the
compression of the seed-averaged trajectory (which `layer_end_points` of that mean
also gives, as the experiment always did).

The estimators can be recomputed from the activations an information-plane run saved
(`InfoPlaneConfig(keep_activations=True)`), so one trained network gives every
estimator at the same epochs: `ESTIMATORS` below.

Reference: Saxe et al. 2018, Fig. 1 and Appendix B; Shwartz-Ziv & Tishby 2017; P1 §3.4.
"""

import os

import numpy as np
from tqdm.auto import tqdm

from infodl.analysis.information_plane_trajectory import InformationPlaneTrajectory
from infodl.analysis.seed_statistics import mean_and_std

# name -> description (the estimator columns of docs/compression.md).
ESTIMATORS = {
    "binning": "fixed range: 30 edges on [-1, 1] (IDNNs, Shwartz-Ziv & Tishby)",
    "binning_adaptive": "30 bins between the layer's min and max at that epoch",
    "binning_training_range": "100 bins between the layer's min and max over all logged "
                              "epochs (Saxe et al. Fig. 1B)",
    "kde": "KDE upper bound, noise variance 0.1 (Kolchinsky & Tracey; Saxe et al. App. B)",
}


def layer_end_points(trajectory):
    """Per layer: I(X;T) max and final, compression = max - final, epoch of the max,
    I(T;Y) max and final (bits) of one trajectory.

    The epoch of the max is the last logged epoch at which I(X;T) reaches its maximum:
    the final epoch when I(X;T) never falls, the end of a plateau before a fall.

    Args:
        trajectory: an `InformationPlaneTrajectory`.

    Returns:
        {layer name: {"I_XT_max", "I_XT_final", "compression_bits",
        "epoch_of_I_XT_max", "I_TY_max", "I_TY_final"}}.

    Example:
        >>> from infodl.analysis.compression import layer_end_points
        >>> from infodl.analysis.information_plane_trajectory import (
        ...     InformationPlaneTrajectory)
        >>> values = [[[5.0, 0.5]], [[7.0, 0.8]], [[6.0, 0.9]]]  # (epochs, layers, 2)
        >>> trajectory = InformationPlaneTrajectory([0, 10, 100], values, ["hidden_5"])
        >>> point = layer_end_points(trajectory)["hidden_5"]
        >>> point["compression_bits"], point["epoch_of_I_XT_max"]  # 7 - 6 bits, at epoch 10
        (1.0, 10)
    """
    points = {}
    for index, name in enumerate(trajectory.layer_names):
        i_xt, i_ty = trajectory.i_xt_bits[:, index], trajectory.i_ty_bits[:, index]
        points[name] = {"I_XT_max": float(i_xt.max()), "I_XT_final": float(i_xt[-1]),
                        "compression_bits": float(i_xt.max() - i_xt[-1]),
                        "epoch_of_I_XT_max": int(trajectory.epochs[_last_argmax(i_xt)]),
                        "I_TY_max": float(i_ty.max()), "I_TY_final": float(i_ty[-1])}
    return points


def _last_argmax(values):
    """Index of the last occurrence of the maximum (a plateau ends where it falls)."""
    return len(values) - 1 - int(np.argmax(values[::-1]))


def compression_over_seeds(trajectories, seeds=None):
    """Per layer, the per-seed compression and peak epoch, with their mean ± std.

    Args:
        trajectories: one `InformationPlaneTrajectory` per seed (same layers).
        seeds: the seeds' numbers for the record (default 0..S-1).

    Returns:
        {layer: {"seeds", "compression_bits_per_seed", "compression_bits_mean",
        "compression_bits_std" (ddof 1; None for one seed), "epoch_of_I_XT_max_per_seed",
        "epoch_of_I_XT_max_median", "I_XT_max_mean", "I_XT_max_std", "I_XT_final_mean",
        "I_XT_final_std", "I_TY_final_mean", "I_TY_final_std"}}.

    Example:
        >>> from infodl.analysis.compression import compression_over_seeds
        >>> from infodl.analysis.information_plane_trajectory import (
        ...     InformationPlaneTrajectory)
        >>> runs = [InformationPlaneTrajectory([0, 10], [[[4.0, 0.5]], [[4.0 - c, 0.9]]],
        ...                                    ["hidden_5"]) for c in (1.0, 2.0, 3.0)]
        >>> stats = compression_over_seeds(runs)  # compressions 1, 2, 3 bits
        >>> stats["hidden_5"]["compression_bits_mean"], stats["hidden_5"]["compression_bits_std"]
        (2.0, 1.0)
    """
    trajectories = list(trajectories)
    if not trajectories:
        raise ValueError("Expected at least one trajectory. Received: none")
    names = trajectories[0].layer_names
    if any(t.layer_names != names for t in trajectories):
        raise ValueError("Expected trajectories of the same layers. Received: "
                         f"{[t.layer_names for t in trajectories]}")
    seeds = list(range(len(trajectories))) if seeds is None else [int(s) for s in seeds]
    if len(seeds) != len(trajectories):
        raise ValueError(f"Expected one seed per trajectory. Received: {len(seeds)} seeds "
                         f"for {len(trajectories)} trajectories")
    per_seed = [layer_end_points(t) for t in trajectories]
    statistics = {}
    for name in names:
        column = {key: [points[name][key] for points in per_seed]
                  for key in per_seed[0][name]}
        record = {"seeds": seeds,
                  "compression_bits_per_seed": column["compression_bits"],
                  "epoch_of_I_XT_max_per_seed": column["epoch_of_I_XT_max"],
                  "epoch_of_I_XT_max_median": float(np.median(column["epoch_of_I_XT_max"]))}
        for key in ("compression_bits", "I_XT_max", "I_XT_final", "I_TY_final"):
            record[f"{key}_mean"], record[f"{key}_std"] = mean_and_std(column[key])
        statistics[name] = record
    return statistics


def load_activations(path):
    """The activations an `InformationPlaneLogger(keep_activations=True)` saved.

    Returns:
        (epochs (E,), [layer k: (E, N, units_k) array]).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Expected saved activations at {path!r} (a run with "
                                "keep_activations=True). Received: no such file")
    with np.load(path) as contents:
        count = sum(1 for key in contents.files if key.startswith("layer"))
        return contents["epochs"], [contents[f"layer{k}"] for k in range(count)]


def layer_estimators(name, layer_histories, num_bins=None, noise_variance=0.1):
    """One estimator per layer for the estimator `name` of `ESTIMATORS`.

    Args:
        name: a key of `ESTIMATORS`.
        layer_histories: per layer, its (E, N, units) activations over the logged
            epochs (only "binning_training_range" looks at them: its range).
        num_bins: edges (binning) or bins (adaptive, training range); None = 30, 30, 100.
        noise_variance: sigma^2 of the KDE.

    Returns:
        A list of estimators with `.information(activations, labels)` in bits.
    """
    from infodl.estimators.binning import BinningEstimator
    from infodl.estimators.kde import KDEEstimator

    if name not in ESTIMATORS:
        raise ValueError(f"Expected an estimator in {tuple(ESTIMATORS)}. "
                         f"Received: {name!r}")
    count = len(layer_histories)
    if name == "binning":
        return [BinningEstimator(num_bins=num_bins or 30, bin_range=(-1.0, 1.0))] * count
    if name == "binning_adaptive":
        return [BinningEstimator(num_bins=num_bins or 30, bin_range="adaptive")] * count
    if name == "kde":
        return [KDEEstimator(noise_variance=noise_variance, bound="upper")] * count
    estimators = []
    for history in layer_histories:
        low, high = float(np.min(history)), float(np.max(history))
        # num_bins + 1 edges from low to just above high: num_bins equal bins, the
        # maximum in the last; a layer constant over training is a single symbol
        estimators.append(_ConstantLayer() if not high > low else BinningEstimator(
            num_bins=(num_bins or 100) + 1, bin_range=(low, np.nextafter(high, np.inf))))
    return estimators


class _ConstantLayer:
    """A layer with one value over all of training: I(X;T) = I(T;Y) = H(T) = 0."""

    @staticmethod
    def information(activations, labels):
        return 0.0, 0.0

    @staticmethod
    def entropy(activations):
        return 0.0


def estimate_trajectory(activations_path, labels, name, layer_names, metadata=None,
                        num_bins=None, noise_variance=0.1, examples=None, verbose=0):
    """The information-plane trajectory of saved activations under one estimator.

    Args:
        activations_path: `*_activations.npz` of a run with keep_activations=True.
        labels: (N,) labels of the N inputs the activations were taken on.
        name: a key of `ESTIMATORS`.
        layer_names: the layers' names (from the run's trajectory file).
        metadata: dict stored with the trajectory (the estimator name is added).
        num_bins, noise_variance: see `layer_estimators`.
        examples: None (all N inputs) or the indices of the inputs to estimate on
            (e.g. a run's held-out split, as Saxe et al. did for the KDE).
        verbose: 1 shows a progress bar over epochs.

    Returns:
        An `InformationPlaneTrajectory` (bits) at the saved epochs.

    Example:
        >>> from infodl.analysis.compression import estimate_trajectory
        >>> hidden = np.tanh(np.random.default_rng(0).normal(size=(2, 8, 3)))  # (E, N, units)
        >>> np.savez("activations.npz", epochs=np.array([0, 10]), layer0=hidden)
        >>> labels = np.arange(8) % 2
        >>> trajectory = estimate_trajectory("activations.npz", labels, "binning", ["hidden_1"])
        >>> trajectory.information_bits[:, 0]  # 8 distinct symbols: I(X;T) = 3, I(T;Y) = 1
        array([[3., 1.],
               [3., 1.]])
    """
    epochs, layers = load_activations(activations_path)
    if len(layers) != len(layer_names):
        raise ValueError(f"Expected activations of {len(layer_names)} layers. Received: "
                         f"{len(layers)} in {activations_path!r}")
    labels = np.asarray(labels)
    if examples is not None:
        examples = np.asarray(examples, dtype=np.int64)
        layers, labels = [history[:, examples] for history in layers], labels[examples]
    estimators = layer_estimators(name, layers, num_bins, noise_variance)
    values = np.zeros((len(epochs), len(layers), 2))
    for row in tqdm(range(len(epochs)), disable=not verbose, unit="epoch", desc=name,
                    leave=False):
        for k, (estimator, history) in enumerate(zip(estimators, layers, strict=True)):
            values[row, k] = estimator.information(history[row], labels)
    return InformationPlaneTrajectory(epochs, values, layer_names,
                                      dict(metadata or {}, estimator=name))

"""Times BinningEstimator against a naive np.digitize + np.unique(axis=0) version.

Two workloads, measured side by side in one run (best of --repeats):
  1. the 12-bit task: 4096 examples, six layers of widths 10, 7, 5, 4, 3, 2
     (target: all six layers well under 50 ms);
  2. one wide layer: 60 000 x 512 float32 activations (target: under 1 s).
Both estimators must return the same numbers; the script checks it.

Usage: python -m benchmarks.binning_speed [--repeats 3]
"""

import argparse
import time

import numpy as np

from infodl.estimators.binning import BinningEstimator
from tests.estimators.binning_reference import reference_information


def naive_information(activations, labels, num_bins=30):
    """The obvious implementation: np.digitize, np.unique(axis=0), a loop over classes."""
    indices = np.digitize(activations.reshape(len(activations), -1), np.linspace(-1, 1, num_bins))
    return reference_information(indices, labels)


def best_time(function, repeats):
    """Returns (best wall time in seconds, last result)."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    estimator = BinningEstimator(num_bins=30, bin_range=(-1.0, 1.0))

    widths = (10, 7, 5, 4, 3, 2)
    layers = [np.tanh(rng.normal(scale=2.0, size=(4096, w))).astype(np.float32) for w in widths]
    labels = rng.integers(0, 2, 4096)
    fast, plane = best_time(lambda: estimator.information_per_layer(layers, labels), args.repeats)
    slow, naive = best_time(lambda: [naive_information(t, labels) for t in layers], args.repeats)
    assert np.allclose(plane, naive, atol=1e-12), (plane, naive)
    print(f"12-bit task, 4096 x {widths}, all 6 layers: BinningEstimator {1e3 * fast:8.2f} ms"
          f" | naive unique(axis=0) {1e3 * slow:8.2f} ms | ratio {slow / fast:5.1f}x")

    wide = np.tanh(rng.normal(scale=2.0, size=(60000, 512))).astype(np.float32)
    wide_labels = rng.integers(0, 10, 60000)
    fast, result = best_time(lambda: estimator.information(wide, wide_labels), args.repeats)
    slow, naive = best_time(lambda: naive_information(wide, wide_labels), 1)
    assert np.allclose(result, naive, atol=1e-12), (result, naive)
    print(f"one layer 60000 x 512 float32:              BinningEstimator {1e3 * fast:8.2f} ms"
          f" | naive unique(axis=0) {1e3 * slow:8.2f} ms | ratio {slow / fast:5.1f}x")
    print(f"(I(X;T), I(T;Y)) of the wide layer: ({result[0]:.4f}, {result[1]:.4f}) bits")


if __name__ == "__main__":
    main()

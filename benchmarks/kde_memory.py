"""Peak memory of KDEEstimator on N = 20 000 examples of width 100 (target: < 300 MB).

Each measurement runs in a fresh subprocess:
  - tracemalloc: peak of the Python/NumPy allocations made by `information()`;
  - getrusage: growth of the peak resident set size (ru_maxrss) during `information()`,
    which also sees BLAS buffers (measured without tracemalloc), and the whole
    process's peak RSS.
Both are printed next to the 8 * N^2 bytes (3.2 GB) a full float64 distance matrix takes.

Usage: python -m benchmarks.kde_memory [--num_examples 20000] [--width 100] [--chunk_size 2048]
"""

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import json, resource, sys, time, tracemalloc
import numpy as np
from infodl.estimators.kde import KDEEstimator

num_examples, width, chunk_size, mode = {num_examples}, {width}, {chunk_size}, {mode!r}
rng = np.random.default_rng(0)
activations = np.tanh(rng.normal(size=(num_examples, width)))
labels = rng.integers(0, 10, num_examples)
estimator = KDEEstimator(noise_variance=0.1, bound="upper", chunk_size=chunk_size)
estimator.information(activations[:64], labels[:64])  # warm up imports and BLAS
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
if mode == "tracemalloc":
    tracemalloc.start()
start = time.perf_counter()
result = estimator.information(activations, labels)
seconds = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1] if mode == "tracemalloc" else (
    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before)
total = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"peak_bytes": peak, "process_peak_bytes": total, "seconds": seconds,
                  "result": result}}))
"""


def measure(mode, args):
    """Runs one measurement in a subprocess and returns its JSON report."""
    code = CHILD.format(num_examples=args.num_examples, width=args.width,
                        chunk_size=args.chunk_size, mode=mode)
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                            text=True, cwd=ROOT).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num_examples", type=int, default=20000)
    parser.add_argument("--width", type=int, default=100)
    parser.add_argument("--chunk_size", type=int, default=2048)
    args = parser.parse_args()
    full_matrix = 8 * args.num_examples**2
    print(f"N = {args.num_examples}, width = {args.width}, chunk_size = {args.chunk_size}; "
          f"a full float64 N x N matrix: {full_matrix / 1e6:,.0f} MB")
    for mode in ("tracemalloc", "ru_maxrss"):
        report = measure(mode, args)
        i_xt, i_ty = report["result"]
        print(f"  {mode:11s} peak during information(): {report['peak_bytes'] / 1e6:8.1f} MB"
              f"  ({100 * report['peak_bytes'] / full_matrix:.1f} % of the full matrix)"
              f"  time {report['seconds']:6.1f} s"
              f"  (I(X;T), I(T;Y)) = ({i_xt:.4f}, {i_ty:.4f}) bits")
        if mode == "ru_maxrss":
            print(f"  whole process peak RSS (Python, NumPy, the {args.num_examples} x "
                  f"{args.width} float64 inputs and the estimate): "
                  f"{report['process_peak_bytes'] / 1e6:.1f} MB")


if __name__ == "__main__":
    main()

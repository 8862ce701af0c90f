"""AA-MINE on a trained net's wide layers: independent fits with each input map.

    python -m benchmarks.aa_mine_wide_layers --model runs/<ib run>/seed_0/model.keras \
        --data_dir <mnist.pkl.gz folder> [--layers hidden_1,hidden_2] [--modes whiten,gaussianize]
        [--examples 1000] [--steps 500] [--restarts 3] [--noise_variance 2.0]

For each layer and each `standardize` mode, `ArchitectureAwareMINE(...).fit_estimate(x,
steps, restarts)` on the first `--examples` MNIST test images (the settings of the IB
runs' error bars), and prints every restart's I(X; L + eps) in bits, their median and
range, and the wall time. The question it answers: do independent fits agree, or do
some collapse to large negative held-out values (a critic that overfits its training
pairs scores a few marginal pairs of the other half very high)?
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

import infodl.models  # noqa: F401  (registers the project's layers for loading)
from infodl.data import load_dataset
from infodl.estimators.aa_mine import ArchitectureAwareMINE


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a saved model.keras of the project")
    parser.add_argument("--data_dir", required=True, help="folder holding mnist.pkl.gz")
    parser.add_argument("--layers", default="hidden_1,hidden_2")
    parser.add_argument("--modes", default="whiten,gaussianize")
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--noise_variance", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    model = keras.models.load_model(args.model)
    images = load_dataset("mnist", data_dir=args.data_dir).x_test[:args.examples]
    images = images.astype("float32")
    print(f"{args.model}: {len(images)} test images, {args.steps} steps, "
          f"{args.restarts} restarts, sigma^2 = {args.noise_variance}, seed {args.seed}")
    print(f"{'layer':<10} {'standardize':<12} {'I(X; L+eps) per restart (bits)':<34} "
          f"{'median':>7} {'range':>8} {'time_s':>7}")
    for layer in args.layers.split(","):
        for mode in args.modes.split(","):
            started = time.perf_counter()
            estimator = ArchitectureAwareMINE(model, layer=layer,
                                              noise_variance=args.noise_variance,
                                              seed=args.seed, standardize=mode)
            estimator.fit_estimate(images, steps=args.steps, restarts=args.restarts, verbose=0)
            bits = np.asarray(estimator.last_fit.values) / np.log(2)
            shown = " ".join(f"{value:.2f}" for value in bits)
            print(f"{layer:<10} {mode:<12} {shown:<34} {np.median(bits):>7.2f} "
                  f"{np.ptp(bits):>8.2f} {time.perf_counter() - started:>7.0f}", flush=True)


if __name__ == "__main__":
    main()

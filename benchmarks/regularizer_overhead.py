"""Training throughput of ResNet-32 with the information regularizer vs without, side by side.

    python -m benchmarks.regularizer_overhead [--pairs 60] [--batch_size 128]

Both models train on the same synthetic CIFAR-shaped batches. Their training steps
alternate one by one (ABBA order) and each step is timed, so that the two steps of a
pair see the same machine load: on a shared machine, load changes over seconds, much
slower than a step. The regularized model runs α1 (proximal, every 30 steps) and α2.
Prints the median step time of each model as images/s and the median over pairs of the
throughput ratio regularized / plain (target: the regularizer costs at most 3 %, i.e.
ratio >= 0.97), with its interquartile range.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras

from benchmarks.abba import SteppedTrainer, compare, ratio_line, synthetic_batches
from infodl.callbacks.proximal_l1 import ProximalL1
from infodl.models.resnet import build_resnet


def make_model(regularized):
    kwargs = dict(regularizer="info", alpha1=1e-5, alpha2=0.03) if regularized else dict(
        regularizer="none")
    model = build_resnet("resnet32", num_classes=10, **kwargs)
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=60, help="timed (plain, regularized) steps")
    parser.add_argument("--batch_size", type=int, default=128)
    args = parser.parse_args()
    trainers = {"plain": SteppedTrainer(make_model(False)),
                "regularized": SteppedTrainer(make_model(True), [ProximalL1()])}
    times = compare(trainers, synthetic_batches(args.batch_size), args.pairs)
    ratio = ratio_line(times, "regularized", "plain", args.batch_size, "regularized / plain")
    print(f"overhead {100 * (1 - ratio):+.1f} % (target <= 3 %)")


if __name__ == "__main__":
    main()

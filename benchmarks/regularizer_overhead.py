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
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

from models.resnet import build_resnet
from callbacks.proximal_l1 import ProximalL1


def make_model(regularized):
    kwargs = dict(regularizer="info", alpha1=1e-5, alpha2=0.03) if regularized else dict(
        regularizer="none")
    model = build_resnet("resnet32", num_classes=10, **kwargs)
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    return model


def make_batches(batch_size, count=4):
    rng = np.random.default_rng(0)
    return [({"image": rng.normal(size=(batch_size, 32, 32, 3)).astype("float32"),
              "label": labels}, labels)
            for labels in (rng.integers(0, 10, size=batch_size).astype("int32")
                           for _ in range(count))]


class Trainer:
    """One model stepping through the batches, its callbacks called as fit() would."""

    def __init__(self, model, callbacks):
        self.model, self.callbacks, self.step = model, callbacks, 0
        for callback in callbacks:
            callback.set_model(model)
        model.train_on_batch(*make_batches(8, 1)[0])  # build the optimizer state
        for callback in callbacks:
            callback.on_train_begin()

    def timed_step(self, batch):
        start = time.perf_counter()
        self.model.train_on_batch(*batch)
        for callback in self.callbacks:
            callback.on_train_batch_end(self.step)
        self.step += 1
        return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=60, help="timed (plain, regularized) steps")
    parser.add_argument("--batch_size", type=int, default=128)
    args = parser.parse_args()
    batches = make_batches(args.batch_size)
    trainers = {"plain": Trainer(make_model(False), []),
                "regularized": Trainer(make_model(True), [ProximalL1()])}
    for trainer in trainers.values():  # warm-up: tracing at the benchmark batch size
        for batch in batches[:2]:
            trainer.timed_step(batch)
    times = {name: [] for name in trainers}
    for pair in range(args.pairs):
        order = list(trainers) if pair % 2 == 0 else list(trainers)[::-1]
        for name in order:
            times[name].append(trainers[name].timed_step(batches[pair % len(batches)]))
    for name, step_times in times.items():
        print(f"{name:12s} {args.batch_size / statistics.median(step_times):8.1f} images/s "
              f"(median of {args.pairs} steps, batch {args.batch_size})")
    ratios = [p / r for p, r in zip(times["plain"], times["regularized"])]
    quartiles = statistics.quantiles(ratios, n=4)
    ratio = statistics.median(ratios)
    print(f"throughput ratio regularized / plain = {ratio:.3f}  (median of {args.pairs} "
          f"adjacent step pairs, interquartile {quartiles[0]:.3f}-{quartiles[2]:.3f}; "
          f"overhead {100 * (1 - ratio):+.1f} %, target <= 3 %)")


if __name__ == "__main__":
    main()

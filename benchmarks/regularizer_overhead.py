"""Training throughput of ResNet-32 with the information regularizer vs without, side by side.

    python benchmarks/regularizer_overhead.py [--steps 20] [--repeats 8] [--batch_size 128]

Both models train on the same synthetic CIFAR-shaped batches; timed chunks alternate
between them (ABBA) so that machine noise hits both alike. Prints images/s of each and
the median over adjacent pairs of the throughput ratio regularized / plain (target: the regularizer costs at most 3 %, ratio >= 0.97).
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from models.resnet import build_resnet  # noqa: E402
from training.proximal_l1 import ProximalL1  # noqa: E402


def make_model(regularized):
    kwargs = dict(regularizer="info", alpha1=1e-5, alpha2=0.03) if regularized else dict(
        regularizer="none")
    model = build_resnet("resnet32", num_classes=10, **kwargs)
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    return model


def make_dataset(batch_size):
    rng = np.random.default_rng(0)
    images = rng.normal(size=(8 * batch_size, 32, 32, 3)).astype("float32")
    labels = rng.integers(0, 10, size=8 * batch_size).astype("int32")
    ds = tf.data.Dataset.from_tensor_slices(({"image": images, "label": labels}, labels))
    return ds.batch(batch_size, drop_remainder=True).repeat().prefetch(2)


def timed_chunk(model, dataset, steps, callbacks):
    start = time.perf_counter()
    model.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=callbacks)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="steps per timed chunk")
    parser.add_argument("--repeats", type=int, default=8, help="timed chunks per model")
    parser.add_argument("--batch_size", type=int, default=128)
    args = parser.parse_args()
    dataset = make_dataset(args.batch_size)
    models = {"plain": (make_model(False), []),
              "regularized": (make_model(True), [ProximalL1("logits")])}
    for model, callbacks in models.values():  # warm-up: tracing and first steps
        timed_chunk(model, dataset, 3, callbacks)
    times = {name: [] for name in models}
    for repeat in range(args.repeats):
        # ABBA order: a load spike (this machine is shared) hits both models alike
        order = list(models) if repeat % 2 == 0 else list(models)[::-1]
        for name in order:
            model, callbacks = models[name]
            times[name].append(timed_chunk(model, dataset, args.steps, callbacks))
    images = args.steps * args.batch_size
    for name, chunk_times in times.items():
        print(f"{name:12s} {images / statistics.median(chunk_times):8.1f} images/s  (median of "
              f"{args.repeats} chunks of {args.steps} steps, batch {args.batch_size})")
    pair_ratios = sorted(p / r for p, r in zip(times["plain"], times["regularized"]))
    ratio = statistics.median(pair_ratios)
    print(f"throughput ratio regularized / plain = {ratio:.3f}  (median of {args.repeats} "
          f"adjacent pairs, range {pair_ratios[0]:.3f}-{pair_ratios[-1]:.3f}; "
          f"overhead {100 * (1 - ratio):+.1f} %; target <= 3 %)")

if __name__ == "__main__":
    main()

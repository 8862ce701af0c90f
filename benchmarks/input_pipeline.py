"""Throughput of the CIFAR training pipeline: parallel (AUTOTUNE) vs sequential map.

Measured side by side in one run, on CIFAR-shaped synthetic images (32×32×3):
  1. `make_train_pipeline` (pad 2, random crop, flip, standardization; AUTOTUNE map
     and prefetch), batch 128;
  2. the same per-image work with a sequential map and no prefetch.
Prints images/s of both and their ratio, plus how many ResNet-32 steps per second
the pipeline could feed (batch 128). The pipeline only has to keep ahead of the
model: on 2 CPU cores ResNet-32 runs a few steps/s, far below what either delivers.

Usage: python -m benchmarks.input_pipeline [--batches 60] [--repeats 3]
"""

import argparse
import os
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf

from infodl.data import load_dataset, make_train_pipeline
from infodl.data.cifar_input import pad_crop_flip, standardize_image

BATCH_SIZE = 128


def sequential_pipeline(images, labels, seed=0):
    """The same augmentation without parallel map or prefetch (the baseline)."""
    def preprocess(index, example):
        image, label = example
        element_seed = tf.stack([tf.constant(seed, tf.int64), index])
        image = pad_crop_flip(tf.cast(image, tf.float32), 2, element_seed)
        return standardize_image(image), label

    dataset = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int32)))
    dataset = dataset.shuffle(len(images), seed=seed).repeat().enumerate()
    return dataset.map(preprocess).batch(BATCH_SIZE, drop_remainder=True)


def images_per_second(dataset, batches, repeats):
    """Best rate over `repeats` runs of `batches` batches (one warm-up batch first)."""
    best = 0.0
    for _ in range(repeats):
        iterator = iter(dataset)
        next(iterator)
        start = time.perf_counter()
        for _ in range(batches):
            next(iterator)
        best = max(best, batches * BATCH_SIZE / (time.perf_counter() - start))
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = load_dataset("synthetic", synthetic_sizes=(5120, 10))
    parallel = make_train_pipeline(data.x_train, data.y_train, BATCH_SIZE, seed=0)
    sequential = sequential_pipeline(data.x_train, data.y_train)
    rate_sequential = images_per_second(sequential, args.batches, args.repeats)
    rate_parallel = images_per_second(parallel, args.batches, args.repeats)
    print(f"CPU cores visible: {os.cpu_count()}")
    print(f"sequential map      : {rate_sequential:9.0f} images/s")
    print(f"make_train_pipeline : {rate_parallel:9.0f} images/s "
          f"({rate_parallel / BATCH_SIZE:.1f} batches of {BATCH_SIZE}/s)")
    print(f"ratio parallel / sequential: {rate_parallel / rate_sequential:.2f}")


if __name__ == "__main__":
    main()

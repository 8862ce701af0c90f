"""Side-by-side timing of two training setups: single steps alternated in ABBA order.

On a shared machine the load changes over seconds, much slower than one training step,
so two setups whose steps alternate one by one see the same load; the median over pairs
of their step-time ratio is a fair comparison where chunked `fit()` runs are not.
"""

import statistics
import time

import numpy as np


def synthetic_batches(batch_size, count=4, image_shape=(32, 32, 3), num_classes=10):
    """CIFAR-shaped random batches in the ResNet's input format."""
    rng = np.random.default_rng(0)
    batches = []
    for _ in range(count):
        labels = rng.integers(0, num_classes, size=batch_size).astype("int32")
        images = rng.normal(size=(batch_size, *image_shape)).astype("float32")
        batches.append(({"image": images, "label": labels}, labels))
    return batches


class SteppedTrainer:
    """One model stepping through batches, its callbacks called as fit() would."""

    def __init__(self, model, callbacks=()):
        self.model, self.callbacks, self.step = model, list(callbacks), 0
        for callback in self.callbacks:
            callback.set_model(model)
        model.train_on_batch(*synthetic_batches(8, 1)[0])  # build the optimizer state
        for callback in self.callbacks:
            callback.on_train_begin()

    def timed_step(self, batch):
        start = time.perf_counter()
        self.model.train_on_batch(*batch)
        for callback in self.callbacks:
            callback.on_train_batch_end(self.step)
        self.step += 1
        return time.perf_counter() - start


def compare(trainers, batches, pairs, warmup=2):
    """Step times {name: [seconds]} of two trainers alternated ABBA over `pairs` pairs."""
    for trainer in trainers.values():  # tracing at the benchmark batch size
        for batch in batches[:warmup]:
            trainer.timed_step(batch)
    times = {name: [] for name in trainers}
    for pair in range(pairs):
        order = list(trainers) if pair % 2 == 0 else list(trainers)[::-1]
        for name in order:
            times[name].append(trainers[name].timed_step(batches[pair % len(batches)]))
    return times


def ratio_line(times, numerator, denominator, batch_size, label):
    """Prints images/s of each and the median pair ratio of throughputs; returns it."""
    for name, step_times in times.items():
        print(f"{name:16s} {batch_size / statistics.median(step_times):8.1f} images/s "
              f"(median of {len(step_times)} steps, batch {batch_size})")
    ratios = [d / n for n, d in zip(times[numerator], times[denominator], strict=True)]
    quartiles = statistics.quantiles(ratios, n=4)
    ratio = statistics.median(ratios)
    print(f"throughput ratio {label} = {ratio:.3f}  (median of {len(ratios)} adjacent step "
          f"pairs, interquartile {quartiles[0]:.3f}-{quartiles[2]:.3f})")
    return ratio

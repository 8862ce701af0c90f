"""Overhead of InformationPlaneLogger on the 12-bit experiment (target: <= 20 %).

The 12-10-7-5-4-3-2 tanh net is trained with the experiment's trainer
(InMemoryEpochTrainer, Adam 4e-4, batch 512, 3277 training inputs) twice per
repeat, side by side in one process: without the callback, then with the callback
at the default schedule (log-spaced epochs, binning on all 4096 inputs, TensorBoard
scalars, trajectory file, figure as PNG and TensorBoard image). Reported:

    overhead = (time with logger - time without) / time without

(medians over --repeats); since the machine may be shared, the time spent inside
the logger's hooks is also clocked directly (hook time / time without logger).
Also printed: the time of one measurement, epochs/s of the compiled trainer, and
epochs/s of plain `model.fit` on the same net for comparison.

Usage: python -m benchmarks.info_plane_overhead [--epochs 8000] [--repeats 1]
"""

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

from infodl.callbacks.information_plane import InformationPlaneLogger
from infodl.data.twelve_bit import generate_twelve_bit_task, train_test_split_indices
from infodl.estimators.binning import BinningEstimator
from infodl.models.mlp import build_mlp
from infodl.training.in_memory_epoch_trainer import InMemoryEpochTrainer


class TimedLogger(InformationPlaneLogger):
    """InformationPlaneLogger that adds up the wall time spent in its hooks."""

    hook_seconds = 0.0

    def _timed(self, hook, *args):
        start = time.perf_counter()
        hook(*args)
        self.hook_seconds += time.perf_counter() - start

    def on_train_begin(self, logs=None):
        self._timed(super().on_train_begin, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._timed(super().on_epoch_end, epoch, logs)

    def on_train_end(self, logs=None):
        self._timed(super().on_train_end, logs)


def train_once(inputs, labels, train, epochs, with_logger, num_log_points, folder):
    """Seconds to train one net (and the logger, or None)."""
    keras.utils.set_random_seed(0)
    model = build_mlp(12, seed=0)
    logger = None
    callbacks = []
    if with_logger:
        logger = TimedLogger(
            inputs, labels, BinningEstimator(num_bins=30), num_log_points=num_log_points,
            output_path=os.path.join(folder, "trajectory.npz"), log_dir=folder,
            figure_path=os.path.join(folder, "info_plane.png"),
            x_limit=(0, 12), y_limit=(0, 1), add_to_logs=False)
        callbacks = [logger]
    trainer = InMemoryEpochTrainer(model, keras.optimizers.Adam(4e-4), batch_size=512)
    start = time.perf_counter()
    trainer.fit(inputs[train], labels[train], epochs, callbacks=callbacks, verbose=0)
    return time.perf_counter() - start, logger


def fit_epochs_per_second(inputs, labels, train, epochs):
    """Epochs/s of plain model.fit (batch 512, shuffled), after a warm-up epoch."""
    model = build_mlp(12, seed=0)
    model.compile(keras.optimizers.Adam(4e-4), "sparse_categorical_crossentropy")
    model.fit(inputs[train], labels[train], batch_size=512, epochs=2, verbose=0)
    start = time.perf_counter()
    model.fit(inputs[train], labels[train], batch_size=512, epochs=epochs, verbose=0)
    return epochs / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--num_log_points", type=int, default=100)
    parser.add_argument("--fit_epochs", type=int, default=100)
    args = parser.parse_args()
    inputs, labels = generate_twelve_bit_task()
    train, _ = train_test_split_indices(len(labels), 0.8, seed=0)
    train_once(inputs, labels, train, 5, False, args.num_log_points, None)  # warm-up
    without, with_logger, measure_times, hook_times = [], [], [], []
    for _ in range(args.repeats):
        seconds, _ = train_once(inputs, labels, train, args.epochs, False, None, None)
        without.append(seconds)
        with tempfile.TemporaryDirectory() as folder:
            seconds, logger = train_once(inputs, labels, train, args.epochs, True,
                                         args.num_log_points, folder)
        with_logger.append(seconds)
        hook_times.append(logger.hook_seconds)
        start = time.perf_counter()
        for epoch in range(10):
            logger._measure(args.epochs + 1 + epoch)
        measure_times.append((time.perf_counter() - start) / 10)
    base, logged = float(np.median(without)), float(np.median(with_logger))
    num_logs = len(logger.scheduled_epochs(args.epochs))
    print(f"epochs: {args.epochs}, logged epochs (default schedule): {num_logs}")
    print(f"training without logger: {base:.2f} s ({args.epochs / base:.0f} epochs/s)")
    print(f"training with logger:    {logged:.2f} s")
    print(f"one measurement (forward + binning of 6 layers + TensorBoard): "
          f"{1000 * np.median(measure_times):.1f} ms")
    hooks = float(np.median(hook_times))
    print(f"time inside the logger's hooks: {hooks:.2f} s")
    print(f"overhead ratio, difference of wall times: {(logged - base) / base:.3f}; "
          f"hook time / training time: {hooks / base:.3f} (target <= 0.20)")
    fit_speed = fit_epochs_per_second(inputs, labels, train, args.fit_epochs)
    print(f"plain model.fit: {fit_speed:.1f} epochs/s; compiled trainer: "
          f"{args.epochs / base:.0f} epochs/s ({args.epochs / base / fit_speed:.1f}x)")


if __name__ == "__main__":
    main()

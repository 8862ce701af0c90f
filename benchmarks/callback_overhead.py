"""Wall-time ratio of ResNet-32 training with the three measurement callbacks vs without.

    python -m benchmarks.callback_overhead [--rounds 8] [--block_steps 10]
        [--direct_steps 0] [--direct_batch 32] [--direct_chunk 100]

The callbacks are the experiment's own (`experiments.resnet.callbacks.measurement_callbacks`)
at the defaults of `ResNetConfig`: block ratio every 100 steps, I(X;Ŷ)/I(Y;Ŷ) every
1000 steps on 2000 held-out images, classifier statistics every 500 steps on the
128-image probe, all writing TensorBoard summaries. Training is the experiment's
(batch 128, augmentation, SGD + lr schedule, NaN guard, proximal ℓ1, training
scalars). The synthetic set is drawn with 2000 test images so that the held-out
cost equals the CIFAR one.

Amortized measurement (default), in one `fit()` so that machine noise hits both
sides alike: blocks of `--block_steps` training steps alternate with one timed
measurement of each callback (after a warm-up call that traces it). Then

    overhead ratio = 1 + (Σ_i cost_i / interval_i + 3 · hook) / step_time,

with step_time the median per-step time, cost_i the median time of one measurement
(forward passes + reductions + TensorBoard writes + flush) and hook the cost of the
per-step `on_train_batch_begin` call on a step that is not due. The one-time cost
(tracing the probe functions / the predict function) is printed separately and
amortized over an 80k-step run.

Direct measurement (`--direct_steps N`, e.g. 1000): two identical models at batch
`--direct_batch` train N steps each in alternating chunks of `--direct_chunk` steps,
one with the three callbacks attached to `fit()` (default intervals, one-time tracing
done before timing); printed are the ratio of total wall times and, less sensitive to
machine noise, 1 + (time spent inside the callbacks' hooks) / (time without them). A smaller
batch makes
the callbacks' share larger (their cost does not depend on the batch size), so this
ratio is an upper bound of the batch-128 one.
"""

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras

from infodl.callbacks.nan_guard import NaNGuard
from infodl.callbacks.proximal_l1 import ProximalL1
from infodl.callbacks.training_scalars import TrainingScalars
from infodl.data import load_dataset, make_train_pipeline
from infodl.experiments.resnet.callbacks import measurement_callbacks
from infodl.experiments.resnet.config import ResNetConfig
from infodl.experiments.resnet.experiment import build_compiled_model, with_label_input

INTERVAL_FIELDS = {"BlockRatioLogger": "block_ratio_every",
                   "InformationConstraintLogger": "info_every",
                   "ClassifierStatsLogger": "classifier_stats_every"}
PAPER_RUN_STEPS = 80_000


def make_config(log_dir, batch_size):
    return ResNetConfig(model="resnet32", dataset="synthetic", alpha1=1e-5, alpha2=0.03,
                        batch_size=batch_size, log_dir=log_dir, verbose=0)


def training_callbacks(log_dir, config):
    """The experiment's always-on callbacks (both sides of the comparison get them)."""
    return [NaNGuard(), ProximalL1(),
            TrainingScalars(log_dir, every_n_steps=config.summary_every)]


def flush(callback):
    if callback._writer is not None:
        callback._writer.flush()


def timed_measurement(callback, step):
    start = time.perf_counter()
    callback.measure_now(step)
    flush(callback)
    return time.perf_counter() - start


def hook_seconds(callback, calls=20_000):
    """Seconds of one `on_train_batch_begin` on a step that is not due."""
    interval = callback.every_n_steps
    callback._last_step = callback._epoch_start_step = 10 * interval
    batches = [b for b in range(1, interval)] * (calls // max(interval - 1, 1) + 1)
    start = time.perf_counter()
    for batch in batches[:calls]:
        callback.on_train_batch_begin(batch)
    return (time.perf_counter() - start) / calls


class AlternatingTimer(keras.callbacks.Callback):
    """Times every training step; after each block of steps, times one measurement of
    each callback (the measurement time is excluded from the step times)."""

    def __init__(self, measured, block_steps):
        super().__init__()
        self.measured = measured
        self.block_steps = block_steps
        self.step_seconds = []
        self.costs = {type(c).__name__: [] for c in measured}
        self._previous = None

    def on_train_batch_begin(self, batch, logs=None):
        now = time.perf_counter()
        if self._previous is not None:
            self.step_seconds.append(now - self._previous)
        if batch > 0 and batch % self.block_steps == 0:
            step = int(self.model.optimizer.iterations.numpy())
            for callback in self.measured:
                self.costs[type(callback).__name__].append(timed_measurement(callback, step))
        self._previous = time.perf_counter()


class TimedHooks(keras.callbacks.Callback):
    """Forwards every hook a measurement callback uses and adds up the time spent in it."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.seconds = 0.0

    def set_model(self, model):
        super().set_model(model)
        self.inner.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        self.inner.set_params(params)

    def _timed(self, hook, *args):
        start = time.perf_counter()
        getattr(self.inner, hook)(*args)
        self.seconds += time.perf_counter() - start

    def on_train_begin(self, logs=None):
        self._timed("on_train_begin", logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._timed("on_train_batch_begin", batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._timed("on_epoch_end", epoch, logs)

    def on_train_end(self, logs=None):
        self._timed("on_train_end", logs)


def amortized(args, dataset, folder):
    config = make_config(os.path.join(folder, "amortized"), batch_size=128)
    model = build_compiled_model(config, dataset.num_classes, dataset.image_shape)
    train = make_train_pipeline(dataset.x_train, dataset.y_train, config.batch_size,
                                augment=True, pad=config.pad, seed=0).map(with_label_input)
    measured = measurement_callbacks(config, dataset)
    baseline = training_callbacks(config.log_dir, config)
    model.fit(train, steps_per_epoch=3, epochs=1, callbacks=baseline, verbose=0)  # trace
    one_time = {}
    for callback in measured:
        callback.set_model(model)
        one_time[type(callback).__name__] = timed_measurement(callback, 0)
    timer = AlternatingTimer(measured, args.block_steps)
    model.fit(train, steps_per_epoch=args.rounds * args.block_steps + 1, epochs=1,
              callbacks=baseline + [timer], verbose=0)
    step_time = statistics.median(timer.step_seconds)
    print(f"ResNet-32, batch {config.batch_size}, {len(timer.step_seconds)} timed steps in "
          f"{args.rounds} blocks of {args.block_steps} alternating with measurements")
    print(f"step time: median {step_time:.3f} s (min {min(timer.step_seconds):.3f}, "
          f"max {max(timer.step_seconds):.3f})")
    added = 0.0
    for callback in measured:
        name = type(callback).__name__
        interval = getattr(config, INTERVAL_FIELDS[name])
        cost = statistics.median(timer.costs[name])
        hook = hook_seconds(callback)
        share = (cost / interval + hook) / step_time
        added += share
        print(f"{name:28s} every {interval:5d} steps: one measurement {cost:.3f} s "
              f"(= {cost / step_time:.2f} steps; min {min(timer.costs[name]):.3f}, "
              f"n={len(timer.costs[name])}), per-step hook {1e6 * hook:.1f} us, "
              f"amortized {100 * share:.3f} % of a step; one-time tracing "
              f"{one_time[name]:.2f} s")
    tracing = sum(one_time.values()) / (PAPER_RUN_STEPS * step_time)
    print(f"one-time cost amortized over {PAPER_RUN_STEPS} steps: {100 * tracing:.4f} %")
    print(f"overhead ratio (amortized, steady state): {1 + added:.4f}")
    print(f"overhead ratio incl. one-time cost over {PAPER_RUN_STEPS} steps: "
          f"{1 + added + tracing:.4f} (target <= 1.05)")


def direct(args, dataset, folder):
    timings = {}
    models = {}
    for side in ("without", "with"):
        config = make_config(os.path.join(folder, f"direct_{side}"), args.direct_batch)
        keras.utils.set_random_seed(0)
        model = build_compiled_model(config, dataset.num_classes, dataset.image_shape)
        train = make_train_pipeline(dataset.x_train, dataset.y_train, config.batch_size,
                                    augment=True, pad=config.pad,
                                    seed=0).map(with_label_input)
        callbacks = training_callbacks(config.log_dir, config)
        measured = measurement_callbacks(config, dataset) if side == "with" else []
        # Warm-up: trace the training step (and each measurement on the "with" side).
        model.fit(train, steps_per_epoch=args.direct_chunk, epochs=1, callbacks=callbacks,
                  verbose=0)
        for callback in measured:
            callback.set_model(model)
            callback.measure_now(0)
        timed = [TimedHooks(callback) for callback in measured]
        models[side] = (model, train, callbacks + timed)
        timings[side] = []
    def train_chunk(side):
        model, train, callbacks = models[side]
        start = time.perf_counter()
        model.fit(train, steps_per_epoch=args.direct_chunk, epochs=1, callbacks=callbacks,
                  verbose=0)
        return time.perf_counter() - start

    # One untimed chunk per side once both models exist (the first chunk after the
    # other model's warm-up was ~3x slower in a trial run).
    train_chunk("without")
    train_chunk("with")
    timed = models["with"][2][-3:]
    earlier = {type(t.inner).__name__: len(t.inner.history) for t in timed}
    for hooked in timed:
        hooked.seconds = 0.0
    chunks = args.direct_steps // args.direct_chunk
    for chunk in range(chunks):
        order = ("without", "with") if chunk % 2 == 0 else ("with", "without")
        for side in order:
            timings[side].append(train_chunk(side))
    counts = {type(t.inner).__name__: len(t.inner.history) - earlier[type(t.inner).__name__]
              for t in timed}
    hooks = {type(t.inner).__name__: t.seconds for t in timed}
    without, with_callbacks = sum(timings["without"]), sum(timings["with"])
    pair_ratios = [w / o for w, o in zip(timings["with"], timings["without"], strict=True)]
    print(f"direct: ResNet-32, batch {args.direct_batch}, {chunks * args.direct_chunk} steps "
          f"per side in {chunks} alternating chunks (ABBA) of {args.direct_chunk}")
    print(f"measurements during the timed steps: {counts}")
    print("chunk seconds without: " + " ".join(f"{t:.1f}" for t in timings["without"]))
    print("chunk seconds with:    " + " ".join(f"{t:.1f}" for t in timings["with"]))
    print("seconds inside the callbacks' hooks: "
          + ", ".join(f"{name} {seconds:.1f}" for name, seconds in hooks.items()))
    print(f"without callbacks {without:.1f} s, with {with_callbacks:.1f} s; "
          f"direct overhead ratio {with_callbacks / without:.4f} "
          f"(median chunk ratio {statistics.median(pair_ratios):.4f}); "
          f"hook-time ratio 1 + {sum(hooks.values()):.1f} / {without:.1f} = "
          f"{1 + sum(hooks.values()) / without:.4f} (target <= 1.05)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--block_steps", type=int, default=10)
    parser.add_argument("--direct_steps", type=int, default=0)
    parser.add_argument("--direct_batch", type=int, default=32)
    parser.add_argument("--direct_chunk", type=int, default=100)
    parser.add_argument("--skip_amortized", action="store_true")
    args = parser.parse_args()
    defaults = ResNetConfig()
    dataset = load_dataset("synthetic", seed=0,
                           synthetic_sizes=(2560, defaults.info_examples))
    print(f"defaults: block_ratio_every={defaults.block_ratio_every}, "
          f"info_every={defaults.info_every}, "
          f"classifier_stats_every={defaults.classifier_stats_every}, "
          f"probe_size={defaults.probe_size}, info_examples={defaults.info_examples}; "
          f"cpu cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        if not args.skip_amortized:
            amortized(args, dataset, folder)
        if args.direct_steps:
            direct(args, dataset, folder)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

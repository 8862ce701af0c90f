"""Training and evaluation of the CIFAR ResNet family with the information regularizer (P2).

`run(ResNetConfig(...))` builds the network of tensorflow/models research/resnet (or
wenxinxu's ResNet-32, P1's), trains it with the original schedule, step checkpoints,
TensorBoard scalars and the measurement callbacks of P1/P2, evaluates on the test set
(every image, or the original 50 × 100 protocol) and writes `results.json`.

A run survives what long jobs meet: a rerun of the same command resumes from the
newest checkpoint (also after SIGKILL: the TensorBoard events and `metrics.jsonl`
points written after that checkpoint are dropped, so every curve has one point per
step); SIGINT/SIGTERM save a checkpoint at the current step and stop. It runs on one
device or under `tf.distribute` (`distribution_strategy`), in float32 or mixed precision.

Example:
    results = run(ResNetConfig(model="resnet32", alpha2=0.03, dataset="synthetic",
                               train_steps=200, log_dir="runs/smoke"))

Reference: P2 §4 and Tables 1-2; P1 §3.3.
"""

import contextlib
import pathlib
import tempfile

import keras
import tensorflow as tf

from infodl import stop_signals
from infodl.callbacks.information_constraint import InformationConstraintLogger
from infodl.data import load_dataset, make_eval_pipeline, make_train_pipeline
from infodl.experiments.fit_segments import fit_segments
from infodl.experiments.resnet.callbacks import METRICS_FILE, run_callbacks
from infodl.models.resnet import network_builder
from infodl.run_folder.atomic import write_json_atomic
from infodl.run_folder.checkpoints import latest_checkpoint, restore_checkpoint
from infodl.run_folder.epoch_log import truncate_epoch_log
from infodl.run_folder.event_files import read_scalars, truncate_events
from infodl.run_folder.run_directory import prepare_log_dir
from infodl.run_folder.summary_writer import SummaryWriter
from infodl.training.distribution import is_chief, make_strategy
from infodl.training.errors import TrainingDivergedError

RESULTS_FILE = "results.json"
# The original resnet_main.py: eval_batch_count=50 batches of 100 test images.
ORIGINAL_EVAL_BATCHES, ORIGINAL_EVAL_BATCH_SIZE = 50, 100


def with_label_input(image, label):
    """A (image, label) pair as the ResNet's inputs {"image", "label"} and target."""
    return {"image": image, "label": label}, label


def build_compiled_model(config, num_classes, image_shape, replicas=1):
    """The network of `config`, compiled with the recipe's optimizer and lr schedule.

    Call it inside the strategy's scope when distributed (`replicas` > 1 synchronizes
    the batch-norm statistics across replicas).
    """
    model = network_builder(config.model)(
        num_classes=num_classes, input_shape=image_shape,
        regularizer=config.regularizer, alpha1=config.alpha1, alpha2=config.alpha2,
        l1_method=config.l1_method, l1_every=config.l1_every,
        weight_decay=config.weight_decay, dropout_rate=config.dropout_rate,
        track_block_ratio=config.measurements and config.block_ratio_every > 0
        and config.block_ratio_source == "train_batch",
        synchronized_batch_norm=replicas > 1)
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay(
        list(config.lr_boundaries), list(config.lr_values))
    optimizer = keras.optimizers.SGD(
        schedule, momentum=config.momentum, nesterov=config.nesterov)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalCrossentropy(from_logits=True,
                                                             name="cross_entropy"),
                 keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    return model


def evaluation_sets(config, dataset, batch_size=None):
    """The test sets of the evaluation protocol: [(pipeline, number of images)].

    "full": the whole test set at every evaluation. "original": windows of
    50 × 100 images taken in turn (5 000 of CIFAR's 10 000 per evaluation).
    """
    x, y = dataset.x_test, dataset.y_test
    if config.eval_protocol == "full":
        pipeline = make_eval_pipeline(x, y, batch_size or config.eval_batch_size)
        return [(pipeline.map(with_label_input), len(y))]
    window = ORIGINAL_EVAL_BATCHES * ORIGINAL_EVAL_BATCH_SIZE
    starts = range(0, len(y) - window + 1, window) if len(y) >= window else [0]
    return [(make_eval_pipeline(x[s:s + window], y[s:s + window],
                                ORIGINAL_EVAL_BATCH_SIZE).map(with_label_input),
             len(y[s:s + window])) for s in starts]


def evaluate(model, dataset, batch_size):
    """Accuracy and cross-entropy on every test example."""
    pipeline = make_eval_pipeline(dataset.x_test, dataset.y_test, batch_size)
    scores = model.evaluate(pipeline.map(with_label_input), verbose=0, return_dict=True)
    scores["num_examples"] = int(len(dataset.y_test))
    return scores


@contextlib.contextmanager
def dtype_policy(name):
    """Keras' global dtype policy set to `name` for the duration of the block."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def resume_measurements(callbacks, model, records, log_dir, start_step):
    """Gives the I(X;Ŷ)−I(Y;Ŷ) logger of a run resumed at `start_step` its earlier points.

    Its running mean then averages the points an uninterrupted run has: the steps
    k · info_every ≤ start_step (a point the stopped run measured at its stop step,
    off that grid, is left out). Each value comes from `metrics.jsonl` (`records`,
    exact) when that step ended an epoch, else from the TensorBoard events, which
    store float32: such a point (always step 0) differs from the uninterrupted run's
    float64 value by < 1e-7 relative, and so may the running mean after the resume.
    The weights, the evaluations and results.json are bit-identical.
    """
    if not records:
        return
    exact = {r["step"]: r["info/constraint_nats"] for r in records
             if "info/constraint_nats" in r}
    stored = dict(read_scalars(log_dir).get("info/constraint_nats", []))
    for callback in callbacks:
        if isinstance(callback, InformationConstraintLogger) and callback.every_n_steps:
            steps = range(0, start_step + 1, callback.every_n_steps)
            callback.resume(model, [(k, {"info/constraint_nats": exact.get(k, stored.get(k))})
                                    for k in steps if k in exact or k in stored])


def _train(config, model, dataset, start_step, records, log_dir, chief, replicas):
    sets = evaluation_sets(config, dataset, config.eval_batch_size * replicas)
    run = run_callbacks(config, model, dataset, sets, records, log_dir, write_files=chief)
    resume_measurements(run.callbacks, model, records, log_dir, start_step)
    segment_start = start_step
    for steps_per_epoch, initial_epoch, epochs in fit_segments(
            start_step, config.train_steps, config.eval_every):
        # Every fit() call iterates its dataset afresh: each segment gets a pipeline
        # that starts at the segment's first step, so the batches continue the stream.
        train = make_train_pipeline(
            dataset.x_train, dataset.y_train, config.batch_size * replicas,
            augment=config.augment, pad=config.pad, seed=config.seed,
            start_batch=segment_start).map(with_label_input)
        segment_start += steps_per_epoch * (epochs - initial_epoch)
        try:
            model.fit(train, steps_per_epoch=steps_per_epoch, initial_epoch=initial_epoch,
                      epochs=epochs, callbacks=run.callbacks, shuffle=False,
                      verbose=2 if config.verbose == 2 else 0)
        except ValueError as error:  # a measurement of a diverged model: report that
            if not run.guard.explains(model, error):
                raise
        finally:
            run.stop.close()  # fit() skips on_train_end when a callback raises
        if run.guard.diverged_at_step is not None or run.stop.received is not None:
            break
    if run.guard.diverged_at_step is not None:
        kept = run.checkpoint.last_saved or latest_checkpoint(run.checkpoint.directory)
        raise TrainingDivergedError(
            f"training stopped: {run.guard.diverged} became NaN/inf at step "
            f"{run.guard.diverged_at_step}; "
            f"last good checkpoint: {kept or 'none'}")
    return run


def _resume(config, model, log_dir, chief):
    """Restores the newest checkpoint; drops the log points written after it.

    Every worker restores the run folder's checkpoint (a shared file system under
    multi-worker training); only the chief rewrites the run's logs.

    With `deterministic=True` a run stopped at any step S and resumed ends with the
    weights, optimizer state and results.json of the uninterrupted run, bit for bit:
    the checkpoint holds the weights, the SGD momenta, the iterations (so the lr
    schedule and the proximal-l1 interval continue) and the dropout SeedGenerator
    states; every `fit()` segment gets a pipeline starting at its own first step (a
    pure function of seed and step, `make_train_pipeline`); the I(X;Ŷ)−I(Y;Ŷ) logger
    gets its earlier points (`resume_measurements`); a stop off the evaluation grid is
    neither evaluated, measured nor written to metrics.jsonl. What differs, in the logs
    only: the training loss/accuracy logged at the next epoch end average only
    the batches after S (Keras resets its metric accumulators at every `fit()`); and
    the constraint's running mean may differ by < 1e-7 relative (step 0's point comes
    from float32 TensorBoard events).
    """
    run_dir = pathlib.Path(config.log_dir)
    checkpoint = latest_checkpoint(run_dir / "checkpoints")
    start_step = restore_checkpoint(model, checkpoint) if checkpoint is not None else 0
    if not chief:
        return start_step, []
    # Without a checkpoint (killed before its first) the run starts again at step 0 and
    # writes every point anew, step 0's included.
    keep_until = start_step if checkpoint is not None else -1
    truncate_events(log_dir, keep_until)
    return start_step, truncate_epoch_log(log_dir / METRICS_FILE, keep_until)


def run(config):
    """Runs the ResNet experiment of `config` (train, eval, or both) and returns its results.

    Train modes resume from the newest checkpoint in `<log_dir>/checkpoints` when the
    log folder holds a run of the same config; `mode="eval"` scores the newest checkpoint
    on the whole test set.

    Args:
        config: a `ResNetConfig`.

    Returns:
        A dict: final step, the evaluation protocol, the final and best test accuracy
        under it (`final_test_accuracy`, `best_test_accuracy`), and the accuracy and
        cross-entropy on every test image at the end (`test_accuracy`,
        `test_cross_entropy`).

    Raises:
        TrainingDivergedError: a NaN/inf loss (the last good checkpoint is kept).
        stop_signals.Interrupted: SIGINT/SIGTERM (a checkpoint of the current step is saved).
    """
    config.validate()
    strategy = make_strategy(config.distribution_strategy)  # first: multi-worker needs it
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(config.seed)
    chief = is_chief(strategy)
    dataset = load_dataset(config.dataset, data_dir=config.data_dir,
                           train_fraction=config.train_fraction, seed=config.seed,
                           allow_partial_files=config.allow_partial_files,
                           synthetic_sizes=config.synthetic_sizes)
    log_dir = pathlib.Path(config.log_dir if chief else tempfile.mkdtemp(prefix="worker-"))
    replicas = strategy.num_replicas_in_sync
    with dtype_policy(config.dtype_policy), strategy.scope():
        model = build_compiled_model(config, dataset.num_classes, dataset.image_shape,
                                     replicas)
        if config.mode == "eval":
            return _evaluate_newest(config, model, dataset, log_dir)
        if config.overwrite:
            SummaryWriter.close_log_dir(log_dir)
        status = prepare_log_dir(log_dir, config.to_dict(), overwrite=config.overwrite,
                                 resumable_keys=config.resumable_keys(),
                                 defaults=config.defaults())
        start_step, records = 0, []
        if status == "resume" or not chief:
            start_step, records = _resume(config, model, log_dir, chief)
        callbacks = None
        if start_step < config.train_steps:
            callbacks = _train(config, model, dataset, start_step, records, log_dir, chief,
                               replicas)
        results = _results(config, model, dataset, start_step, callbacks, log_dir)
    SummaryWriter.for_log_dir(log_dir).flush()
    if callbacks is not None and callbacks.stop.received is not None:
        raise stop_signals.Interrupted(
            f"stopped by {callbacks.stop.received.name} at step {results['step']}; "
            f"checkpoint {callbacks.checkpoint.last_saved} saved; rerun the same command "
            "to resume", signal_number=int(callbacks.stop.received))
    return results


def _evaluate_newest(config, model, dataset, log_dir):
    checkpoint = latest_checkpoint(log_dir / "checkpoints")
    if checkpoint is None:
        raise FileNotFoundError(f"no checkpoint to evaluate in {log_dir / 'checkpoints'}")
    step = restore_checkpoint(model, checkpoint)
    results = {"step": step, "checkpoint": str(checkpoint),
               **evaluate(model, dataset, config.eval_batch_size)}
    write_json_atomic(log_dir / "eval_results.json", results)
    return results


def _results(config, model, dataset, start_step, callbacks, log_dir):
    """results.json: the protocol's final and best accuracy, the full test set's at the end."""
    from infodl.run_folder.epoch_log import read_epoch_log

    records = read_epoch_log(log_dir / METRICS_FILE)
    accuracies = [r["val_accuracy"] for r in records if "val_accuracy" in r]
    step = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    results = {"step": step, "resumed_from": start_step, "train_steps": config.train_steps,
               "complete": step >= config.train_steps, "eval_protocol": config.eval_protocol,
               "evaluations": len(accuracies),
               "final_test_accuracy": accuracies[-1] if accuracies else None,
               "best_test_accuracy": max(accuracies) if accuracies else None}
    if config.mode == "train_and_eval":
        last = records[-1] if records else {}
        if (config.eval_protocol == "full" and last.get("step") == step
                and "val_accuracy" in last):  # the last evaluation was on this model
            scores = {"accuracy": last["val_accuracy"],
                      "cross_entropy": last["val_cross_entropy"],
                      "num_examples": int(last["val_num_examples"])}
        else:
            scores = evaluate(model, dataset, config.eval_batch_size)
        results.update(test_accuracy=scores["accuracy"],
                       test_cross_entropy=scores["cross_entropy"],
                       num_test_examples=scores["num_examples"])
    write_json_atomic(log_dir / RESULTS_FILE, results)
    return results


def summary(results):
    """The lines `run.py` prints at the end of a run."""
    lines = []
    if results.get("resumed_from") == results.get("step"):
        lines.append(f"the run was already complete at step {results['step']}; "
                     "nothing trained (pass a larger train_steps to continue it)")
    lines.append(" ".join(f"{key}={value}" for key, value in results.items()))
    return lines

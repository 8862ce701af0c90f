"""Training and evaluation of the CIFAR ResNet family with the information regularizer (P2).

`run(ResNetConfig(...))` builds the network of tensorflow/models research/resnet (or
wenxinxu's ResNet-32, P1's), trains it with the original schedule, step checkpoints,
TensorBoard scalars and the measurement callbacks of P1/P2, evaluates on the test set
(every image, or the original 50 × 100 protocol) and writes `results.json`.

Example:
    results = run(ResNetConfig(model="resnet32", alpha2=0.03, dataset="synthetic",
                               train_steps=200, log_dir="runs/smoke"))

Reference: P2 §4 and Tables 1-2; P1 §3.3; SPEC §1-5.
"""

import json
import math
import pathlib

import keras
import numpy as np
import tensorflow as tf

from callbacks.nan_guard import NaNGuard
from callbacks.periodic_evaluation import PeriodicEvaluation
from callbacks.proximal_l1 import ProximalL1
from callbacks.step_checkpoint import StepCheckpoint
from callbacks.step_progress import StepProgressBar
from callbacks.stop_at_step import StopAtStep
from callbacks.summary_writer import SummaryWriter
from callbacks.training_scalars import TrainingScalars
from data import load_dataset, make_eval_pipeline, make_train_pipeline
from models.resnet import build_network
from training.checkpoints import latest_checkpoint, restore_checkpoint
from training.errors import TrainingDivergedError
from training.run_directory import prepare_log_dir, write_json_atomic

RESULTS_FILE = "results.json"
# The original resnet_main.py: eval_batch_count=50 batches of 100 test images.
ORIGINAL_EVAL_BATCHES, ORIGINAL_EVAL_BATCH_SIZE = 50, 100


def with_label_input(image, label):
    """A (image, label) pair as the ResNet's inputs {"image", "label"} and target."""
    return {"image": image, "label": label}, label


def build_compiled_model(config, num_classes, image_shape):
    """The network of `config`, compiled with the recipe's optimizer and lr schedule."""
    model = build_network(
        config.model, num_classes=num_classes, input_shape=image_shape,
        regularizer=config.regularizer, alpha1=config.alpha1, alpha2=config.alpha2,
        l1_method=config.l1_method, l1_every=config.l1_every,
        weight_decay=config.weight_decay, dropout_rate=config.dropout_rate,
        track_block_ratio=config.measurements and config.block_ratio_every > 0
        and config.block_ratio_source == "train_batch")
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


def standardize_images(images):
    """Per-image standardization of a uint8 batch, as the evaluation pipeline does."""
    return tf.image.per_image_standardization(images.astype("float32")).numpy()


def evaluation_sets(config, dataset):
    """The test sets of the evaluation protocol: [(pipeline, number of images)].

    "full": the whole test set at every evaluation. "original": windows of
    50 × 100 images taken in turn (5 000 of CIFAR's 10 000 per evaluation).
    """
    x, y = dataset.x_test, dataset.y_test
    if config.eval_protocol == "full":
        pipeline = make_eval_pipeline(x, y, config.batch_size).map(with_label_input)
        return [(pipeline, len(y))]
    window = ORIGINAL_EVAL_BATCHES * ORIGINAL_EVAL_BATCH_SIZE
    starts = range(0, max(len(y) - window, 0) + 1, window) if len(y) >= window else [0]
    return [(make_eval_pipeline(x[s:s + window], y[s:s + window],
                                ORIGINAL_EVAL_BATCH_SIZE).map(with_label_input),
             len(y[s:s + window])) for s in starts]


def evaluate(model, dataset, batch_size):
    """Accuracy and cross-entropy on every test example."""
    pipeline = make_eval_pipeline(dataset.x_test, dataset.y_test, batch_size)
    scores = model.evaluate(pipeline.map(with_label_input), verbose=0, return_dict=True)
    scores["num_examples"] = int(len(dataset.y_test))
    return scores


def measurement_callbacks(config, dataset):
    """The measurement callbacks of P1/P2 that the config switches on."""
    from callbacks.block_ratio import BlockRatioLogger
    from callbacks.classifier_stats import ClassifierStatsLogger
    from callbacks.information_constraint import InformationConstraintLogger

    probe = standardize_images(dataset.x_test[:config.probe_size])
    callbacks = []
    if config.block_ratio_every:
        callbacks.append(BlockRatioLogger(
            None if config.block_ratio_source == "train_batch" else probe,
            every_n_steps=config.block_ratio_every, log_dir=config.log_dir,
            denominator=config.block_ratio_denominator, source=config.block_ratio_source))
    if config.info_every:
        callbacks.append(InformationConstraintLogger(
            standardize_images(dataset.x_test[:config.info_examples]),
            dataset.y_test[:config.info_examples], every_n_steps=config.info_every,
            log_dir=config.log_dir))
    if config.classifier_stats_every:
        callbacks.append(ClassifierStatsLogger(
            probe, every_n_steps=config.classifier_stats_every, log_dir=config.log_dir))
    return callbacks


def _has_residual_units(model):
    return any(getattr(layer, "use_shortcut", False) for layer in model.layers
               if hasattr(layer, "residual_parts"))


def _train(config, model, dataset, start_step, previous):
    train = make_train_pipeline(
        dataset.x_train, dataset.y_train, config.batch_size, augment=config.augment,
        pad=config.pad, seed=config.seed).map(with_label_input)
    guard = NaNGuard()
    checkpoint = StepCheckpoint(pathlib.Path(config.log_dir) / "checkpoints",
                                keep=config.keep_checkpoints)
    callbacks = [guard, StopAtStep(config.train_steps), ProximalL1()]
    if config.mode == "train_and_eval":
        sets = evaluation_sets(config, dataset)
        callbacks.insert(0, PeriodicEvaluation(
            [s for s, _ in sets], [n for _, n in sets],
            first_index=previous.get("evaluations", 0)))
    scalars = TrainingScalars(config.log_dir, every_n_steps=config.summary_every,
                              best_accuracy=previous.get("best_test_accuracy"),
                              test_tag_root=evaluation_tag_root(config))
    callbacks.append(scalars)
    if config.measurements:
        measured = measurement_callbacks(config, dataset)
        if not _has_residual_units(model):
            measured = [c for c in measured if type(c).__name__ != "BlockRatioLogger"]
        callbacks += measured
    if config.verbose == 1:
        callbacks.append(StepProgressBar(config.train_steps))
    callbacks.append(checkpoint)  # last: sees the logs of every other callback
    model.fit(train, steps_per_epoch=config.eval_every,
              initial_epoch=start_step // config.eval_every,
              epochs=math.ceil(config.train_steps / config.eval_every),
              callbacks=callbacks, shuffle=False,
              verbose=2 if config.verbose == 2 else 0)
    if guard.diverged_at_step is not None:
        kept = checkpoint.last_saved or latest_checkpoint(checkpoint.directory)
        raise TrainingDivergedError(
            f"training stopped: the loss became NaN/inf at step {guard.diverged_at_step}; "
            f"last good checkpoint: {kept or 'none'}")
    evaluations = callbacks[0] if isinstance(callbacks[0], PeriodicEvaluation) else None
    return scalars, evaluations


def evaluation_tag_root(config):
    """TensorBoard root of the test scalars: `test` (every image) or `test_original`."""
    return "test" if config.eval_protocol == "full" else "test_original"


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
    """
    config.validate()
    keras.utils.set_random_seed(config.seed)
    dataset = load_dataset(config.dataset, data_dir=config.data_dir,
                           train_fraction=config.train_fraction, seed=config.seed,
                           allow_partial_files=config.allow_partial_files,
                           synthetic_sizes=config.synthetic_sizes)
    log_dir = pathlib.Path(config.log_dir)
    results_path = log_dir / RESULTS_FILE
    if config.mode == "eval":
        checkpoint = latest_checkpoint(log_dir / "checkpoints")
        if checkpoint is None:
            raise FileNotFoundError(f"no checkpoint to evaluate in {log_dir / 'checkpoints'}")
        model = build_compiled_model(config, dataset.num_classes, dataset.image_shape)
        step = restore_checkpoint(model, checkpoint)
        results = {"step": step, "checkpoint": str(checkpoint),
                   **evaluate(model, dataset, config.batch_size)}
        write_json_atomic(log_dir / "eval_results.json", results)
        return results

    if config.overwrite:
        SummaryWriter.close_log_dir(log_dir)
    status = prepare_log_dir(log_dir, config.to_dict(), overwrite=config.overwrite,
                             resumable_keys=config.resumable_keys())
    model = build_compiled_model(config, dataset.num_classes, dataset.image_shape)
    start_step, previous = 0, {}
    if status == "resume":
        checkpoint = latest_checkpoint(log_dir / "checkpoints")
        if checkpoint is not None:
            start_step = restore_checkpoint(model, checkpoint)
        if results_path.exists():
            previous = json.loads(results_path.read_text())
    results = {key: previous.get(key) for key in
               ("final_test_accuracy", "best_test_accuracy", "evaluations")}
    if start_step < config.train_steps:
        scalars, evaluations = _train(config, model, dataset, start_step, previous)
        if evaluations is not None and evaluations.history:
            results["final_test_accuracy"] = evaluations.history[-1][1]["accuracy"]
            results["evaluations"] = evaluations.evaluations
        if np.isfinite(scalars.best_accuracy):
            results["best_test_accuracy"] = scalars.best_accuracy
    results.update(step=int(model.optimizer.iterations.numpy()), resumed_from=start_step,
                   eval_protocol=config.eval_protocol)
    if config.mode == "train_and_eval":
        scores = evaluate(model, dataset, config.batch_size)
        results.update(test_accuracy=scores["accuracy"],
                       test_cross_entropy=scores["cross_entropy"],
                       num_test_examples=scores["num_examples"])
        if config.eval_protocol == "full":
            results["final_test_accuracy"] = scores["accuracy"]
            best = results.get("best_test_accuracy")
            results["best_test_accuracy"] = max(scores["accuracy"], best or -1.0)
    write_json_atomic(results_path, results)
    SummaryWriter.for_log_dir(log_dir).flush()
    tf.summary.flush()
    return results


def summary(results):
    """The lines `run.py` prints at the end of a run."""
    lines = []
    if results.get("resumed_from") == results.get("step"):
        lines.append(f"the run was already complete at step {results['step']}; "
                     "nothing trained (pass a larger train_steps to continue it)")
    lines.append(" ".join(f"{key}={value}" for key, value in results.items()))
    return lines

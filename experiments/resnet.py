"""Training and evaluation of the CIFAR ResNet family with the information regularizer (P2)."""

import dataclasses
import json
import math
import pathlib

import keras
import numpy as np
import tensorflow as tf

from callbacks.training_scalars import TrainingScalars
from data import load_dataset, make_eval_pipeline, make_train_pipeline
from experiments.resnet_config import RESUMABLE_KEYS, ResNetConfig
from models.resnet import build_resnet
from training.checkpoints import StepCheckpoint, latest_checkpoint, restore_checkpoint
from training.nan_guard import NaNGuard
from training.proximal_l1 import ProximalL1
from training.run_directory import prepare_log_dir, write_json_atomic
from training.stop_at_step import StopAtStep

RESULTS_FILE = "results.json"


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite."""


def _with_label_input(image, label):
    return {"image": image, "label": label}, label


def build_compiled_model(config, num_classes, image_shape):
    """The ResNet of `config`, compiled with the original optimizer and lr schedule."""
    model = build_resnet(
        config.model, num_classes=num_classes, input_shape=image_shape,
        regularizer=config.regularizer, alpha1=config.alpha1, alpha2=config.alpha2,
        l1_method=config.l1_method, l1_every=config.l1_every,
        weight_decay=config.weight_decay)
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


def evaluate(model, dataset, batch_size):
    """Accuracy and cross-entropy on every test example (not the original 50 × 100 subset)."""
    pipeline = make_eval_pipeline(dataset.x_test, dataset.y_test, batch_size)
    pipeline = pipeline.map(_with_label_input)
    scores = model.evaluate(pipeline, verbose=0, return_dict=True)
    scores["num_examples"] = int(len(dataset.y_test))
    return scores


def _measurement_callbacks(config, model, dataset):
    """The measurement callbacks of P1/P2 that the config switches on."""
    from callbacks.block_ratio import BlockRatioLogger
    from callbacks.classifier_stats import ClassifierStatsLogger
    from callbacks.information_constraint import InformationConstraintLogger

    def standardize_images(images):
        return tf.image.per_image_standardization(images.astype("float32")).numpy()

    probe = standardize_images(dataset.x_test[:config.probe_size])
    probe_inputs = {"image": probe, "label": None}
    callbacks = []
    if config.block_ratio_every and any(
            getattr(u, "use_shortcut", False) for u in model.layers
            if hasattr(u, "residual_parts")):
        callbacks.append(BlockRatioLogger(
            probe_inputs, every_n_steps=config.block_ratio_every, log_dir=config.log_dir))
    if config.info_every:
        held_out = {"image": standardize_images(dataset.x_test[:config.info_examples]),
                    "label": None}
        callbacks.append(InformationConstraintLogger(
            held_out, dataset.y_test[:config.info_examples],
            every_n_steps=config.info_every, log_dir=config.log_dir))
    if config.classifier_stats_every:
        callbacks.append(ClassifierStatsLogger(
            probe_inputs, every_n_steps=config.classifier_stats_every,
            log_dir=config.log_dir))
    return callbacks


def _train(config, model, dataset, start_step, previous_results):
    train = make_train_pipeline(
        dataset.x_train, dataset.y_train, config.batch_size, augment=config.augment,
        pad=config.pad, seed=config.seed).map(_with_label_input)
    test = make_eval_pipeline(dataset.x_test, dataset.y_test,
                              config.batch_size).map(_with_label_input)
    guard = NaNGuard()
    checkpoint = StepCheckpoint(pathlib.Path(config.log_dir) / "checkpoints",
                                keep=config.keep_checkpoints)
    scalars = TrainingScalars(config.log_dir, every_n_steps=config.summary_every,
                              best_accuracy=previous_results.get("best_test_accuracy"))
    callbacks = [guard, StopAtStep(config.train_steps), ProximalL1("logits"), scalars]
    if config.measurements:
        callbacks += _measurement_callbacks(config, model, dataset)
    callbacks.append(checkpoint)  # last: sees the logs of every other callback
    with_eval = config.mode == "train_and_eval"
    history = model.fit(
        train, steps_per_epoch=config.eval_every,
        initial_epoch=start_step // config.eval_every,
        epochs=math.ceil(config.train_steps / config.eval_every),
        validation_data=test if with_eval else None, callbacks=callbacks, shuffle=False,
        verbose=config.verbose)
    if guard.diverged_at_step is not None:
        kept = checkpoint.last_saved or latest_checkpoint(checkpoint.directory)
        raise TrainingDivergedError(
            f"training stopped: the loss became NaN/inf at step {guard.diverged_at_step}; "
            f"last good checkpoint: {kept or 'none'}")
    return history, scalars.best_accuracy


def run(config):
    """Runs the ResNet experiment of `config` (train, eval, or both) and returns its results.

    Train modes resume from the newest checkpoint in `<log_dir>/checkpoints` when the
    log folder holds a run of the same config; `mode="eval"` scores the newest checkpoint
    on the whole test set.

    Args:
        config: a `ResNetConfig`.

    Returns:
        A dict with the final step, test accuracy / cross-entropy, best test accuracy.
    """
    config.validate()
    keras.utils.set_random_seed(config.seed)
    dataset = load_dataset(config.dataset, data_dir=config.data_dir,
                           train_fraction=config.train_fraction, seed=config.seed)
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

    status = prepare_log_dir(log_dir, dataclasses.asdict(config),
                             overwrite=config.overwrite, resumable_keys=RESUMABLE_KEYS)
    model = build_compiled_model(config, dataset.num_classes, dataset.image_shape)
    start_step, previous = 0, {}
    if status == "resume":
        checkpoint = latest_checkpoint(log_dir / "checkpoints")
        if checkpoint is not None:
            start_step = restore_checkpoint(model, checkpoint)
        if results_path.exists():
            previous = json.loads(results_path.read_text())
    best = previous.get("best_test_accuracy")
    if start_step < config.train_steps:
        _, best = _train(config, model, dataset, start_step, previous)
        best = None if not np.isfinite(best) else best
    results = {"step": int(model.optimizer.iterations.numpy()), "resumed_from": start_step,
               "best_test_accuracy": best}
    if config.mode == "train_and_eval":
        scores = evaluate(model, dataset, config.batch_size)
        results.update(test_accuracy=scores["accuracy"],
                       test_cross_entropy=scores["cross_entropy"])
        if best is None or scores["accuracy"] > best:
            results["best_test_accuracy"] = scores["accuracy"]
    write_json_atomic(results_path, results)
    tf.summary.flush()
    return results

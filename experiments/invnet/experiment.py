"""InvNet and RegInvNet on MNIST (P2 §4.2): alternating autoencoder / classifier training.

`run(InvNetConfig(...))` builds LeNet-300-100 F, its mirror D and the classifier w
(`infodl.models.invnet`), trains them with `infodl.training.alternating_trainer.AlternatingTrainer`
(one autoencoder step, one classifier step per batch), with P2's schedule (SGD lr 0.1
× 0.7 every 10 epochs, ℓ1 step every 30 iterations), epoch checkpoints, TensorBoard
scalars and the classifier statistics of the ResNet path, evaluates on the test set,
and (by default) runs the feature analysis of `infodl.analysis.feature_analysis` on the final
model into `<log_dir>/analysis`. Results go to `results.json`.

Example:
    results = run(InvNetConfig(regularizer="none", dataset="mnist",
                               data_dir="/path/to/mnist.pkl.gz", epochs=20))

Reference: P2 §4.2, Fig. 2, 3, 6, 8 and appendix E.
"""

import dataclasses
import pathlib
import time

import keras
import numpy as np
import tensorflow as tf

from infodl import stop_signals
from infodl.callbacks.classifier_stats import ClassifierStatsLogger
from infodl.callbacks.graceful_stop import GracefulStop
from infodl.callbacks.nan_guard import NaNGuard
from infodl.callbacks.periodic_evaluation import PeriodicEvaluation
from infodl.callbacks.proximal_l1 import ProximalL1
from infodl.callbacks.step_checkpoint import StepCheckpoint
from infodl.callbacks.step_progress import StepProgressBar
from infodl.callbacks.training_scalars import TrainingScalars
from infodl.data import load_dataset
from infodl.experiments.fit_segments import fit_segments
from infodl.models.invnet import FEATURE_LAYER, LOGITS_LAYER, build_invnet
from infodl.run_folder.atomic import read_json, write_json_atomic
from infodl.run_folder.checkpoints import latest_checkpoint, restore_checkpoint
from infodl.run_folder.event_files import truncate_events
from infodl.run_folder.run_directory import prepare_log_dir
from infodl.run_folder.summary_writer import SummaryWriter
from infodl.training.alternating_trainer import AlternatingTrainer
from infodl.training.errors import TrainingDivergedError

RESULTS_FILE = "results.json"
PREPROCESSING = "unit_interval"  # images / 255, as the feature analysis reads them
EVAL_BATCH_SIZE = 1000


class _InvNetScalars(TrainingScalars):
    """`TrainingScalars` plus the autoencoder's loss: `loss/reconstruction` and
    `test/reconstruction_loss` (per-image sum over pixels)."""

    def _write_train(self, logs):
        super()._write_train(logs)
        if "reconstruction_loss" in logs:
            self.writer.scalar("loss/reconstruction", logs["reconstruction_loss"], self.step)

    def on_epoch_end(self, epoch, logs=None):
        if logs and "val_reconstruction_loss" in logs:
            self.writer.scalar(f"{self.test_tag_root}/reconstruction_loss",
                               logs["val_reconstruction_loss"], self.step)
        super().on_epoch_end(epoch, logs)


@dataclasses.dataclass
class _TrainedParts:
    """The callbacks of one training call that the run reads afterwards."""
    scalars: _InvNetScalars
    checkpoint: StepCheckpoint
    stop: GracefulStop


def _to_unit_interval(images):
    """uint8 images → float32 in [0, 1] (NumPy), the input InvNet is trained on."""
    return np.asarray(images, np.float32) / 255.0


def _pipeline(images, labels, batch_size, seed=None, start_step=0):
    """(inputs {"image", "label"}, label) batches of images scaled to [0, 1].

    Without `seed`: one ordered pass (evaluation). With `seed`: an endless stream of
    epochs, epoch e visiting the examples in the order of a permutation drawn from
    (seed, e) alone, in batches of `batch_size` (the last batch of an epoch may be
    smaller); `start_step=S` starts at the S-th batch of that stream, so a run resumed
    at step S sees the batches the uninterrupted run would.
    """
    if seed is None:
        dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)
    else:
        images, labels = tf.constant(images), tf.constant(labels)
        num_examples = int(labels.shape[0])
        batches_per_epoch = -(-num_examples // batch_size)
        seed_tensor = tf.constant(seed, tf.int64)

        def epoch_batches(epoch):
            order = tf.random.experimental.stateless_shuffle(
                tf.range(num_examples, dtype=tf.int64), seed=tf.stack([seed_tensor, epoch]))
            return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

        first_epoch, first_batch = divmod(int(start_step), batches_per_epoch)
        dataset = (tf.data.Dataset.counter(first_epoch).flat_map(epoch_batches)
                   .skip(first_batch)  # batches of indices: the skip gathers no image
                   .map(lambda index: (tf.gather(images, index), tf.gather(labels, index))))
    dataset = dataset.map(
        lambda x, y: ({"image": tf.cast(x, tf.float32) / 255.0, "label": y}, y),
        num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def build_compiled_model(config, num_classes, image_shape, steps_per_epoch):
    """InvNet of `config`, compiled with two SGD optimizers on P2's staircase schedule."""
    inputs, outputs = build_invnet(
        num_classes=num_classes, input_shape=image_shape, hidden_sizes=config.hidden_sizes,
        activation=config.activation, regularizer=config.regularizer, alpha1=config.alpha1,
        alpha2=config.alpha2, l1_method=config.l1_method, l1_every=config.l1_every)
    model = AlternatingTrainer(inputs, outputs, name="invnet")

    def sgd():
        schedule = keras.optimizers.schedules.ExponentialDecay(
            config.learning_rate, decay_steps=config.lr_decay_epochs * steps_per_epoch,
            decay_rate=config.lr_decay, staircase=True)
        return keras.optimizers.SGD(schedule, momentum=config.momentum)

    model.compile(optimizer=sgd(), autoencoder_optimizer=sgd(),
                  reconstruction_loss=config.reconstruction_loss,
                  reconstruction_reduction=config.reconstruction_reduction)
    return model


def _steps_per_epoch(config, dataset):
    return -(-len(dataset.y_train) // config.batch_size)


def _train(config, model, dataset, start_step, previous):
    """fit() with P2's callbacks from `start_step`; returns the named callbacks and the
    seconds it took."""
    steps_per_epoch = _steps_per_epoch(config, dataset)
    train_steps = config.epochs * steps_per_epoch
    test = _pipeline(dataset.x_test, dataset.y_test, EVAL_BATCH_SIZE)
    guard = NaNGuard()
    scalars = _InvNetScalars(config.log_dir, every_n_steps=config.summary_every,
                             best_accuracy=previous.get("best_test_accuracy"))
    checkpoint = StepCheckpoint(pathlib.Path(config.log_dir) / "checkpoints",
                                keep=config.keep_checkpoints)
    stop = GracefulStop(checkpoint.save)

    def stopped_off_grid():  # that epoch end is neither evaluated nor measured again
        step = stop.saved_at_step
        return step is not None and step % steps_per_epoch != 0 and step < train_steps

    # the stop request's checkpoint after the proximal l1 step of the stop step
    callbacks = [PeriodicEvaluation([test], [len(dataset.y_test)], skip_if=stopped_off_grid),
                 guard, ProximalL1(threshold_scale=config.l1_threshold_scale), stop, scalars]
    if config.measurements and config.classifier_stats_every:
        probe = {"image": _to_unit_interval(dataset.x_test[:config.probe_size]), "label": None}
        stats = ClassifierStatsLogger(
            probe, every_n_steps=config.classifier_stats_every, feature_layer=FEATURE_LAYER,
            logits_layer=LOGITS_LAYER, log_dir=config.log_dir)
        stats.skip_final_if = stopped_off_grid
        callbacks.append(stats)
    if config.verbose == 1:
        callbacks.append(StepProgressBar(
            train_steps, keys=("loss", "cross_entropy", "accuracy", "reconstruction_loss")))
    callbacks.append(checkpoint)  # last: sees the logs of every other callback
    started = time.perf_counter()
    segment_start = start_step
    for segment_steps, initial_epoch, epochs in fit_segments(start_step, train_steps,
                                                             steps_per_epoch):
        train = _pipeline(dataset.x_train, dataset.y_train, config.batch_size,
                          seed=config.seed, start_step=segment_start)
        segment_start += segment_steps * (epochs - initial_epoch)
        try:
            model.fit(train, steps_per_epoch=segment_steps, initial_epoch=initial_epoch,
                      epochs=epochs, callbacks=callbacks, shuffle=False,
                      verbose=2 if config.verbose == 2 else 0)
        except ValueError as error:  # a measurement of a diverged model: report that
            if not guard.explains(model, error):
                raise
        finally:
            stop.close()  # fit() skips on_train_end when a callback raises
        if guard.diverged_at_step is not None or stop.received is not None:
            break
    seconds = time.perf_counter() - started
    if guard.diverged_at_step is not None:
        kept = checkpoint.last_saved or latest_checkpoint(checkpoint.directory)
        raise TrainingDivergedError(
            f"training stopped: {guard.diverged} became NaN/inf at step "
            f"{guard.diverged_at_step}; "
            f"last good checkpoint: {kept or 'none'}")
    return _TrainedParts(scalars, checkpoint, stop), seconds


def _previous_results(config):
    path = pathlib.Path(config.log_dir) / RESULTS_FILE
    way_out = "delete it to score the run again, or pass overwrite=True to start it again"
    return read_json(path, way_out) if path.exists() else {}


def run(config):
    """Trains InvNet / RegInvNet as `config` says (resuming a same-config run) and scores it.

    Args:
        config: an `InvNetConfig`.

    Returns:
        A dict: step, epochs, resumed_from, train_seconds (wall time of fit(), summed over
        resumed parts), test accuracy, cross-entropy and reconstruction loss, best test
        accuracy over the epoch evaluations, fraction of w exactly zero, and, with
        `analyze`, the headline numbers of the feature analysis (representative-entry
        ROC AUC, separation ratio, `analysis_dir`).

    Raises:
        TrainingDivergedError: a NaN/inf loss (the last good checkpoint is kept).
        stop_signals.Interrupted: SIGINT/SIGTERM; the step in progress ends (with its
            proximal l1 step), a checkpoint of it is saved and results.json keeps the
            time trained; the same config resumes there, on the batches the
            uninterrupted run would see.
    """
    config.validate()
    keras.utils.set_random_seed(config.seed)
    dataset = load_dataset(config.dataset, data_dir=config.data_dir,
                           train_fraction=config.train_fraction, seed=config.seed,
                           allow_partial_files=config.allow_partial_files)
    log_dir = pathlib.Path(config.log_dir)
    if config.overwrite:
        SummaryWriter.close_log_dir(log_dir)
    status = prepare_log_dir(log_dir, config.to_dict(), overwrite=config.overwrite,
                             resumable_keys=config.resumable_keys(),
                             defaults=config.defaults())
    steps_per_epoch = _steps_per_epoch(config, dataset)
    model = build_compiled_model(config, dataset.num_classes, dataset.image_shape,
                                 steps_per_epoch)
    start_step, previous = 0, _previous_results(config) if status == "resume" else {}
    if status == "resume":
        checkpoint = latest_checkpoint(log_dir / "checkpoints")
        if checkpoint is not None:
            start_step = restore_checkpoint(model, checkpoint)
        # the events written after the checkpoint (all, without one) are written again
        truncate_events(log_dir, start_step if checkpoint is not None else -1)
    results = {"best_test_accuracy": previous.get("best_test_accuracy"),
               "train_seconds": previous.get("train_seconds", 0.0)}
    if start_step < config.epochs * steps_per_epoch:
        trained, seconds = _train(config, model, dataset, start_step, previous)
        best = trained.scalars.best_accuracy
        results.update(best_test_accuracy=best if np.isfinite(best) else None,
                       train_seconds=round(results["train_seconds"] + seconds, 1))
        if trained.stop.received is not None:
            _stopped(log_dir, results, trained, model)
    scores = model.evaluate(_pipeline(dataset.x_test, dataset.y_test, EVAL_BATCH_SIZE),
                            verbose=0, return_dict=True)
    kernel = keras.ops.convert_to_numpy(model.get_layer(LOGITS_LAYER).kernel)
    results.update(
        step=int(model.optimizer.iterations.numpy()), resumed_from=start_step,
        epochs=config.epochs, steps_per_epoch=steps_per_epoch,
        test_accuracy=float(scores["accuracy"]),
        test_cross_entropy=float(scores["cross_entropy"]),
        test_reconstruction_loss=float(scores["reconstruction_loss"]),
        weight_zero_fraction=float(np.mean(kernel == 0.0)), preprocessing=PREPROCESSING)
    best = results.get("best_test_accuracy")
    results["best_test_accuracy"] = max(results["test_accuracy"], best or -1.0)
    if config.analyze:
        results.update(_analyze(config, model, dataset, results["step"]))
    write_json_atomic(log_dir / RESULTS_FILE, results)
    SummaryWriter.for_log_dir(log_dir).flush()
    return results


def _stopped(log_dir, results, trained, model):
    """After a stop request: the grid's best accuracy and the time trained so far go to
    results.json (a resumed run adds to them), then `stop_signals.Interrupted`."""
    step = int(model.optimizer.iterations.numpy())
    results.update(step=step, stopped_at_step=step)
    write_json_atomic(log_dir / RESULTS_FILE, results)
    SummaryWriter.for_log_dir(log_dir).flush()
    received = trained.stop.received
    raise stop_signals.Interrupted(
        f"stopped by {received.name} at step {step}; checkpoint "
        f"{trained.checkpoint.last_saved} saved; rerun the same command to resume",
        signal_number=int(received))


def _analyze(config, model, dataset, step):
    """The feature analysis of the final model into <log_dir>/analysis; headline numbers."""
    from infodl.analysis.feature_analysis import FeatureAnalysis
    from infodl.experiments.analyze.experiment import prepare_output_dir

    analysis = FeatureAnalysis(
        model, dataset, preprocessing=PREPROCESSING, feature_layer=FEATURE_LAYER,
        logits_layer=LOGITS_LAYER, tsne_examples=config.tsne_examples, seed=config.seed,
        verbose=config.verbose, title=_model_title(config))
    output_dir = pathlib.Path(config.log_dir) / "analysis"
    prepare_output_dir(output_dir, analysis.settings(), overwrite=True)  # the run's own
    report = analysis.run(output_dir, step=step)
    return {key: report[key] for key in ("micro_auc", "macro_auc", "separation_ratio",
                                         "analysis_dir") if key in report}


def _model_title(config):
    """'InvNet' or 'RegInvNet (α1=…, α2=…)': the name P2 gives the model."""
    if config.regularizer == "none" or (config.alpha1 == 0 and config.alpha2 == 0):
        return "InvNet"
    prefix = "RegInvNet" if config.regularizer == "info" else "InvNet, naive reg."
    return f"{prefix} (α1={config.alpha1:g}, α2={config.alpha2:g})"


def summary(results):
    """The lines `run.py` prints at the end of a run."""
    lines = []
    if results.get("resumed_from") == results.get("step"):
        lines.append(f"the run was already complete at step {results['step']}; nothing "
                     "trained (pass a larger epochs to continue it)")
    keys = ("step", "test_accuracy", "best_test_accuracy", "weight_zero_fraction",
            "micro_auc", "macro_auc", "separation_ratio", "train_seconds", "analysis_dir")
    lines.append(" ".join(f"{key}={results[key]}" for key in keys if key in results))
    return lines

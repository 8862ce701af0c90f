"""The callbacks of a ResNet run: training bookkeeping and the measurements of P1/P2."""

import dataclasses
import pathlib

from infodl.callbacks.block_ratio import BlockRatioLogger
from infodl.callbacks.classifier_stats import ClassifierStatsLogger
from infodl.callbacks.epoch_log import EpochLog
from infodl.callbacks.graceful_stop import GracefulStop
from infodl.callbacks.information_constraint import InformationConstraintLogger
from infodl.callbacks.nan_guard import NaNGuard
from infodl.callbacks.periodic_evaluation import PeriodicEvaluation
from infodl.callbacks.proximal_l1 import ProximalL1
from infodl.callbacks.step_checkpoint import StepCheckpoint
from infodl.callbacks.step_progress import StepProgressBar
from infodl.callbacks.stop_at_step import StopAtStep
from infodl.callbacks.training_scalars import TrainingScalars
from infodl.data.cifar_input import standardize_images
from infodl.models.model_probe import residual_units

METRICS_FILE = "metrics.jsonl"


def _evaluation_tag_root(config):
    """TensorBoard root of the test scalars: `test` (every image) or `test_original`."""
    return "test" if config.eval_protocol == "full" else "test_original"


def measurement_callbacks(config, dataset, log_dir=None):
    """The measurement callbacks of P1/P2 that the config switches on."""
    log_dir = config.log_dir if log_dir is None else log_dir
    probe = standardize_images(dataset.x_test[:config.probe_size])
    callbacks = []
    if config.block_ratio_every:
        callbacks.append(BlockRatioLogger(
            None if config.block_ratio_source == "train_batch" else probe,
            every_n_steps=config.block_ratio_every, log_dir=log_dir,
            denominator=config.block_ratio_denominator, source=config.block_ratio_source))
    if config.info_every:
        callbacks.append(InformationConstraintLogger(
            standardize_images(dataset.x_test[:config.info_examples]),
            dataset.y_test[:config.info_examples], every_n_steps=config.info_every,
            log_dir=log_dir))
    if config.classifier_stats_every:
        callbacks.append(ClassifierStatsLogger(
            probe, every_n_steps=config.classifier_stats_every, log_dir=log_dir))
    return callbacks


@dataclasses.dataclass
class _RunCallbacks:
    """The callbacks of one run, in the order `fit()` calls them, and the named ones."""
    callbacks: list
    guard: NaNGuard
    checkpoint: StepCheckpoint
    scalars: TrainingScalars
    stop: GracefulStop
    evaluation: PeriodicEvaluation = None


def _stopped_off_grid(stop, config):
    """True when a signal stopped the run between two evaluations (its checkpoint step is
    not a multiple of eval_every): that epoch end is neither evaluated nor written to
    metrics.jsonl, so a resumed run has the evaluations, the best accuracy and the
    metrics lines of an uninterrupted one."""
    step = stop.saved_at_step
    return step is not None and step % config.eval_every != 0 and step < config.train_steps


def run_callbacks(config, model, dataset, evaluation_sets, previous_records, log_dir,
                  write_files=True):
    """Builds the callbacks of a run resumed after `previous_records` (metrics.jsonl).

    Args:
        config: the `ResNetConfig`.
        model: the compiled model.
        dataset: the `Dataset`.
        evaluation_sets: [(pipeline, number of images)] of the evaluation protocol.
        previous_records: the epoch records of the run so far (resumed runs).
        log_dir: where this process writes (a temporary folder on multi-worker
            non-chief workers).
        write_files: False on non-chief workers (no progress bar either).
    """
    log_dir = pathlib.Path(log_dir)
    guard = NaNGuard()
    checkpoint = StepCheckpoint(log_dir / "checkpoints", keep=config.keep_checkpoints)
    stop = GracefulStop(checkpoint.save)
    accuracies = [r["val_accuracy"] for r in previous_records if "val_accuracy" in r]
    # the stop request's checkpoint after every callback that changes the weights (the
    # proximal l1 step of the stop step): the resumed run starts from the same state
    callbacks = [guard, StopAtStep(config.train_steps),
                 ProximalL1(threshold_scale=config.l1_threshold_scale), stop]
    evaluation = None
    if config.mode == "train_and_eval":
        evaluation = PeriodicEvaluation([s for s, _ in evaluation_sets],
                                        [n for _, n in evaluation_sets],
                                        first_index=len(accuracies),
                                        skip_if=lambda: _stopped_off_grid(stop, config))
        callbacks.insert(0, evaluation)
    scalars = TrainingScalars(log_dir, every_n_steps=config.summary_every,
                              best_accuracy=max(accuracies) if accuracies else None,
                              test_tag_root=_evaluation_tag_root(config))
    callbacks.append(scalars)
    if config.measurements:
        measured = measurement_callbacks(config, dataset, log_dir)
        has_units = any(getattr(u, "use_shortcut", False) for u in residual_units(model))
        measured = [c for c in measured if has_units or not isinstance(c, BlockRatioLogger)]
        for callback in measured:  # no extra point at a signal's stop step (a resume adds none)
            callback.skip_final_if = lambda: (stop.saved_at_step is not None
                                              and stop.saved_at_step < config.train_steps)
        callbacks += measured
    callbacks.append(EpochLog(log_dir / METRICS_FILE,
                              skip_if=lambda: _stopped_off_grid(stop, config)))
    if config.verbose == 1 and write_files:
        callbacks.append(StepProgressBar(config.train_steps))
    callbacks.append(checkpoint)  # last: sees the logs of every other callback
    return _RunCallbacks(callbacks, guard, checkpoint, scalars, stop, evaluation)

"""The information-plane experiment: the 12-bit task, 12-10-7-5-4-3-2, tanh vs ReLU.

`run(InfoPlaneConfig(...))` trains `num_seeds` networks (IDNNs defaults: Adam 4e-4,
batch 512, 80 % train split), logs (I(X;T_k), I(T_k;Y)) of every layer on all 4096
inputs at log-spaced epochs, averages the trajectories over seeds,
I_bar[e, k] = (1/S) sum_s I_s[e, k], and draws the information plane.
Output layout under `log_dir`: `seed_{s}/` (TensorBoard events, trajectory.npz,
info_plane.png, results.json, and with `keep_activations` trajectory_activations.npz),
`trajectory_mean.npz`, `trajectory_mean.csv`, `info_plane.png`, `results.json` (with
each layer's compression, peak minus final I(X;T), per seed and as mean ± std). A
rerun of the same config reuses the seeds already done (and trains the missing ones
when `num_seeds` grew); another config in the same folder is refused, as for the
ResNet runs.

Example:
    results = run(InfoPlaneConfig(activation="relu", estimator="binning_adaptive",
                                  epochs=3000, log_dir="runs/relu"))

Reference: Shwartz-Ziv & Tishby 2017; Saxe et al. 2018; P1 §1.2-1.3, §3.4.
"""

import os
import shutil
import time

import keras
import numpy as np

from infodl.analysis.compression import compression_over_seeds, layer_end_points
from infodl.analysis.figure_files import save_figure_png
from infodl.analysis.information_plane_plot import plot_information_plane
from infodl.analysis.information_plane_trajectory import InformationPlaneTrajectory
from infodl.callbacks.information_plane import InformationPlaneLogger
from infodl.data.twelve_bit import load_twelve_bit_task, train_test_split_indices
from infodl.experiments.info_plane.config import InfoPlaneConfig  # noqa: F401 (re-exported)
from infodl.models.mlp import build_mlp
from infodl.run_folder.atomic import read_json, write_json_atomic
from infodl.run_folder.run_directory import prepare_log_dir
from infodl.run_folder.summary_writer import SummaryWriter
from infodl.training.in_memory_epoch_trainer import InMemoryEpochTrainer
from infodl.training.langevin_sgd import LangevinSGD

SEED_RESULTS = "results.json"
ACTIVATIONS_FILE = "trajectory_activations.npz"  # written by the logger beside trajectory.npz


def _make_estimator(config, inputs=None):
    """The estimator named by `config.estimator` (MINE needs the inputs X)."""
    if config.estimator.startswith("binning"):
        from infodl.estimators.binning import BinningEstimator
        if config.estimator == "binning_width":
            return BinningEstimator(bin_width=config.bin_width)
        bin_range = "adaptive" if config.estimator == "binning_adaptive" else (-1.0, 1.0)
        return BinningEstimator(num_bins=config.num_bins, bin_range=bin_range)
    if config.estimator == "kde":
        from infodl.estimators.kde import KDEEstimator
        return KDEEstimator(noise_variance=config.noise_variance, bound=config.kde_bound)
    from infodl.estimators.layer_estimator import MINELayerEstimator
    return MINELayerEstimator(inputs, steps=config.mine_steps, seed=config.seed,
                              standardize=config.mine_standardize)


def _sigmoid_output_loss(labels, outputs):
    """Binary cross-entropy of sigmoid outputs against one-hot labels, mean over units.

        L = -(1/C) sum_c [1{y=c} log p_c + (1 - 1{y=c}) log(1 - p_c)]

    The loss of an output layer of C independent sigmoid units (Saxe et al. Fig. 1:
    two sigmoidal neurons); integer labels, so accuracy is still argmax_c p_c = y.
    """
    from keras import ops

    num_classes = ops.shape(outputs)[-1]
    one_hot = ops.one_hot(ops.cast(ops.reshape(labels, (-1,)), "int32"), num_classes)
    return keras.losses.binary_crossentropy(one_hot, outputs)


def _loss(config):
    return (_sigmoid_output_loss if config.output_activation == "sigmoid"
            else "sparse_categorical_crossentropy")


def _make_optimizer(config, seed):
    if config.optimizer == "adam":
        return keras.optimizers.Adam(config.learning_rate)
    return LangevinSGD(learning_rate=config.learning_rate,
                       noise_scale=config.langevin_noise_scale,
                       decay_steps=config.langevin_decay_steps, seed=seed)


def _axis_limits(config, labels):
    if config.estimator == "mine":
        return None, None
    return (0.0, float(np.log2(len(labels)))), (0.0, 1.0)


def _train_seed(config, seed, inputs, labels, seed_dir, axis_limits):
    """Trains one network and logs its trajectory into `seed_dir`; returns its record."""
    keras.utils.set_random_seed(seed)
    train, test = train_test_split_indices(len(labels), config.train_fraction, seed)
    model = build_mlp(inputs.shape[1], config.layer_sizes, config.activation,
                      config.last_activation, output_activation=config.output_activation,
                      seed=seed)
    x_limit, y_limit = axis_limits
    logger = InformationPlaneLogger(
        inputs, labels, _make_estimator(config, inputs),
        num_log_points=config.num_log_points,
        output_path=os.path.join(seed_dir, "trajectory.npz"), log_dir=seed_dir,
        figure_path=os.path.join(seed_dir, "info_plane.png"),
        x_limit=x_limit, y_limit=y_limit, add_to_logs=False,
        keep_activations=config.keep_activations, metadata=_metadata(config, seed))
    trainer = InMemoryEpochTrainer(model, _make_optimizer(config, seed), loss=_loss(config),
                                   batch_size=config.batch_size, seed=seed)
    start = time.perf_counter()
    history = trainer.fit(inputs[train], labels[train], config.epochs,
                          callbacks=[logger], validation_data=(inputs[test], labels[test]),
                          verbose=config.verbose)
    seconds = time.perf_counter() - start
    SummaryWriter.close_log_dir(seed_dir)
    record = {"seed": seed, "seconds": seconds, "epochs_per_second": config.epochs / seconds,
              "train_accuracy": history["accuracy"][-1],
              "test_accuracy": history["val_accuracy"][-1],
              "trajectory_path": os.path.join(seed_dir, "trajectory.npz")}
    if config.keep_activations:
        record["activations_path"] = os.path.join(seed_dir, ACTIVATIONS_FILE)
    write_json_atomic(os.path.join(seed_dir, SEED_RESULTS), record)  # last: seed complete
    return record


def _finished_seed(seed_dir):
    """The record of a seed whose run completed, or None (then its folder is redone)."""
    path = os.path.join(seed_dir, SEED_RESULTS)
    if not os.path.isfile(path) or not os.path.isfile(os.path.join(seed_dir, "trajectory.npz")):
        return None
    record = read_json(path, "delete it to train that seed again")
    if "activations_path" in record and not os.path.isfile(record["activations_path"]):
        return None
    return record


def run(config):
    """Train, measure and plot; returns results and the paths written.

    Seeds whose run finished in an earlier call with the same config are reused, not
    trained again (`results["reused_seeds"]`).

    Returns:
        dict with "trajectory" (the seed average), "trajectory_path", "figure_path",
        "log_dir", "runs" (per seed: train/test accuracy, seconds, epochs_per_second,
        trajectory_path), "reused_seeds", "trained_seeds", "_end_points" (per layer
        of the seed average: I_XT max / final, its compression max - final and the
        epoch of the max, I_TY max / final, in bits) and "compression" (per layer: each
        seed's compression and epoch of its I(X;T) peak, and their mean ± std over
        seeds, `infodl.analysis.compression.compression_over_seeds`); each run record also
        has its own "_end_points".
    """
    config.validate()
    log_dir = config.log_dir
    if config.overwrite:
        SummaryWriter.close_log_dir(log_dir)
    prepare_log_dir(log_dir, config.to_dict(), overwrite=config.overwrite,
                    resumable_keys=config.resumable_keys(),
                    defaults=config.defaults())
    inputs, labels = load_twelve_bit_task(config.var_u_path)
    axis_limits = _axis_limits(config, labels)
    runs, trajectories, reused, trained = [], [], [], []
    for run_index in range(config.num_seeds):
        seed = config.seed + run_index
        seed_dir = os.path.join(log_dir, f"seed_{seed}")
        record = _finished_seed(seed_dir)
        if record is None:
            if os.path.isdir(seed_dir):
                SummaryWriter.close_log_dir(seed_dir)
                shutil.rmtree(seed_dir)  # an interrupted seed starts afresh
            record = _train_seed(config, seed, inputs, labels, seed_dir, axis_limits)
            trained.append(seed)
        else:
            reused.append(seed)
        trajectories.append(InformationPlaneTrajectory.load(record["trajectory_path"]))
        runs.append(dict(record, _end_points=layer_end_points(trajectories[-1])))
    mean = InformationPlaneTrajectory.average(trajectories)
    trajectory_path = mean.save(os.path.join(log_dir, "trajectory_mean.npz"))
    mean.save(os.path.join(log_dir, "trajectory_mean.csv"))
    figure = plot_information_plane(mean, *axis_limits, title=figure_title(config))
    figure_path = save_figure_png(figure, os.path.join(log_dir, "info_plane.png"))
    results = {"trajectory_path": trajectory_path, "figure_path": figure_path,
               "log_dir": log_dir, "runs": runs, "reused_seeds": reused,
               "trained_seeds": trained, "_end_points": _end_points(mean),
               "compression": compression_over_seeds(
                   trajectories, [run_record["seed"] for run_record in runs])}
    write_json_atomic(os.path.join(log_dir, "results.json"), results)
    return dict(results, trajectory=mean)


def summary(results):
    """The lines `run.py` prints at the end of a run."""
    lines = []
    if results["reused_seeds"] and not results["trained_seeds"]:
        lines.append(f"all {len(results['reused_seeds'])} seed(s) of this config were "
                     f"already done in {results['log_dir']}; nothing trained")
    elif results["reused_seeds"]:
        lines.append(f"reused seeds {results['reused_seeds']}, trained seeds "
                     f"{results['trained_seeds']}")
    seeds = len(results["runs"])
    for layer, point in results["_end_points"].items():
        spread = results["compression"][layer]
        per_seed = (f"{spread['compression_bits_mean']:.3f} ± "
                    f"{spread['compression_bits_std']:.3f} over {seeds} seeds" if seeds > 1
                    else f"{spread['compression_bits_mean']:.3f}, 1 seed")
        lines.append(f"{layer}: I(X;T) max {point['I_XT_max']:.3f} (epoch "
                     f"{point['epoch_of_I_XT_max']}) -> final {point['I_XT_final']:.3f}, "
                     f"compression {point['compression_bits']:.3f} (per seed {per_seed}), "
                     f"I(T;Y) final {point['I_TY_final']:.3f} bits")
    lines.append(f"figure: {results['figure_path']}")
    lines.append(f"trajectory: {results['trajectory_path']}")
    return lines


def figure_title(config):
    """E.g. "tanh net, binning, var_u.mat, 4000 epochs, mean of 5 seeds"."""
    body = config.activation + (f"/{config.last_activation}" if config.last_activation else "")
    if config.output_activation != "softmax":
        body += f", {config.output_activation} output"
    task = os.path.basename(config.var_u_path) if config.var_u_path else "generated task"
    runs = f"mean of {config.num_seeds} seeds" if config.num_seeds > 1 else "1 seed"
    return f"{body} net, {config.estimator}, {task}, {config.epochs} epochs, {runs}"


def _metadata(config, seed):
    return dict(config.to_dict(), seed=seed)


def _end_points(trajectory):
    """Per layer: max and final I(X;T), I(T;Y) (bits), the epoch of the I(X;T) max, and
    the compression max I(X;T) - final I(X;T) (0 when I(X;T) only grows); see
    `infodl.analysis.compression.layer_end_points`."""
    return layer_end_points(trajectory)

"""Keras callback logging the information plane (I(X;T_k), I(T_k;Y)) during training."""

import math
import os

import keras
import numpy as np

from infodl.analysis.figure_files import figure_to_png_bytes, save_figure_png
from infodl.analysis.information_plane_plot import plot_information_plane
from infodl.analysis.information_plane_trajectory import InformationPlaneTrajectory
from infodl.checks import check_integer
from infodl.models.model_probe import compile_probe, model_input, output_list
from infodl.run_folder.summary_writer import SummaryWriter

_DEFAULT_LAYER_TYPES = (keras.layers.Dense, keras.layers.EinsumDense, keras.layers.Conv1D,
                        keras.layers.Conv2D, keras.layers.Conv3D,
                        keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D)


def log_spaced_epochs(num_epochs, num_points=100, include_initial=True):
    """Unique rounded np.logspace(0, log10(num_epochs), num_points), plus 0 if asked.

    Epochs count completed epochs: 0 is the untrained network, num_epochs the end.
    """
    check_integer(num_epochs, "num_epochs")
    check_integer(num_points, "num_points")
    points = np.unique(np.round(np.logspace(0.0, math.log10(num_epochs), num_points)))
    points = np.unique(np.append(points, num_epochs)).astype(np.int64)
    return np.concatenate([[0], points]) if include_initial else points


class InformationPlaneLogger(keras.callbacks.Callback):
    """Measures (I(X;T_k), I(T_k;Y)) of chosen layers at scheduled epochs.

    At each scheduled epoch one forward pass of a sub-model returns every chosen
    layer's output T_k on the fixed evaluation set (X, Y); the estimator maps them
    to an (L, 2) array, e.g. binning: I(X;T) = H(T), I(T;Y) = H(T) - sum_y p(y)H(T|y).
    Only these values are kept (not the activations, unless `keep_activations`);
    they go to `logs` (`info_plane/layer{k}/I_XT_bits`, `.../I_TY_bits`), to
    TensorBoard under the same tags (step = completed epochs), and at the end of
    training to `output_path` (npz/JSON/CSV) and to the figure (PNG file and
    TensorBoard image `info_plane/figure`).

    Args:
        inputs: (N, ...) evaluation inputs (all distinct inputs for binning).
        labels: (N,) integer labels or (N, C) one-hot rows.
        estimator: object with `.information_per_layer(list_of_activations, labels)`
            returning (L, 2); values are converted from nats when its `units` is "nats".
        layers: None (every Dense/Conv layer of the model), or names, indices or
            layer objects.
        log_epochs: completed-epoch counts to log (0 = before training) or None for
            `log_spaced_epochs(total epochs, num_log_points)`.
        num_log_points: number of log-spaced points of the default schedule.
        output_path: trajectory file (.npz/.json/.csv) or None.
        log_dir: TensorBoard folder or None (no TensorBoard).
        figure_path: PNG written at the end of training, or None.
        x_limit, y_limit: axis limits of the figure or None (automatic).
        keep_activations: also keep every logged activation in `activation_history`.
        batch_size: forward-pass batch size.
        add_to_logs: put the values into `logs` at logged epochs.
        metadata: JSON-serializable dict stored with the trajectory.

    A later `fit(..., initial_epoch=k)` continues the trajectory; epochs not after
    the last logged one are skipped (a new fit from epoch 0 needs a new logger).

    Example:
        logger = InformationPlaneLogger(x, y, BinningEstimator(30), log_dir="runs/a",
                                        output_path="runs/a/plane.npz")
        model.fit(x_train, y_train, epochs=1000, callbacks=[logger])

    Reference: Shwartz-Ziv & Tishby 2017 sec. 2-3; Saxe et al. 2018; P1 §1.2, §3.4.
    """

    def __init__(self, inputs, labels, estimator, layers=None, log_epochs=None,
                 num_log_points=100, output_path=None, log_dir=None, figure_path=None,
                 x_limit=None, y_limit=None, keep_activations=False, batch_size=4096,
                 add_to_logs=True, metadata=None):
        super().__init__()
        self.inputs = np.asarray(inputs)
        if self.inputs.ndim < 1 or self.inputs.shape[0] < 1:
            raise ValueError(f"Expected inputs of shape (N, ...) with N >= 1. "
                             f"Received: shape={self.inputs.shape}")
        if not np.all(np.isfinite(self.inputs)):
            raise ValueError("Expected finite inputs. Received: NaN or inf entries")
        self.labels = np.asarray(labels)
        if self.labels.shape[0] != self.inputs.shape[0] or self.labels.ndim not in (1, 2):
            raise ValueError(f"Expected labels of shape ({self.inputs.shape[0]},) or "
                             f"({self.inputs.shape[0]}, C). Received: shape={self.labels.shape}")
        if not callable(getattr(estimator, "information_per_layer", None)):
            raise ValueError("Expected an estimator with information_per_layer(list, "
                             f"labels). Received: {type(estimator).__name__}")
        if log_epochs is not None:
            log_epochs = np.unique(np.asarray(list(log_epochs), dtype=np.int64))
            if log_epochs.size == 0 or log_epochs[0] < 0:
                raise ValueError("Expected a non-empty list of epochs >= 0. "
                                 f"Received: log_epochs={log_epochs.tolist()}")
        check_integer(batch_size, "batch_size")
        self.estimator = estimator
        self.layer_selection = layers
        self.log_epochs = log_epochs
        self.num_log_points = num_log_points
        self.output_path = output_path
        self.log_dir = log_dir
        self.figure_path = figure_path
        self.x_limit, self.y_limit = x_limit, y_limit
        self.keep_activations = keep_activations
        self.batch_size = batch_size
        self.add_to_logs = add_to_logs
        self.metadata = dict(metadata or {})
        self._to_bits = (1.0 / math.log(2.0)
                         if getattr(estimator, "units", "bits") == "nats" else 1.0)
        self.epochs_logged, self.values_bits, self.activation_history = [], [], []
        self.layer_names, self._probe, self._schedule = [], None, set()

    def scheduled_epochs(self, num_epochs):
        """Completed-epoch counts this logger measures in a run of `num_epochs`."""
        if self.log_epochs is not None:
            return self.log_epochs[self.log_epochs <= num_epochs]
        return log_spaced_epochs(int(num_epochs), self.num_log_points)

    @property
    def trajectory(self):
        """The values logged so far as an InformationPlaneTrajectory."""
        return InformationPlaneTrajectory(
            self.epochs_logged, np.asarray(self.values_bits).reshape(
                len(self.epochs_logged), len(self.layer_names), 2),
            self.layer_names, dict({"estimator": type(self.estimator).__name__},
                                   **self.metadata))

    def on_train_begin(self, logs=None):
        num_epochs = int((self.params or {}).get("epochs") or 0)
        schedule = (self.scheduled_epochs(num_epochs) if num_epochs
                    else (self.log_epochs if self.log_epochs is not None else []))
        self._schedule = {int(epoch) for epoch in schedule}
        self._probe = None
        if 0 in self._schedule and not self.epochs_logged:
            self._measure(0)

    def on_epoch_end(self, epoch, logs=None):
        completed = int(epoch) + 1
        if completed not in self._schedule or (
                self.epochs_logged and completed <= self.epochs_logged[-1]):
            return
        values = self._measure(completed)
        if self.add_to_logs and logs is not None:
            for index in range(len(self.layer_names)):
                logs[f"info_plane/layer{index}/I_XT_bits"] = float(values[index, 0])
                logs[f"info_plane/layer{index}/I_TY_bits"] = float(values[index, 1])

    def on_train_end(self, logs=None):
        if not self.epochs_logged:
            return
        trajectory = self.trajectory
        if self.output_path is not None:
            trajectory.save(self.output_path)
        if self.keep_activations and self.output_path is not None:
            stem = os.path.splitext(os.fspath(self.output_path))[0]
            np.savez(stem + "_activations.npz", epochs=np.asarray(self.epochs_logged),
                     **{f"layer{k}": np.stack([acts[k] for acts in self.activation_history])
                        for k in range(len(self.layer_names))})
        if self.figure_path is not None or self.log_dir is not None:
            figure = plot_information_plane(trajectory, self.x_limit, self.y_limit,
                                            title=f"{self.model.name}: information plane")
            if self.figure_path is not None:
                save_figure_png(figure, self.figure_path)
            if self.log_dir is not None:
                writer = SummaryWriter.for_log_dir(self.log_dir)
                writer.png("info_plane/figure", figure_to_png_bytes(figure),
                           int(self.epochs_logged[-1]))
                writer.flush()

    def _measure(self, completed_epochs):
        """Forward pass, estimator, bookkeeping and TensorBoard for one epoch."""
        activations = self._forward()
        values = np.asarray(self.estimator.information_per_layer(activations, self.labels),
                            dtype=np.float64).reshape(len(activations), 2) * self._to_bits
        if not np.all(np.isfinite(values)):
            raise ValueError(f"Expected finite MI values from the estimator at epoch "
                             f"{completed_epochs}. Received: {values.tolist()}")
        self.epochs_logged.append(int(completed_epochs))
        self.values_bits.append(values)
        if self.keep_activations:
            self.activation_history.append(activations)
        if self.log_dir is not None:
            scalars = {}
            for index in range(len(self.layer_names)):
                scalars[f"info_plane/layer{index}/I_XT_bits"] = values[index, 0]
                scalars[f"info_plane/layer{index}/I_TY_bits"] = values[index, 1]
            SummaryWriter.for_log_dir(self.log_dir).scalars(scalars, completed_epochs)
        return values

    def _forward(self):
        """Outputs of the chosen layers on the evaluation set, one list of arrays."""
        if self._probe is None:
            probe = self._build_probe()
            self._probe = compile_probe(lambda batch: probe(batch, training=False))
        batches = []
        for start in range(0, self.inputs.shape[0], self.batch_size):
            batch = keras.ops.convert_to_tensor(self.inputs[start:start + self.batch_size])
            outputs = output_list(self._probe(batch))
            batches.append([keras.ops.convert_to_numpy(output) for output in outputs])
        return [np.concatenate(parts, axis=0) for parts in zip(*batches, strict=True)]

    def _build_probe(self):
        model = self.model
        if not model.built or not _has_symbolic_inputs(model):
            model(self.inputs[:1], training=False)
        if not _has_symbolic_inputs(model):
            raise ValueError("Expected a Functional or Sequential model whose layer outputs "
                             f"are reachable. Received: {type(model).__name__} without inputs")
        layers = self._resolve_layers(model)
        self.layer_names = [layer.name for layer in layers]
        return keras.Model(model_input(model), [layer.output for layer in layers],
                           name=f"{model.name}_information_probe")

    def _resolve_layers(self, model):
        if self.layer_selection is None:
            chosen = [layer for layer in model.layers
                      if isinstance(layer, _DEFAULT_LAYER_TYPES)]
        else:
            chosen = []
            for item in self.layer_selection:
                if isinstance(item, keras.layers.Layer):
                    chosen.append(item)
                elif isinstance(item, (int, np.integer)):
                    chosen.append(model.layers[item])
                else:
                    chosen.append(model.get_layer(str(item)))
        if not chosen:
            raise ValueError(f"Expected at least one layer to measure. Received: no "
                             f"Dense/Conv layer in {model.name} and layers={self.layer_selection}")
        return chosen


def _has_symbolic_inputs(model):
    try:
        return bool(model.inputs)
    except (AttributeError, ValueError):
        return False

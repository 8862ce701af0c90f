"""Callback logging the norms and sparsity of the classifier w and the features F(x)."""

import matplotlib
import numpy as np
from keras import ops

from infodl.callbacks.interval_logger import IntervalLogger, NonFiniteMeasurementError
from infodl.checks import check_integer
from infodl.models.model_probe import (
    adapt_to_model,
    compile_probe,
    functional_outputs,
    layer_output,
    prepare_inputs,
)

HEATMAP_COLORMAP = "RdBu_r"  # zero = white, positive = red, negative = blue
HEATMAP_MIN_SIDE = 256       # pixels; each entry of w becomes a block of pixels


def weight_heatmap(kernel):
    """RGB uint8 image of a (feature_dim, num_classes) matrix, colour range ±max|w|.

    Rows are features, columns classes; exact zeros are white, so the zero rows that
    P2's ℓ1 step produces show as white bands (P2 Fig. 4, right).
    """
    kernel = np.asarray(kernel, np.float64)
    scale = float(np.max(np.abs(kernel))) if kernel.size else 0.0
    normalized = 0.5 + 0.5 * kernel / scale if scale > 0 else np.full(kernel.shape, 0.5)
    rgba = matplotlib.colormaps[HEATMAP_COLORMAP](normalized)
    image = np.round(rgba[..., :3] * 255).astype(np.uint8)
    rows, columns = kernel.shape
    cell_height = max(1, HEATMAP_MIN_SIDE // rows)
    cell_width = max(1, HEATMAP_MIN_SIDE // columns)
    return np.repeat(np.repeat(image, cell_height, axis=0), cell_width, axis=1)


class ClassifierStatsLogger(IntervalLogger):
    """Logs the classifier's norms and sparsity and the feature norms (P2 Fig. 4).

    With F(x_k) the output of `feature_layer` on a fixed probe batch of n examples and
    w the (feature_dim × num_classes) kernel of `logits_layer`, with columns w_j:

        feature_norm_mean       = (1/n) Σ_k ||F(x_k)||_2
        weight_column_norm_mean = (1/C) Σ_j ||w_j||_2
        weight_zero_fraction    = #{entries of w equal to 0} / #w

    every `every_n_steps` optimizer steps, plus histograms of w and F(x) and a heat-map
    image of w (white = exactly 0). Under P2's regularizer ||w_j|| shrinks while
    ||F(x)|| stays similar and ~60 % of w becomes exactly zero (with α1 > 0).

    Scalars (in `logs` at epoch end and in TensorBoard at step = optimizer iterations):
    `classifier/feature_norm_mean`, `classifier/weight_column_norm_mean`,
    `classifier/weight_zero_fraction`; TensorBoard only: histograms
    `classifier/weights`, `classifier/features`, image `classifier/weights_heatmap`.

    Args:
        probe_inputs: a fixed probe batch in the model's input format (an array; for
            the project's ResNet an image array or `{"image": x, "label": None}`).
        every_n_steps: logging interval in optimizer steps (default 100).
        feature_layer: name of the layer whose output is F(x) (default "features").
        logits_layer: name of the layer holding w as `.kernel` (default "logits").
        log_dir: directory for TensorBoard summaries; None writes none.

    Example:
        >>> from infodl.callbacks.classifier_stats import ClassifierStatsLogger
        >>> ones = keras.initializers.Constant(1.0)
        >>> model = keras.Sequential([
        ...     keras.Input((2,)),
        ...     keras.layers.Dense(3, kernel_initializer=ones, trainable=False, name="features"),
        ...     keras.layers.Dense(2, name="logits")])
        >>> model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        >>> x = np.array([[1.0, 1.0], [0.5, 0.5]])  # F(x) = (2, 2, 2) and (1, 1, 1)
        >>> stats = ClassifierStatsLogger(x, every_n_steps=1)
        >>> _ = model.fit(x, np.array([0, 1]), verbose=0, callbacks=[stats])
        >>> round(stats.latest["classifier/feature_norm_mean"], 4)  # (√12 + √3) / 2
        2.5981
        >>> stats.latest["classifier/weight_zero_fraction"]  # no exact zeros without ℓ1
        0.0

    Reference: P2 §4.3 and Fig. 4 (eq. 7: ||w_y||_2 · ||F(x)||_2).
    """

    def __init__(self, probe_inputs, every_n_steps=100, feature_layer="features",
                 logits_layer="logits", log_dir=None):
        super().__init__(every_n_steps=check_integer(every_n_steps, "every_n_steps"),
                         log_dir=log_dir)
        for name, value in (("feature_layer", feature_layer), ("logits_layer", logits_layer)):
            if not isinstance(value, str) or not value:
                raise ValueError(f"Expected {name} to be a layer name. Received: {value!r}")
        self.probe_inputs = probe_inputs
        self._probe, self.probe_size = prepare_inputs(probe_inputs, "probe_inputs")
        self.feature_layer = feature_layer
        self.logits_layer = logits_layer

    def _prepare(self, model):
        layer_output(model, self.logits_layer)  # clear error when the layer is missing
        kernel = getattr(model.get_layer(self.logits_layer), "kernel", None)
        if kernel is None or len(kernel.shape) != 2:
            raise ValueError(
                f"Expected layer {self.logits_layer!r} to hold a 2-D `kernel` "
                "(feature_dim, num_classes). Received: "
                f"{None if kernel is None else tuple(kernel.shape)}")
        self._kernel = kernel
        extractor = functional_outputs(
            model, layer_output(model, self.feature_layer), f"layer {self.feature_layer!r}")
        self._features = compile_probe(lambda inputs: extractor(inputs, training=False))
        self._probe = prepare_inputs(adapt_to_model(model, self.probe_inputs, "probe_inputs"),
                                     "probe_inputs")[0]

    def compute_statistics(self):
        """Returns (scalars dict, features (n, ...) array, kernel (d, C) array)."""
        self._ensure_prepared()
        features = np.asarray(ops.convert_to_numpy(self._features(self._probe)), np.float64)
        kernel = np.asarray(ops.convert_to_numpy(self._kernel), np.float64)
        for name, values in (("features", features), ("classifier weights", kernel)):
            if not np.all(np.isfinite(values)):
                raise NonFiniteMeasurementError(
                    f"ClassifierStatsLogger: expected finite {name}. Received: NaN or inf "
                    "(has the model diverged?)")
        flat_features = features.reshape(features.shape[0], -1)
        scalars = {
            "classifier/feature_norm_mean": float(np.mean(np.linalg.norm(flat_features, axis=1))),
            "classifier/weight_column_norm_mean": float(np.mean(np.linalg.norm(kernel, axis=0))),
            "classifier/weight_zero_fraction": float(np.mean(kernel == 0.0)),
        }
        return scalars, features, kernel

    def _measure(self, step):
        scalars, features, kernel = self.compute_statistics()
        self._record(step, scalars)
        if self.writer is not None:
            self.writer.histogram("classifier/weights", kernel, step)
            self.writer.histogram("classifier/features", features, step)
            self.writer.image("classifier/weights_heatmap", weight_heatmap(kernel), step)

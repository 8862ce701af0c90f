"""Shared machinery of the measurement callbacks: logging schedule, `logs`, TensorBoard.

`IntervalLogger` counts optimizer steps in Python (initialised once per `fit()` from
`optimizer.iterations`), computes on the logging steps only, puts the latest scalars
into the epoch `logs` and writes `tf.summary` scalars, histograms and images to
`log_dir` at step = the optimizer's iteration count.

The step work runs in `on_train_batch_begin` (before batch `b` the weights are those
after `step` optimizer updates), so the callbacks do not override
`on_train_batch_end` and do not force Keras to convert the batch logs to NumPy
(a host sync) on every step; a logging step that ends training is caught in
`on_epoch_end`.
"""

import math

import keras
import numpy as np
import tensorflow as tf


def check_interval(name, value, allow_none=False):
    """Returns `value` as an int >= 1 (or None when allowed), else raises ValueError."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"Expected {name} to be an integer >= 1. Received: {name}={value!r}")
    return int(value)


def prepare_inputs(inputs, name):
    """Validates model inputs (array, or dict/list of arrays and None) and makes tensors.

    Floating arrays are cast to Keras' floatx; None entries (e.g. `"label": None`) stay
    None. Returns (tensors in the same structure, number of examples).
    """
    if inputs is None:
        raise ValueError(f"Expected {name} to be an array or a dict of arrays. Received: None")
    if isinstance(inputs, dict):
        items = list(inputs.items())
    elif isinstance(inputs, (list, tuple)):
        items = list(enumerate(inputs))
    else:
        items = [(None, inputs)]
    converted, sizes = {}, set()
    for key, value in items:
        if value is None:
            converted[key] = None
            continue
        array = np.asarray(value)
        if array.ndim == 0:
            raise ValueError(
                f"Expected {name} with a batch dimension. Received: a scalar for {key!r}")
        if array.dtype.kind == "f":
            if not np.all(np.isfinite(array)):
                raise ValueError(f"Expected finite {name}. Received: NaN or inf in {key!r}")
            array = array.astype(keras.config.floatx())
        sizes.add(array.shape[0])
        converted[key] = tf.convert_to_tensor(array)
    if not sizes:
        raise ValueError(f"Expected at least one array in {name}. Received: only None")
    if len(sizes) > 1 or 0 in sizes:
        raise ValueError(
            f"Expected all arrays of {name} to share a batch size >= 1. "
            f"Received: batch sizes {sorted(sizes)}")
    if isinstance(inputs, dict):
        structure = converted
    elif isinstance(inputs, (list, tuple)):
        structure = [converted[i] for i in range(len(items))]
    else:
        structure = converted[None]
    return structure, sizes.pop()


def _graph_error(model, description, error):
    return ValueError(
        f"Expected a functional or Sequential Keras model whose {description} can be "
        f"read from its graph. Received: model {model.name!r} ({error})")


def model_input(model):
    """The symbolic input structure of a functional or Sequential model.

    `Sequential.input` is undefined until the model is called on a symbolic tensor,
    but a Sequential model built from `keras.Input` (or `build()`) has one `inputs`.
    """
    try:
        return model.input
    except (AttributeError, ValueError) as error:
        inputs = None
        if isinstance(model, keras.Sequential):
            try:
                inputs = model.inputs
            except (AttributeError, ValueError):
                inputs = None
        if not inputs or len(inputs) != 1:
            raise _graph_error(model, "inputs", error) from error
        return inputs[0]


def layer_inputs(model, layers, description):
    """The symbolic inputs of `layers` in `model`'s graph, or a clear error."""
    try:
        return [layer.input for layer in layers]
    except (AttributeError, ValueError) as error:
        raise _graph_error(model, description, error) from error


def functional_outputs(model, tensors, description):
    """A Keras model from `model`'s inputs to the symbolic `tensors`, or a clear error."""
    inputs = model_input(model)
    try:
        return keras.Model(inputs, tensors)
    except (AttributeError, ValueError) as error:
        raise _graph_error(model, description, error) from error


def output_list(outputs):
    """A model's outputs as a list (Keras returns a bare tensor for one output)."""
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def layer_output(model, layer_name):
    """The symbolic output of the model's layer `layer_name`, or a clear error."""
    try:
        layer = model.get_layer(layer_name)
    except ValueError as error:
        names = [layer.name for layer in model.layers]
        raise ValueError(
            f"Expected a layer named {layer_name!r} in model {model.name!r}. "
            f"Received: layers {names}") from error
    try:
        return layer.output
    except (AttributeError, ValueError) as error:
        raise ValueError(
            f"Expected layer {layer_name!r} to be called exactly once in the graph of a "
            f"functional or Sequential model. Received: model {model.name!r} "
            f"({error})") from error


def maybe_compile(function):
    """`tf.function` on the TensorFlow backend (one trace per fixed probe), else as is."""
    if keras.backend.backend() == "tensorflow":
        return tf.function(function, reduce_retracing=True)
    return function


class IntervalLogger(keras.callbacks.Callback):
    """Base class: runs `_measure(step)` every `every_n_steps` optimizer steps.

    Subclasses implement `_prepare(model)` (build extractors, once per model) and
    `_measure(step)` (compute, call `self._record(step, scalars)` and the `_write_*`
    helpers). `every_n_steps=None` measures at the end of every epoch only.
    """

    def __init__(self, every_n_steps=None, log_dir=None):
        super().__init__()
        self.every_n_steps = check_interval("every_n_steps", every_n_steps, allow_none=True)
        self.log_dir = None if log_dir is None else str(log_dir)
        self.latest = {}
        self.history = []
        self._writer = None
        self._prepared_for = None
        self._last_step = None
        self._epoch_start_step = 0

    # Hooks for subclasses.
    def _prepare(self, model):
        raise NotImplementedError

    def _measure(self, step):
        raise NotImplementedError

    # Scheduling.
    def _optimizer_step(self):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or getattr(optimizer, "iterations", None) is None:
            return 0 if self._last_step is None else self._last_step
        return int(keras.ops.convert_to_numpy(optimizer.iterations))

    def _ensure_prepared(self):
        if getattr(self, "model", None) is None:
            raise ValueError(
                f"{type(self).__name__}: expected a model. Received: none; pass the "
                "callback to fit() or call set_model(model) first")
        if self._prepared_for is not self.model:
            self._prepare(self.model)
            self._prepared_for = self.model
            self.latest, self.history, self._last_step = {}, [], None

    def _due(self, step):
        if self.every_n_steps is None or step == self._last_step:
            return False
        if self._last_step is None or step < self._last_step:
            return step % self.every_n_steps == 0
        return step // self.every_n_steps > self._last_step // self.every_n_steps

    def measure_now(self, step=None):
        """Measures at once (step defaults to the optimizer's iteration count)."""
        self._ensure_prepared()
        step = self._optimizer_step() if step is None else int(step)
        self._measure(step)
        self._last_step = step
        return dict(self.latest)

    def on_train_begin(self, logs=None):
        self._ensure_prepared()
        self._epoch_start_step = self._optimizer_step()

    def on_train_batch_begin(self, batch, logs=None):
        step = self._epoch_start_step + int(batch)
        if self._due(step):
            self.measure_now(step)

    def on_epoch_end(self, epoch, logs=None):
        step = self._optimizer_step()
        self._epoch_start_step = step
        epoch_mode = self.every_n_steps is None and step != self._last_step
        if epoch_mode or self._due(step) or not self.latest:
            self.measure_now(step)
        if logs is not None:
            logs.update(self.latest)
        if self._writer is not None:
            self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.flush()

    # Recording and summaries.
    def _record(self, step, scalars):
        for key, value in scalars.items():
            if math.isnan(value):
                raise ValueError(
                    f"{type(self).__name__}: {key} is NaN at step {step}; "
                    "expected a number (has the model diverged?)")
        self.latest = {key: float(value) for key, value in scalars.items()}
        self.history.append((step, dict(self.latest)))
        for key, value in self.latest.items():
            self._summary(tf.summary.scalar, key, value, step)

    def _summary(self, writer_function, tag, data, step, **kwargs):
        if self.log_dir is None:
            return
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)
        with self._writer.as_default():
            writer_function(tag, data, step=step, **kwargs)

    def _write_histogram(self, tag, values, step):
        self._summary(tf.summary.histogram, tag, np.asarray(values, np.float64), step)

    def _write_image(self, tag, image, step):
        self._summary(tf.summary.image, tag, np.asarray(image)[None], step, max_outputs=1)

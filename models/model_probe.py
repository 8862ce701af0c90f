"""Reading a model's graph: probe inputs, layer outputs and sub-models for measurements.

The measurement callbacks and the feature analysis look inside a model: the inputs of
the residual units, the output of the feature layer, the kernel of the logits layer.
These helpers build the sub-models that return those tensors from the model's own
inputs (functional and Sequential models; a subclassed model gets one clear error)
and validate the probe batches fed to them.
"""

import keras
import numpy as np


def prepare_inputs(inputs, name):
    """Validates model inputs (array, or dict/list of arrays and None) and makes tensors.

    Floating arrays are cast to Keras' floatx; None entries (e.g. `"label": None`) stay
    None.

    Returns:
        (tensors in the same structure, number of examples).

    Raises:
        ValueError: None, a scalar, NaN/inf entries, or arrays of different lengths.
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
        converted[key] = keras.ops.convert_to_tensor(array)
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


def adapt_to_model(model, inputs, name):
    """Accepts a plain array for a model whose other inputs are all optional.

    The project's ResNet has inputs {"image", "label"} with an optional label: a plain
    image array becomes {"image": x, "label": None}. Other structures pass unchanged.

    Raises:
        ValueError: a plain array for a model with several required inputs.
    """
    if isinstance(inputs, (dict, list, tuple)):
        return inputs
    try:
        symbolic = model.input
    except (AttributeError, ValueError):
        return inputs
    if not isinstance(symbolic, dict):
        return inputs
    required = [key for key, tensor in symbolic.items() if not _is_optional(tensor)]
    if len(required) != 1:
        raise ValueError(
            f"Expected {name} as a dict with keys {sorted(symbolic)} for model "
            f"{model.name!r}, which has several required inputs. Received: one array")
    return {key: (inputs if key == required[0] else None) for key in symbolic}


def _is_optional(tensor):
    """True for a symbolic input made with `keras.Input(..., optional=True)`."""
    history = getattr(tensor, "_keras_history", None)
    return bool(history is not None and getattr(history.operation, "optional", False))


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


def residual_units(model):
    """The model's residual units (layers with a `residual_parts` method), in order."""
    return [layer for layer in model.layers if hasattr(layer, "residual_parts")]


def compile_probe(function):
    """`tf.function` on the TensorFlow backend (one trace per fixed probe), else as is."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(function, reduce_retracing=True)
    return function

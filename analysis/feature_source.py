"""Where the analysed features come from: a saved model, its run folder and its inputs.

- `resolve_checkpoint(path)`: a `.keras` file, or a run folder (its newest
  `checkpoints/ckpt-*.keras`, else its `model.keras`).
- `load_saved_model(path)`: `keras.saving.load_model` with the project's custom layers
  and models registered (RegularizedLogits, AlternatingTrainer, the IB nets...).
- `choose_preprocessing(...)`: how images become model inputs (see the function).
- `layer_outputs(model, images, layer_names, ...)`: the outputs of named layers,
  flattened to (N, d), computed in batches from the model's own graph.
"""

import json
import pathlib

import numpy as np
from tqdm.auto import tqdm

from infodl.checks import check_choice, check_integer
from infodl.choices import PREPROCESSINGS
from infodl.models.architectures import ARCHITECTURES
from infodl.run_folder.checkpoints import model_file

RUN_CONFIG_FILE = "config.json"


def resolve_checkpoint(path):
    """(checkpoint file, run folder or None) for a `.keras` file or a run folder.

    A file inside `<run>/checkpoints/` belongs to `<run>`; a file elsewhere belongs to
    its folder when that folder holds a `config.json`.

    Raises:
        FileNotFoundError: a missing path, or a folder with no checkpoint or model.keras.
    """
    path = pathlib.Path(path)
    if path.is_dir():
        return model_file(path), path
    path = model_file(path)
    folder = path.parent.parent if path.parent.name == "checkpoints" else path.parent
    return path, folder if (folder / RUN_CONFIG_FILE).is_file() else None


def read_run_config(run_dir):
    """The run's config.json as a dict ({} without a run folder or file)."""
    if run_dir is None or not (pathlib.Path(run_dir) / RUN_CONFIG_FILE).is_file():
        return {}
    return json.loads((pathlib.Path(run_dir) / RUN_CONFIG_FILE).read_text())


def load_saved_model(path):
    """A saved Keras model of this project (not compiled): `infodl.training.load_model`
    (every class the library registers is imported first), a failure as one ValueError."""
    from infodl.training.saved_model import load_model

    try:
        return load_model(path)
    except Exception as error:  # corrupt zip, unknown class, ...
        raise ValueError(f"Cannot load the model in {path}: {error}") from error


def choose_preprocessing(requested, run_config, model_name):
    """How images become inputs: the flag, else the run's config, else the model's kind.

    1. `requested` unless it is "auto";
    2. the run's config.json key "preprocessing" (a run of any experiment may store it);
    3. "per_image_standardization" for the CIFAR ResNet family (config "model" or the
       model's name in `infodl.models.architectures.ARCHITECTURES`, as the ResNet
       experiment, `infodl.experiments.resnet.experiment`, feeds them);
    4. "unit_interval" (x / 255) otherwise: InvNet and the MLPs of this project.
    """
    check_choice(requested, "preprocessing", PREPROCESSINGS)
    if requested != "auto":
        return requested
    if run_config.get("preprocessing") in PREPROCESSINGS[1:]:
        return run_config["preprocessing"]
    if run_config.get("model") in ARCHITECTURES or model_name in ARCHITECTURES:
        return "per_image_standardization"
    return "unit_interval"


def preprocess_images(images, preprocessing, input_shape=None):
    """uint8 images → float32 model inputs; reshaped to `input_shape` (e.g. flattened
    784 for an MLP) when the sizes agree.

    "unit_interval": x / 255; "per_image_standardization": (x − mean) / max(std,
    1/sqrt(#pixels)) per image, as `infodl.data.cifar_input.standardize_images`; "none": as is.
    """
    check_choice(preprocessing, "preprocessing", PREPROCESSINGS[1:])
    images = np.asarray(images)
    if preprocessing == "per_image_standardization":
        from infodl.data.cifar_input import standardize_images

        values = standardize_images(images)
    elif preprocessing == "unit_interval":
        values = images.astype(np.float32) / 255.0
    else:
        values = images.astype(np.float32)
    if input_shape is not None and tuple(values.shape[1:]) != tuple(input_shape):
        if int(np.prod(values.shape[1:])) != int(np.prod(input_shape)):
            raise ValueError(f"Expected images of {int(np.prod(input_shape))} values for the "
                             f"model input {tuple(input_shape)}. Received: images of shape "
                             f"{values.shape[1:]}")
        values = values.reshape((len(values),) + tuple(input_shape))
    return values


def _image_input_shape(model):
    """Shape of one input image of `model` (its "image" input for a dict of inputs)."""
    from infodl.models.model_probe import model_input

    symbolic = model_input(model)
    if isinstance(symbolic, dict):
        symbolic = symbolic.get("image", next(iter(symbolic.values())))
    return tuple(int(d) for d in symbolic.shape[1:])


def layer_outputs(model, images, layer_names, preprocessing, batch_size=500, verbose=0,
                  description="features"):
    """{layer name: (N, d) float32 array} of the outputs of `layer_names` on `images`.

    Inputs are `preprocess_images(images, preprocessing, _image_input_shape(model))`,
    fed as the model expects (a model with an optional label gets `"label": None`);
    the model runs eagerly in inference mode (no tf.function: one trace costs more
    than the few dozen batches of a test set).
    """
    from infodl.models.model_probe import adapt_to_model, functional_outputs, layer_output

    batch_size = check_integer(batch_size, "batch_size")
    names = list(dict.fromkeys(layer_names))
    extractor = functional_outputs(model, [layer_output(model, name) for name in names],
                                   f"layers {names}")
    shape = _image_input_shape(model)
    chunks = {name: [] for name in names}
    starts = range(0, len(images), batch_size)
    for start in tqdm(starts, disable=not verbose, desc=description, unit="batch",
                      leave=False):
        batch = preprocess_images(images[start:start + batch_size], preprocessing, shape)
        outputs = extractor(adapt_to_model(model, batch, "images"), training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        for name, value in zip(names, outputs, strict=True):
            value = np.asarray(value, np.float32)
            chunks[name].append(value.reshape(len(value), -1))
    return {name: np.concatenate(parts) for name, parts in chunks.items()}

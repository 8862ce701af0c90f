"""`load_model`: a checkpoint or saved model of any experiment, in a fresh process.

A `.keras` file names its custom classes (`infodl>ResidualUnit`,
`infodl>AlternatingTrainer`, ...); Keras finds them only once the modules that register
them were imported, so a bare `keras.saving.load_model(ckpt)` in a new process fails with
"Could not locate class 'ResidualUnit'". `load_model` imports every module of the
library that registers a Keras class (`REGISTERING_MODULES`), then loads:

    from infodl.training import load_model
    model = load_model("runs/resnet20/checkpoints/ckpt-00080000.keras")  # ResNet, InvNet
    model = load_model("runs/resnet20")                   # a run folder: its newest one
    model = load_model("runs/ib_layerwise_ib_mnist/seed_0/model.keras")   # IB (P3)

It lives in `infodl.training` because the classes it registers come from the models,
the estimators and the trainers (InvNet's checkpoint is an `AlternatingTrainer`).
"""

import importlib

from infodl.run_folder.checkpoints import model_file

# Every library module with a `keras.saving.register_keras_serializable` class
# (tests/training/test_saved_model.py checks that the list is complete).
REGISTERING_MODULES = (
    "infodl.models.regularized_logits",
    "infodl.models.residual_unit",
    "infodl.models.bottleneck_unit",
    "infodl.models.resnet_wenxinxu",
    "infodl.estimators.aa_mine",
    "infodl.estimators.critic",
    "infodl.estimators.critic_pair",
    "infodl.estimators.input_standardizer",
    "infodl.estimators.mine",
    "infodl.estimators.separable_critic",
    "infodl.training.alternating_trainer",
    "infodl.training.langevin_sgd",
)


def register_keras_classes():
    """Imports the modules of `REGISTERING_MODULES`, so Keras knows the library's classes."""
    for name in REGISTERING_MODULES:
        importlib.import_module(name)


def load_model(path, compile=False):
    """Loads a `.keras` model saved by this library, in any process.

    Args:
        path: a `ckpt-*.keras` checkpoint (ResNet, InvNet), a `model.keras` (IB runs, P3),
            or a run folder (its newest checkpoint, else its `model.keras`).
        compile: passed to `keras.saving.load_model`; False (the default) gives the
            model for inference and analysis, without its loss and optimizer state (a run
            resumes from its folder with the same command instead).

    Returns:
        The `keras.Model`.

    Raises:
        FileNotFoundError: no such file, or a run folder without a model.
        ValueError: not a `.keras` file.

    Example:
        >>> from infodl.models import build_resnet
        >>> from infodl.training import load_model
        >>> build_resnet("resnet20", num_classes=10).save("resnet20.keras")
        >>> type(load_model("resnet20.keras").get_layer("logits")).__name__
        'RegularizedLogits'

    Reference: Keras 3 saving API (`keras.saving.register_keras_serializable`).
    """
    import keras

    file = model_file(path)
    register_keras_classes()
    return keras.saving.load_model(str(file), compile=compile)

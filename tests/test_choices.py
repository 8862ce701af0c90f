"""Every allowed value of `infodl.choices` passes validation and also builds."""

import re

import keras
import numpy as np
import pytest

from infodl import choices
from infodl.analysis.compression import load_activations
from infodl.data import load_dataset
from infodl.data.twelve_bit import generate_twelve_bit_task
from infodl.estimators.binning import BinningEstimator
from infodl.estimators.kde import KDEEstimator
from infodl.experiments.info_plane.config import InfoPlaneConfig
from infodl.experiments.info_plane.experiment import _make_estimator, run
from infodl.experiments.registry import EXPERIMENTS
from infodl.experiments.resnet.config import ResNetConfig
from infodl.models.mlp import build_mlp
from infodl.models.regularized_logits import RegularizedLogits
from infodl.models.resnet import build_network
from tests.data.original_formats import (
    mnist_pickle_splits,
    random_images,
    write_cifar_binary,
    write_mnist_pickle,
)


@pytest.mark.parametrize("activation", choices.ACTIVATIONS)
def test_every_activation_validates_and_builds(activation):
    InfoPlaneConfig(activation=activation, last_activation=activation).validate()
    model = build_mlp(12, (4, 2), activation=activation, last_hidden_activation=activation,
                      seed=0)
    outputs = keras.ops.convert_to_numpy(model(np.ones((3, 12), "float32")))
    assert outputs.shape == (3, 2) and np.all(np.isfinite(outputs))


def convolution_weights(model_name):
    """Closed form of the convolution kernels' size: a 3x3 stem 3 -> 16, three stages of
    k units (widths 16, 32, 64, x10 for WRN-28-10); a basic unit is two 3x3 convs
    (depth 6k + 2, parameter-free option-A shortcut), a bottleneck unit 1x1 in -> w,
    3x3 w -> w, 1x1 w -> 4w (depth 9k + 2) with a 1x1 projection in its first unit."""
    depth = int(re.search(r"\d+", model_name).group())
    widths = (160, 320, 640) if model_name == "wrn28_10" else (16, 32, 64)
    total, channels = 27 * 16, 16
    for width in widths:
        if model_name == "resnet164":
            k, out = (depth - 2) // 9, 4 * width
            total += channels * width + 9 * width**2 + width * out + channels * out
            total += (k - 1) * (out * width + 9 * width**2 + width * out)
        else:
            k, out = (depth - 2) // 6, width
            total += 9 * channels * width + 9 * width**2 + (k - 1) * 18 * width**2
        channels = out
    return total, channels


@pytest.mark.parametrize("model_name", choices.MODELS)
def test_every_model_validates_and_builds(model_name):
    config = ResNetConfig(model=model_name).validate()
    model = build_network(config.model, num_classes=10, input_shape=(8, 8, 3))
    logits = model({"image": np.zeros((2, 8, 8, 3), "float32"), "label": None})
    assert tuple(logits.shape) == (2, 10)
    assert model.get_layer("features") is not None
    assert isinstance(model.get_layer("logits"), RegularizedLogits)
    conv = sum(int(np.prod(w.shape)) for w in model.weights
               if "kernel" in w.path and "logits" not in w.path)
    expected, feature_dim = convolution_weights(model_name)
    assert conv == expected  # resnet32: 461 232 (He et al. 2016: 0.46 M in all)
    assert model.get_layer("logits").kernel.shape == (feature_dim, 10)


def _write_tiny_files(name, folder, rng):
    """Original-format files with a few records of two or more classes."""
    if name == "cifar10":
        for file_name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
            write_cifar_binary(folder / file_name, random_images(rng, 4), np.arange(4) % 2)
    elif name == "cifar100":
        for file_name in ("train.bin", "test.bin"):
            write_cifar_binary(folder / file_name, random_images(rng, 4), np.arange(4) % 3,
                               coarse_labels=np.zeros(4, int))
    else:
        write_mnist_pickle(folder / "mnist.pkl.gz", mnist_pickle_splits(rng))


@pytest.mark.parametrize("dataset", choices.DATASETS)
def test_every_dataset_validates_and_loads(dataset, tmp_path):
    ResNetConfig(dataset=dataset).validate()
    data_dir = None
    if dataset in ("cifar10", "cifar100", "mnist"):
        data_dir = tmp_path
        _write_tiny_files(dataset, tmp_path, np.random.default_rng(0))
    loaded = load_dataset(dataset, data_dir=data_dir, allow_partial_files=True)
    assert loaded.num_classes == choices.DATASET_NUM_CLASSES[dataset]
    assert len(np.unique(loaded.y_train)) >= 2


@pytest.mark.parametrize("estimator", choices.INFO_PLANE_ESTIMATORS)
def test_every_info_plane_estimator_builds_and_measures(estimator):
    config = InfoPlaneConfig(estimator=estimator, mine_steps=2).validate()
    rng = np.random.default_rng(1)
    inputs = rng.normal(size=(64, 3)).astype("float32")
    labels = (inputs[:, 0] > 0).astype(int)
    values = _make_estimator(config, inputs).information_per_layer([np.tanh(inputs)], labels)
    assert np.asarray(values).shape == (1, 2) and np.all(np.isfinite(values))


@pytest.mark.parametrize("standardize", choices.MINE_STANDARDIZATIONS)
def test_every_mine_standardization_validates_and_measures(standardize):
    config = InfoPlaneConfig(estimator="mine", mine_steps=2,
                             mine_standardize=standardize).validate()
    rng = np.random.default_rng(3)
    inputs = rng.normal(size=(64, 3)).astype("float32")
    estimator = _make_estimator(config, inputs)
    assert estimator.get_config()["standardize"] == standardize
    values = estimator.information_per_layer([np.tanh(inputs)], (inputs[:, 0] > 0).astype(int))
    assert np.asarray(values).shape == (1, 2) and np.all(np.isfinite(values))


@pytest.mark.parametrize("bound", choices.KDE_BOUNDS)
def test_every_kde_bound_builds(bound):
    InfoPlaneConfig(kde_bound=bound).validate()
    hidden = np.random.default_rng(2).normal(size=(50, 3))
    i_xt, i_ty = KDEEstimator(noise_variance=0.1, bound=bound).information(
        hidden, np.arange(50) % 2)
    assert 0 <= i_ty <= i_xt


@pytest.mark.parametrize("optimizer", choices.OPTIMIZERS)
def test_every_optimizer_trains_the_info_plane_network(optimizer, tmp_path):
    """One epoch of the experiment with each optimizer: the kept activations start at the
    untrained network's (recomputed here) and the optimizer's steps then move them."""
    config = InfoPlaneConfig(optimizer=optimizer, learning_rate=0.05, epochs=1,
                             layer_sizes=(3, 2), num_log_points=1, keep_activations=True,
                             log_dir=str(tmp_path / optimizer), verbose=0)
    results = run(config)
    epochs, layers = load_activations(results["runs"][0]["activations_path"])
    assert epochs.tolist() == [0, 1]
    assert results["trajectory"].metadata["optimizer"] == optimizer
    inputs, _ = generate_twelve_bit_task()
    untrained = build_mlp(12, (3, 2), config.activation, config.last_activation,
                          output_activation=config.output_activation, seed=config.seed)
    expected = keras.ops.convert_to_numpy(untrained(inputs.astype("float32")))
    np.testing.assert_allclose(layers[-1][0], expected, rtol=1e-5, atol=1e-6)
    assert np.max(np.abs(layers[-1][1] - layers[-1][0])) > 1e-3


@pytest.mark.parametrize("regularizer", choices.REGULARIZERS)
@pytest.mark.parametrize("l1_method", choices.L1_METHODS)
def test_every_regularizer_and_l1_method_builds(regularizer, l1_method):
    ResNetConfig(regularizer=regularizer, l1_method=l1_method).validate()
    layer = RegularizedLogits(3, regularizer=regularizer, alpha1=0.1, alpha2=0.1,
                              l1_method=l1_method)
    layer(np.ones((2, 4), "float32"), labels=np.array([0, 1]))
    assert len(layer.losses) == {"none": 0, "naive": 1, "info": 1}[regularizer] + (
        regularizer != "none" and l1_method == "subgradient")


@pytest.mark.parametrize("field, values", [
    ("mode", choices.MODES), ("recipe", choices.RECIPES),
    ("eval_protocol", choices.EVAL_PROTOCOLS)])
def test_every_resnet_choice_validates(field, values):
    for value in values:
        assert getattr(ResNetConfig(**{field: value}).validate(), field) == value


def test_binning_needs_no_list_beyond_the_config():
    config = InfoPlaneConfig(estimator="binning_adaptive").validate()
    assert isinstance(_make_estimator(config), BinningEstimator)


REQUIRED = {"analyze": {"checkpoint": "runs/a"}, "report": {"log_dir": "runs/sweep"}}


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_every_experiment_config_validates_at_its_defaults(name):
    config_class = EXPERIMENTS[name].config
    if name in REQUIRED:  # a required setting is named in one line when missing
        with pytest.raises(ValueError, match=f"Expected .*{next(iter(REQUIRED[name]))}"):
            config_class().validate()
    fresh = config_class(**REQUIRED.get(name, {}))
    config = fresh.validate()
    assert config is fresh  # validate() returns the config it checked
    stored = config.to_dict()
    declared = dict(config_class.defaults(), **REQUIRED.get(name, {}))
    # every declared default is kept; a None default is resolved (e.g. from the recipe)
    assert ({key: value for key, value in stored.items() if declared[key] is not None}
            == {key: value for key, value in declared.items() if value is not None})
    # the stored config (config.json, what a resumed run compares with) validates to itself
    assert config_class(**stored).validate().to_dict() == stored

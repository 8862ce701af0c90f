"""Tests of the Dataset container and of load_dataset's argument checks."""

import dataclasses
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from infodl.choices import DATASETS
from infodl.data import DATASET_NAMES, Dataset, load_dataset


def _arrays(num_classes=10, train=6, test=4, shape=(5, 5, 3)):
    rng = np.random.default_rng(0)
    return {"x_train": rng.integers(0, 256, (train,) + shape, dtype=np.uint8),
                "y_train": np.arange(train, dtype=np.int64) % num_classes,
                "x_test": rng.integers(0, 256, (test,) + shape, dtype=np.uint8),
                "y_test": np.arange(test, dtype=np.int64) % num_classes}


def test_dataset_is_frozen_and_reports_image_shape():
    dataset = Dataset(name="toy", source="synthetic", num_classes=10, **_arrays())
    assert dataset.image_shape == (5, 5, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        dataset.num_classes = 3


@pytest.mark.parametrize("change, message", [
    ({"x_train": np.zeros((6, 5, 5, 3), np.float32)}, "x_train to be a uint8"),
    ({"x_test": np.zeros((4, 5, 5), np.uint8)}, r"x_test to be a uint8 .*\(4, 5, 5\)"),
    ({"y_train": np.arange(6, dtype=np.int32)}, "y_train to be an int64"),
    ({"y_test": np.arange(5, dtype=np.int64)}, r"shape \(4,\)"),
    ({"y_train": np.array([0, 1, 2, 3, 4, 10])}, r"y_train in \[0, 10\).*\[0, 10\]"),
    ({"x_test": np.zeros((4, 6, 5, 3), np.uint8)}, r"\(5, 5, 3\).*\(6, 5, 3\)"),
    ({"source": "web"}, "source in"),
    ({"num_classes": 0}, "num_classes"),
])
def test_dataset_rejects_inconsistent_arrays(change, message):
    kwargs = dict(name="toy", source="local", num_classes=10, **_arrays())
    kwargs.update(change)
    with pytest.raises(ValueError, match=message):
        Dataset(**kwargs)


def test_unknown_name_lists_the_valid_names():
    with pytest.raises(ValueError) as info:
        load_dataset("imagenet")
    assert "imagenet" in str(info.value)
    assert all(name in str(info.value) for name in DATASET_NAMES)
    assert set(DATASET_NAMES) == {"cifar10", "cifar100", "mnist", "digits", "synthetic"}


@pytest.mark.parametrize("kwargs, message", [
    ({"train_fraction": 0.0}, "train_fraction"),
    ({"train_fraction": 1.01}, "train_fraction"),
    ({"seed": -1}, "seed"),
    ({"seed": 1.5}, "seed"),
])
def test_bad_arguments_fail_before_any_loading(kwargs, message):
    # cifar10 without data_dir would go to tfds: the check must come first.
    with pytest.raises(ValueError, match=message):
        load_dataset("cifar10", **kwargs)


def test_train_fraction_subsets_train_only():
    full = load_dataset("synthetic", synthetic_sizes=(300, 40))
    part = load_dataset("synthetic", synthetic_sizes=(300, 40), train_fraction=0.1)
    assert len(part.y_train) == 30 and np.bincount(part.y_train).tolist() == [3] * 10
    np.testing.assert_array_equal(part.x_test, full.x_test)
    # Every kept example is one of the full set's examples with its label.
    rows = {img.tobytes(): lab for img, lab in zip(full.x_train, full.y_train, strict=True)}
    assert all(rows[img.tobytes()] == lab
               for img, lab in zip(part.x_train, part.y_train, strict=True))


def test_numpy_parts_import_without_tensorflow():
    # `data` loads TensorFlow (cifar_input) and SciPy (twelve_bit) only on first access.
    code = ("import sys\nimport infodl.data.dataset, infodl.data.local_files, infodl.data.subset\n"
            "import infodl.data.digits, infodl.data.synthetic, infodl.data.mnist_pickle\n"
            "from infodl import data\n"
            "from infodl.data import DATASET_NAMES, Dataset, DatasetUnavailableError\n"
            "from infodl.data import load_dataset\n"
            "assert 'tensorflow' not in sys.modules and 'scipy.io' not in sys.modules\n"
            "from infodl.data import load_var_u\n"
            "assert 'scipy.io' in sys.modules and 'tensorflow' not in sys.modules\n"
            "print(sorted(set(data.__all__) - set(dir(data))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False, cwd=pathlib.Path(__file__).resolve().parents[2],
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_lazy_names_resolve_to_their_modules():
    from infodl import data
    from infodl.data import cifar_input, twelve_bit

    assert data.make_train_pipeline is cifar_input.make_train_pipeline
    assert data.make_eval_pipeline is cifar_input.make_eval_pipeline
    assert data.load_var_u is twelve_bit.load_var_u
    assert DATASET_NAMES == DATASETS
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        data.missing  # noqa: B018

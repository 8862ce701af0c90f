"""Tests of the classic pickled MNIST reader (`mnist.pkl.gz`, issue #10)."""

import gzip
import pathlib
import pickle

import numpy as np
import pytest

from infodl.data import load_dataset
from infodl.data.local_files import read_local_dataset
from infodl.data.mnist_pickle import read_mnist_pickle
from tests.data.original_formats import (
    mnist_pickle_splits,
    write_mnist_pickle,
    write_pickle,
)

REAL_MNIST_PICKLE = pathlib.Path(__file__).resolve().parents[3] / "shared/data/mnist.pkl.gz"
# Per-class counts of the official MNIST training (60 000) and test (10 000) sets.
OFFICIAL_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
OFFICIAL_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def _assert_splits_equal(read, written):
    assert len(read) == 3
    for (images, labels), (expected_images, expected_labels) in zip(read, written, strict=True):
        assert images.dtype == np.uint8 and images.shape == expected_images.shape + (1,)
        assert labels.dtype == np.int64
        np.testing.assert_array_equal(images[..., 0], expected_images)
        np.testing.assert_array_equal(labels, expected_labels)


@pytest.mark.parametrize("scale", [256, 255])
@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_pixels_come_back_as_the_exact_original_bytes(tmp_path, scale, protocol):
    # The classic file stores v / 256 (max 0.99609375); v / 255 files are read too.
    splits = mnist_pickle_splits(np.random.default_rng(0))
    write_mnist_pickle(tmp_path / "mnist.pkl.gz", splits, scale=scale, protocol=protocol)
    read = read_mnist_pickle(tmp_path / "mnist.pkl.gz", expected_records=None)
    _assert_splits_equal(read, splits)
    assert read[0][0].min() == 0 and read[0][0].max() == 255


def test_uncompressed_or_misnamed_files_are_read(tmp_path):
    splits = mnist_pickle_splits(np.random.default_rng(1))
    write_mnist_pickle(tmp_path / "plain.pkl", splits, compress=False)
    _assert_splits_equal(read_mnist_pickle(tmp_path / "plain.pkl", None), splits)
    write_mnist_pickle(tmp_path / "gzipped_without_suffix.pkl", splits)  # found by magic
    _assert_splits_equal(read_mnist_pickle(tmp_path / "gzipped_without_suffix.pkl", None),
                         splits)


@pytest.mark.parametrize("where", ["folder", "subfolder", "file"])
def test_load_dataset_joins_train_and_validation(tmp_path, where):
    (train, validation, test) = splits = mnist_pickle_splits(np.random.default_rng(2))
    folder = tmp_path / "mnist" if where == "subfolder" else tmp_path
    folder.mkdir(exist_ok=True)
    write_mnist_pickle(folder / "mnist.pkl.gz", splits)
    data_dir = tmp_path / "mnist.pkl.gz" if where == "file" else tmp_path
    dataset = load_dataset("mnist", data_dir=data_dir, allow_partial_files=True)
    assert dataset.source == "local" and dataset.image_shape == (28, 28, 1)
    np.testing.assert_array_equal(dataset.x_train[:30, ..., 0], train[0])
    np.testing.assert_array_equal(dataset.x_train[30:, ..., 0], validation[0])
    np.testing.assert_array_equal(dataset.y_train,
                                  np.concatenate([train[1], validation[1]]))
    np.testing.assert_array_equal(dataset.x_test[..., 0], test[0])
    np.testing.assert_array_equal(dataset.y_test, test[1])


def test_original_counts_are_required_unless_partial_files_are_allowed(tmp_path):
    splits = mnist_pickle_splits(np.random.default_rng(3))
    path = tmp_path / "mnist.pkl.gz"
    write_mnist_pickle(path, splits)
    with pytest.raises(ValueError, match=r"^Partial file .*mnist\.pkl\.gz: expected 50000 "
                                         r"train images .*Received: 30 train images"):
        read_mnist_pickle(path)
    with pytest.raises(ValueError, match=r"mnist\.pkl\.gz: expected 50000 train images"):
        read_local_dataset("mnist", path)
    x_train = read_local_dataset("mnist", path, allow_partial_files=True)[0]
    assert x_train.shape == (40, 28, 28, 1)


def test_other_file_types_as_data_dir_are_refused(tmp_path):
    (tmp_path / "mnist.zip").write_bytes(b"PK")
    with pytest.raises(ValueError, match=r"one file ending in \.npz, \.pkl, \.pkl\.gz.*"
                                         r"mnist\.zip"):
        load_dataset("mnist", data_dir=tmp_path / "mnist.zip")
    with pytest.raises(ValueError, match=r"folder with the original cifar10 files\. "
                                         r"Received: .*mnist\.zip', a file"):
        load_dataset("cifar10", data_dir=tmp_path / "mnist.zip")


def _good_payload(rng=None):
    splits = mnist_pickle_splits(rng or np.random.default_rng(4))
    return [[images.reshape(len(images), -1).astype(np.float32) / 256, labels]
            for images, labels in splits]


@pytest.mark.parametrize("change, message", [
    (lambda p: {"train": p[0]}, r"tuple of 3 \(images, labels\) pairs.*Received: dict"),
    (lambda p: tuple(p[:2]), r"tuple of 3.*Received: tuple of 2"),
    (lambda p: (p[0], p[1], (p[2][0],)), r"tuple of 3.*tuple\[1\]"),
    (lambda p: (p[0], p[1], (p[2][0][:, :783], p[2][1])),
     r"test images float of shape \(N, 784\).*\(10, 783\)"),
    (lambda p: (((p[0][0] * 256).astype(np.uint8), p[0][1]), p[1], p[2]),
     r"train images float.*images uint8"),
    (lambda p: (p[0], (p[1][0], p[1][1].astype(np.float32)), p[2]),
     r"validation images.*labels float32"),
    (lambda p: (p[0], (p[1][0], p[1][1][:-1]), p[2]), r"validation.*labels int64 \(9,\)"),
    (lambda p: (p[0], p[1], (p[2][0] + np.float32(0.001), p[2][1])),
     r"pixels v / 256 \(or v / 255\).*such as"),
    (lambda p: (p[0], p[1], (p[2][0] * 2, p[2][1])), r"pixels v / 256.*1\.99"),
    (lambda p: ((np.where(p[0][0] > 0.5, np.nan, p[0][0]), p[0][1]), p[1], p[2]),
     r"pixels v / 256.*nan"),
    (lambda p: ((p[0][0] - 1, p[0][1]), p[1], p[2]), r"pixels v / 256.*-1\.0"),
    (lambda p: (p[0], p[1], (p[2][0], p[2][1] + 1)), r"Expected labels in \[0, 10\).*max=10"),
])
def test_wrong_structure_shape_dtype_or_range_is_one_error_naming_the_file(
        tmp_path, change, message):
    path = tmp_path / "mnist.pkl.gz"
    write_pickle(path, change(tuple(tuple(pair) for pair in _good_payload())))
    with pytest.raises(ValueError, match=rf"^Corrupt file {path}: .*{message}") as info:
        read_mnist_pickle(path, expected_records=None)
    assert "\n" not in str(info.value)


def test_truncated_or_tampered_files_fail_to_load_without_running_code(tmp_path):
    path = tmp_path / "mnist.pkl.gz"
    write_pickle(path, tuple(tuple(pair) for pair in _good_payload()))
    path.write_bytes(path.read_bytes()[:-100])  # cut gzip stream
    with pytest.raises(ValueError, match=r"mnist\.pkl\.gz: expected the pickled MNIST.*"
                                         r"fails to load \(EOFError"):
        read_mnist_pickle(path)
    marker = tmp_path / "pwned"
    with gzip.open(path, "wb") as handle:
        handle.write(f"cos\nsystem\n(S'touch {marker}'\ntR.".encode())
    with pytest.raises(ValueError, match=r"mnist\.pkl\.gz.*os\.system is not allowed"):
        load_dataset("mnist", data_dir=tmp_path)
    assert not marker.exists()
    (tmp_path / "mnist.pkl.gz").write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(ValueError, match=r"mnist\.pkl\.gz.*fails to load \(BadGzipFile"):
        read_mnist_pickle(tmp_path / "mnist.pkl.gz")


@pytest.mark.skipif(not REAL_MNIST_PICKLE.is_file(),
                    reason=f"the real MNIST pickle is not at {REAL_MNIST_PICKLE}")
def test_real_mnist_pickle_has_the_official_counts():
    dataset = load_dataset("mnist", data_dir=REAL_MNIST_PICKLE.parent)
    assert dataset.x_train.shape == (60000, 28, 28, 1)
    assert dataset.x_test.shape == (10000, 28, 28, 1)
    assert np.bincount(dataset.y_train).tolist() == OFFICIAL_TRAIN_COUNTS
    assert np.bincount(dataset.y_test).tolist() == OFFICIAL_TEST_COUNTS
    assert sum(OFFICIAL_TRAIN_COUNTS) == 60000 and sum(OFFICIAL_TEST_COUNTS) == 10000
    assert dataset.x_train.min() == 0 and dataset.x_train.max() == 255
    # Mean pixel of the MNIST training set: 0.1307 · 255 = 33.3 (the usual normalizer).
    assert abs(dataset.x_train.mean() / 255 - 0.1307) < 5e-4

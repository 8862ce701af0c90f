"""Local files of another image size are refused in one line naming the file and the
expected shape (issue 30, cases 7 and 15)."""

import gzip

import numpy as np
import pytest

from infodl.data.dataset import Dataset, load_dataset
from infodl.data.mnist_files import read_mnist_npz


def _npz(path, train_size=28, test_size=28):
    labels = np.arange(20) % 10
    np.savez(path, x_train=np.zeros((20, train_size, train_size), np.uint8), y_train=labels,
             x_test=np.zeros((20, test_size, test_size), np.uint8), y_test=labels)
    return path


def test_an_mnist_npz_of_20x20_images_is_refused(tmp_path):
    path = _npz(tmp_path / "mnist.npz", 20, 20)
    with pytest.raises(ValueError) as error:
        read_mnist_npz(path, None)
    message = str(error.value)
    assert message == (f"Corrupt file {path}: expected x_train uint8 of shape (N, 28, 28) and "
                       "N integer y_train. Received: x_train uint8 (20, 20, 20), y_train "
                       "int64 (20,)")
    with pytest.raises(ValueError, match=r"expected x_train uint8 of shape \(N, 28, 28\)"):
        load_dataset("mnist", data_dir=str(path), allow_partial_files=True)


def _idx(path, *sizes, body):
    header = bytes([0, 0, 8, len(sizes)]) + np.array(sizes, ">u4").tobytes()
    with gzip.open(path, "wb") as file:
        file.write(header + body)


def test_mnist_idx_files_of_20x20_images_are_refused(tmp_path):
    for split, count in (("train", 20), ("t10k", 20)):
        _idx(tmp_path / f"{split}-images-idx3-ubyte.gz", count, 20, 20,
             body=bytes(count * 400))
        _idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", count,
             body=bytes(np.arange(count) % 10))
    with pytest.raises(ValueError) as error:
        load_dataset("mnist", data_dir=str(tmp_path), allow_partial_files=True)
    assert str(error.value) == (
        f"Corrupt file {tmp_path / 'train-images-idx3-ubyte.gz'}: expected MNIST images of "
        "28 x 28 pixels. Received: images of shape (20, 20, 20)")


def test_a_shape_mismatch_names_both_arrays():
    labels = np.arange(10, dtype=np.int64)
    with pytest.raises(ValueError) as error:
        Dataset("x", "local", np.zeros((10, 20, 20, 1), np.uint8), labels,
                np.zeros((10, 24, 24, 1), np.uint8), labels, 10)
    assert str(error.value) == ("Expected x_train and x_test images of one shape. Received: "
                                "x_train (20, 20, 1), x_test (24, 24, 1)")

"""Tests of the MNIST idx and npz readers on files in the original formats."""

import gzip

import numpy as np
import pytest

from infodl.data.mnist_files import read_idx, read_mnist_idx_pair, read_mnist_npz
from tests.data.original_formats import idx_bytes, write_idx


def test_idx_header_is_big_endian_and_values_row_major(tmp_path):
    # 2 images of 3×4 written byte by byte as in the MNIST page.
    header = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4])
    (tmp_path / "images").write_bytes(header + bytes(range(24)))
    array = read_idx(tmp_path / "images", 3)
    assert array.shape == (2, 3, 4) and array.dtype == np.uint8
    assert array[1, 2, 3] == 23 and array[0, 1, 0] == 4


@pytest.mark.parametrize("gz", [True, False])
def test_idx_pair_round_trip(tmp_path, gz):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 7)
    suffix = ".gz" if gz else ""
    write_idx(tmp_path / f"i{suffix}", images)
    write_idx(tmp_path / f"l{suffix}", labels)
    read_images, read_labels = read_mnist_idx_pair(tmp_path / f"i{suffix}",
                                                   tmp_path / f"l{suffix}")
    np.testing.assert_array_equal(read_images, images[..., None])
    np.testing.assert_array_equal(read_labels, labels)
    assert read_labels.dtype == np.int64


def test_idx_errors_name_the_file(tmp_path):
    bad_magic = tmp_path / "train-images-idx3-ubyte"
    bad_magic.write_bytes(bytes([0, 0, 0x0D, 3]) + bytes(12))  # float type
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.*00 00 0d 03"):
        read_idx(bad_magic, 3)
    truncated = tmp_path / "t10k-labels-idx1-ubyte"
    truncated.write_bytes(idx_bytes(np.arange(10))[:-3])
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte.*expected 18 bytes.*15"):
        read_idx(truncated, 1)
    broken_gz = tmp_path / "train-labels-idx1-ubyte.gz"
    broken_gz.write_bytes(gzip.compress(idx_bytes(np.arange(10)))[:-6])
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte\.gz"):
        read_idx(broken_gz, 1)


def test_idx_pair_checks_counts_and_label_range(tmp_path):
    write_idx(tmp_path / "images", np.zeros((3, 28, 28), np.uint8))
    write_idx(tmp_path / "labels", np.array([1, 2]))
    with pytest.raises(ValueError, match="3 images, 2 labels"):
        read_mnist_idx_pair(tmp_path / "images", tmp_path / "labels")
    write_idx(tmp_path / "labels", np.array([1, 2, 11]))
    with pytest.raises(ValueError, match=r"labels.*\[0, 10\).*max=11"):
        read_mnist_idx_pair(tmp_path / "images", tmp_path / "labels")


def test_npz_round_trip_and_errors(tmp_path):
    rng = np.random.default_rng(1)
    arrays = {"x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 5).astype(np.uint8),
              "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 3).astype(np.uint8)}
    np.savez(tmp_path / "mnist.npz", **arrays)
    x_train, y_train, x_test, y_test = read_mnist_npz(tmp_path / "mnist.npz",
                                                      expected_records=None)
    np.testing.assert_array_equal(x_train[..., 0], arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert x_test.shape == (3, 28, 28, 1) and y_train.dtype == np.int64

    np.savez(tmp_path / "partial.npz", x_train=arrays["x_train"])
    with pytest.raises(ValueError, match=r"partial\.npz.*keys.*\['x_train'\]"):
        read_mnist_npz(tmp_path / "partial.npz", expected_records=None)
    np.savez(tmp_path / "floats.npz", **{**arrays, "x_test": np.zeros((3, 28, 28))})
    with pytest.raises(ValueError, match=r"floats\.npz.*x_test float64"):
        read_mnist_npz(tmp_path / "floats.npz", expected_records=None)
    (tmp_path / "cut.npz").write_bytes((tmp_path / "mnist.npz").read_bytes()[:100])
    with pytest.raises(ValueError, match=r"cut\.npz.*fails to load"):
        read_mnist_npz(tmp_path / "cut.npz", expected_records=None)

"""Tests of the CIFAR binary and python-pickle readers on files in the original formats."""

import pickle

import numpy as np
import pytest

from infodl.data.cifar_files import read_cifar_binary, read_cifar_pickle
from tests.data.original_formats import (
    random_images,
    write_cifar_binary,
    write_cifar_pickle,
)


def test_binary_record_layout_is_label_then_red_green_blue_planes(tmp_path):
    image_bytes = (np.arange(3072) % 251).astype(np.uint8)
    path = tmp_path / "data_batch_1.bin"
    np.concatenate([[7], image_bytes]).astype(np.uint8).tofile(path)
    images, labels = read_cifar_binary(path, label_bytes=1, num_classes=10)
    assert images.shape == (1, 32, 32, 3) and images.dtype == np.uint8
    assert labels.tolist() == [7] and labels.dtype == np.int64
    for row, col, channel in [(0, 0, 0), (0, 1, 0), (1, 0, 0), (0, 0, 1), (31, 31, 2)]:
        offset = channel * 1024 + row * 32 + col
        assert images[0, row, col, channel] == offset % 251


def test_cifar100_binary_uses_the_fine_label_byte(tmp_path):
    rng = np.random.default_rng(0)
    images = random_images(rng, 5)
    fine, coarse = np.array([99, 0, 42, 7, 63]), np.array([19, 0, 3, 1, 12])
    write_cifar_binary(tmp_path / "train.bin", images, fine, coarse_labels=coarse)
    read_images, labels = read_cifar_binary(tmp_path / "train.bin", 2, 100)
    np.testing.assert_array_equal(labels, fine)
    np.testing.assert_array_equal(read_images, images)


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_pickle_batches_round_trip(tmp_path, protocol):
    rng = np.random.default_rng(1)
    images, labels = random_images(rng, 6), rng.integers(0, 10, 6)
    write_cifar_pickle(tmp_path / "data_batch_1", images, labels, protocol=protocol)
    read_images, read_labels = read_cifar_pickle(tmp_path / "data_batch_1", "labels", 10)
    np.testing.assert_array_equal(read_images, images)
    np.testing.assert_array_equal(read_labels, labels)
    assert read_labels.dtype == np.int64


def test_truncated_binary_names_the_file(tmp_path):
    path = tmp_path / "data_batch_3.bin"
    np.zeros(2 * 3073 - 5, np.uint8).tofile(path)
    with pytest.raises(ValueError, match=r"data_batch_3\.bin.*3073-byte record.*6141"):
        read_cifar_binary(path, 1, 10)
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="data_batch_3.bin"):
        read_cifar_binary(path, 1, 10)


def test_label_out_of_range_names_the_file(tmp_path):
    rng = np.random.default_rng(2)
    write_cifar_binary(tmp_path / "test_batch.bin", random_images(rng, 3), [1, 10, 2])
    with pytest.raises(ValueError, match=r"test_batch\.bin: Expected labels in \[0, 10\).*max=10"):
        read_cifar_binary(tmp_path / "test_batch.bin", 1, 10)
    write_cifar_pickle(tmp_path / "test", random_images(rng, 2), [5, 100], "fine_labels")
    with pytest.raises(ValueError, match=r"test.*\[0, 100\)"):
        read_cifar_pickle(tmp_path / "test", "fine_labels", 100)


def test_corrupt_or_foreign_pickles_name_the_file(tmp_path):
    garbage = tmp_path / "data_batch_2"
    garbage.write_bytes(b"\x80\x02}q\x00(X\x04\x00")  # cut-off pickle
    with pytest.raises(ValueError, match="data_batch_2.*fails to load"):
        read_cifar_pickle(garbage, "labels", 10)
    hostile = tmp_path / "test_batch"
    hostile.write_bytes(b"cos\nsystem\n(S'echo pwned'\ntR.")  # os.system call
    with pytest.raises(ValueError, match="test_batch.*os.system is not allowed"):
        read_cifar_pickle(hostile, "labels", 10)
    no_labels = tmp_path / "train"
    with open(no_labels, "wb") as handle:
        pickle.dump({b"data": np.zeros((1, 3072), np.uint8)}, handle)
    with pytest.raises(ValueError, match="train.*'fine_labels'"):
        read_cifar_pickle(no_labels, "fine_labels", 100)
    wrong_width = tmp_path / "data_batch_4"
    with open(wrong_width, "wb") as handle:
        pickle.dump({b"data": np.zeros((2, 3000), np.uint8), b"labels": [0, 1]}, handle)
    with pytest.raises(ValueError, match=r"data_batch_4.*\(N, 3072\).*\(2, 3000\)"):
        read_cifar_pickle(wrong_width, "labels", 10)

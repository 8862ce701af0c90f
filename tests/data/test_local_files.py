"""Tests of finding and reading the original CIFAR / MNIST files in a local folder."""

import numpy as np
import pytest

from infodl.data import load_dataset
from infodl.data.local_files import read_local_dataset
from tests.data.original_formats import (
    random_images,
    write_cifar_binary,
    write_cifar_pickle,
    write_mnist_idx,
)


def _cifar10_batches(rng, per_batch=3):
    return [(random_images(rng, per_batch), rng.integers(0, 10, per_batch))
            for _ in range(6)]  # data_batch_1..5, then test_batch


def _assert_cifar10(arrays, batches):
    x_train, y_train, x_test, y_test = arrays
    np.testing.assert_array_equal(x_train, np.concatenate([b[0] for b in batches[:5]]))
    np.testing.assert_array_equal(y_train, np.concatenate([b[1] for b in batches[:5]]))
    np.testing.assert_array_equal(x_test, batches[5][0])
    np.testing.assert_array_equal(y_test, batches[5][1])


@pytest.mark.parametrize("subfolder", ["", "cifar-10-batches-bin"])
def test_cifar10_binary_in_folder_or_usual_subfolder(tmp_path, subfolder):
    rng = np.random.default_rng(0)
    batches = _cifar10_batches(rng)
    folder = tmp_path / subfolder
    folder.mkdir(exist_ok=True)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    for name, (images, labels) in zip(names, batches, strict=True):
        write_cifar_binary(folder / name, images, labels)
    _assert_cifar10(read_local_dataset("cifar10", tmp_path, allow_partial_files=True),
                    batches)


def test_cifar10_python_batches(tmp_path):
    rng = np.random.default_rng(1)
    batches = _cifar10_batches(rng)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name, (images, labels) in zip(names, batches, strict=True):
        write_cifar_pickle(folder / name, images, labels)
    _assert_cifar10(read_local_dataset("cifar10", tmp_path, allow_partial_files=True),
                    batches)


@pytest.mark.parametrize("layout", ["cifar-100-binary", "cifar-100-python"])
def test_cifar100_fine_labels(tmp_path, layout):
    rng = np.random.default_rng(2)
    folder = tmp_path / layout
    folder.mkdir()
    splits = {}
    for split, count in (("train", 8), ("test", 4)):
        images, fine = random_images(rng, count), rng.integers(0, 100, count)
        coarse = fine // 5
        if layout.endswith("binary"):
            write_cifar_binary(folder / f"{split}.bin", images, fine, coarse_labels=coarse)
        else:
            write_cifar_pickle(folder / split, images, fine, "fine_labels",
                               coarse_labels=coarse)
        splits[split] = (images, fine)
    dataset = load_dataset("cifar100", data_dir=str(tmp_path), allow_partial_files=True)
    assert dataset.source == "local" and dataset.num_classes == 100
    np.testing.assert_array_equal(dataset.x_train, splits["train"][0])
    np.testing.assert_array_equal(dataset.y_train, splits["train"][1])
    np.testing.assert_array_equal(dataset.y_test, splits["test"][1])


def test_mnist_idx_gz_and_npz(tmp_path):
    rng = np.random.default_rng(3)
    x_train = rng.integers(0, 256, (40, 28, 28), dtype=np.uint8)
    y_train = np.arange(40) % 10
    x_test = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    y_test = rng.integers(0, 10, 6)
    write_mnist_idx(tmp_path, x_train, y_train, x_test, y_test, gz=True)
    dataset = load_dataset("mnist", data_dir=tmp_path, train_fraction=0.5, seed=4,
                           allow_partial_files=True)
    assert dataset.image_shape == (28, 28, 1) and dataset.source == "local"
    assert np.bincount(dataset.y_train).tolist() == [2] * 10
    np.testing.assert_array_equal(dataset.x_test[..., 0], x_test)

    npz_folder = tmp_path / "other" / "mnist"
    npz_folder.mkdir(parents=True)
    np.savez(npz_folder / "mnist.npz", x_train=x_train, y_train=y_train,
             x_test=x_test, y_test=y_test)
    x_tr, _y_tr, _x_te, y_te = read_local_dataset("mnist", tmp_path / "other",
                                                allow_partial_files=True)
    np.testing.assert_array_equal(x_tr[..., 0], x_train)
    np.testing.assert_array_equal(y_te, y_test)


def test_missing_folder_is_named(tmp_path):
    missing = tmp_path / "no_such_folder"
    with pytest.raises(FileNotFoundError, match="no_such_folder.*does not exist"):
        load_dataset("cifar10", data_dir=str(missing))


def test_folder_without_files_lists_what_was_looked_for(tmp_path):
    (tmp_path / "readme.txt").write_text("nothing here")
    with pytest.raises(FileNotFoundError) as info:
        read_local_dataset("cifar10", tmp_path)
    message = str(info.value)
    for expected in ("data_batch_1.bin", "test_batch.bin", "data_batch_5",
                     "cifar-10-batches-bin", "cifar-10-batches-py"):
        assert expected in message
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.*gz"):
        read_local_dataset("mnist", tmp_path)


def test_incomplete_set_lists_missing_files(tmp_path):
    rng = np.random.default_rng(5)
    for i in (1, 2, 4):
        write_cifar_binary(tmp_path / f"data_batch_{i}.bin", random_images(rng, 1), [0])
    with pytest.raises(FileNotFoundError,
                       match=r"Incomplete CIFAR-10 binary.*'data_batch_3\.bin', "
                             r"'data_batch_5\.bin', 'test_batch\.bin'\]"):
        read_local_dataset("cifar10", tmp_path)


def test_corrupt_file_in_folder_is_named(tmp_path):
    rng = np.random.default_rng(6)
    write_cifar_binary(tmp_path / "train.bin", random_images(rng, 2), [1, 2], [0, 0])
    (tmp_path / "test.bin").write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match=r"test\.bin.*3074-byte record"):
        load_dataset("cifar100", data_dir=tmp_path, allow_partial_files=True)

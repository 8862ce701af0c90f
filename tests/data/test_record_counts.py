"""Bad data does not train silently (issue #8): record counts and single-class splits."""

import numpy as np
import pytest

from infodl.data import load_dataset
from infodl.data.cifar_files import read_cifar_binary, read_cifar_pickle
from infodl.data.file_checks import check_record_count
from infodl.data.local_files import read_local_dataset
from infodl.data.mnist_files import read_mnist_idx_pair
from tests.data.original_formats import (
    mnist_pickle_splits,
    random_images,
    write_cifar_binary,
    write_cifar_pickle,
    write_idx,
    write_mnist_idx,
    write_mnist_pickle,
)

CIFAR10_BIN = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
CIFAR10_PY = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def _balanced(rng, count, num_classes=10):
    return rng.permutation(np.arange(count) % num_classes)


def _write_format(folder, fmt, rng):
    """Writes a small, valid, multi-class file set; returns (file named in the error,
    expected count in the message, received count, training set size)."""
    if fmt == "cifar10-bin":
        for name in CIFAR10_BIN:
            write_cifar_binary(folder / name, random_images(rng, 20), _balanced(rng, 20))
        return "data_batch_1.bin", 10000, 20, 100
    if fmt == "cifar10-py":
        for name in CIFAR10_PY:
            write_cifar_pickle(folder / name, random_images(rng, 20), _balanced(rng, 20))
        return "data_batch_1", 10000, 20, 100
    if fmt in ("cifar100-bin", "cifar100-py"):
        for split, count in (("train", 200), ("test", 100)):
            fine = _balanced(rng, count, 100)
            if fmt == "cifar100-bin":
                write_cifar_binary(folder / f"{split}.bin", random_images(rng, count), fine,
                                   coarse_labels=fine // 5)
            else:
                write_cifar_pickle(folder / split, random_images(rng, count), fine,
                                   "fine_labels")
        return "train.bin" if fmt == "cifar100-bin" else "train", 50000, 200, 200
    if fmt in ("mnist-idx", "mnist-npz"):
        arrays = (random_images(rng, 30, (28, 28)), _balanced(rng, 30),
                  random_images(rng, 20, (28, 28)), _balanced(rng, 20))
        if fmt == "mnist-idx":
            write_mnist_idx(folder, *arrays, gz=True)
            return "train-images-idx3-ubyte.gz", 60000, 30, 30
        np.savez(folder / "mnist.npz", **dict(zip(("x_train", "y_train", "x_test",
                                                   "y_test"), arrays, strict=True)))
        return "mnist.npz", 60000, 30, 30
    write_mnist_pickle(folder / "mnist.pkl.gz", mnist_pickle_splits(rng, (30, 20, 10)))
    return "mnist.pkl.gz", 50000, 30, 50


FORMATS = ["cifar10-bin", "cifar10-py", "cifar100-bin", "cifar100-py", "mnist-idx",
           "mnist-npz", "mnist-pkl"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_other_record_count_is_refused_in_one_line_naming_the_file(tmp_path, fmt):
    name = fmt.split("-")[0]
    file_name, expected, received, num_train = _write_format(tmp_path, fmt,
                                                             np.random.default_rng(0))
    with pytest.raises(ValueError) as info:
        load_dataset(name, data_dir=tmp_path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"Partial file {tmp_path / file_name}: expected {expected} ")
    assert f"Received: {received} " in message
    assert message.endswith("pass allow_partial_files=True")

    dataset = load_dataset(name, data_dir=tmp_path, allow_partial_files=True)
    assert len(dataset.y_train) == num_train and dataset.source == "local"


def test_issue_8_zero_filled_cifar10_files_do_not_train(tmp_path):
    # Six zero-filled files of 10 records each trained with exit 0 and accuracy 1.0.
    for name in CIFAR10_BIN:
        (tmp_path / name).write_bytes(bytes(10 * 3073))
    with pytest.raises(ValueError, match=r"data_batch_1\.bin: expected 10000 records .*"
                                         r"Received: 10 records"):
        load_dataset("cifar10", data_dir=tmp_path)
    # Allowed as partial files, they are still refused: every label is class 0.
    with pytest.raises(ValueError, match=r"Expected the train split of 'cifar10' read from "
                                         r".* at least 2 classes\. Received: 50 train "
                                         r"labels, all of class 0"):
        load_dataset("cifar10", data_dir=tmp_path, allow_partial_files=True)


def test_single_class_test_split_is_refused(tmp_path):
    rng = np.random.default_rng(1)
    write_mnist_idx(tmp_path, random_images(rng, 20, (28, 28)), _balanced(rng, 20),
                    random_images(rng, 5, (28, 28)), np.full(5, 7), gz=False)
    with pytest.raises(ValueError, match=r"test split of 'mnist'.*5 test labels, all of "
                                         r"class 7"):
        load_dataset("mnist", data_dir=tmp_path, allow_partial_files=True)


def test_train_fraction_keeps_every_class_or_is_refused():
    # A stratified subset keeps every class; a fraction too small for one example of
    # each class is refused, naming the smallest that works (issue 18).
    dataset = load_dataset("synthetic", synthetic_sizes=(100, 20), train_fraction=0.1)
    assert np.unique(dataset.y_train).tolist() == list(range(10))
    with pytest.raises(ValueError, match=r"Expected train_fraction >= 0.1,.*Received: "
                                         r"train_fraction=0.05, 5 example\(s\)"):
        load_dataset("synthetic", synthetic_sizes=(100, 20), train_fraction=0.05)


def test_readers_accept_the_expected_count_and_refuse_others(tmp_path):
    rng = np.random.default_rng(2)
    write_cifar_binary(tmp_path / "b.bin", random_images(rng, 3), [0, 1, 2])
    assert len(read_cifar_binary(tmp_path / "b.bin", 1, 10, expected_records=3)[1]) == 3
    with pytest.raises(ValueError, match=r"b\.bin: expected 4 records.*Received: 3"):
        read_cifar_binary(tmp_path / "b.bin", 1, 10, expected_records=4)
    write_cifar_pickle(tmp_path / "p", random_images(rng, 3), [0, 1, 2])
    assert len(read_cifar_pickle(tmp_path / "p", "labels", 10, expected_records=3)[1]) == 3
    with pytest.raises(ValueError, match=r"p: expected 2 records.*Received: 3"):
        read_cifar_pickle(tmp_path / "p", "labels", 10, expected_records=2)
    write_idx(tmp_path / "i", random_images(rng, 3, (28, 28)))
    write_idx(tmp_path / "l", np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"/l: expected 3 labels.*Received: 4 labels"):
        read_mnist_idx_pair(tmp_path / "i", tmp_path / "l", expected_records=3)
    with pytest.raises(ValueError, match=r"/i: expected 4 images.*Received: 3 images"):
        read_mnist_idx_pair(tmp_path / "i", tmp_path / "l", expected_records=4)
    check_record_count(10000, 10000, "any")
    check_record_count(7, None, "any")


def test_allow_partial_files_must_be_a_bool(tmp_path):
    with pytest.raises(ValueError, match="allow_partial_files to be True or False"):
        load_dataset("cifar10", data_dir=tmp_path, allow_partial_files="yes")
    with pytest.raises(ValueError, match="allow_partial_files to be True or False"):
        read_local_dataset("mnist", tmp_path, allow_partial_files=1)

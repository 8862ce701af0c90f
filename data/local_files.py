"""Finds and reads the original CIFAR-10/100 and MNIST files in a local folder.

Recognised layouts (each also inside its usual sub-folder of `data_dir`), with the
record counts of the original files:

    cifar10   data_batch_{1..5}.bin, test_batch.bin        (cifar-10-batches-bin/)
              data_batch_{1..5}, test_batch                 (cifar-10-batches-py/)
              10 000 records per file
    cifar100  train.bin, test.bin (coarse + fine label)     (cifar-100-binary/)
              train, test (python pickles, fine_labels)     (cifar-100-python/)
              50 000 train, 10 000 test
    mnist     mnist.npz                                     (mnist/)
              {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]  (mnist/, MNIST/raw/)
              mnist.pkl[.gz] (train, validation, test)      (mnist/)
              60 000 train (pickle: 50 000 + 10 000 validation), 10 000 test

For mnist, `data_dir` may also be the `.npz` or `.pkl[.gz]` file itself. A file with
another record count than the original is refused unless allow_partial_files=True.
"""

import pathlib
from collections.abc import Callable
from typing import NamedTuple

from infodl.data.cifar_files import concatenate_batches, read_cifar_binary, read_cifar_pickle
from infodl.data.file_checks import check_flag
from infodl.data.mnist_files import (
    MNIST_NPZ_RECORDS,
    MNIST_TEST_RECORDS,
    MNIST_TRAIN_RECORDS,
    read_mnist_idx_pair,
    read_mnist_npz,
)
from infodl.data.mnist_pickle import MNIST_PICKLE_RECORDS, read_mnist_pickle


class _FileLayout(NamedTuple):
    description: str
    subfolders: tuple
    file_names: tuple
    read: Callable  # ({file name: path}, allow_partial_files) -> (x_train, y_train, ...)
    gzip_allowed: bool = False
    file_suffixes: tuple = ()  # a data_dir that is one file ending so uses this layout


def _train_test_reader(train_names, test_names, read_one, train_records, test_records):
    """Reads and joins the train files, then the test files; each file of the original
    set holds train_records (test_records) records."""
    def read(paths, allow_partial_files):
        def count(records):
            return None if allow_partial_files else records

        train = concatenate_batches([read_one(paths[name], count(train_records))
                                     for name in train_names])
        test = concatenate_batches([read_one(paths[name], count(test_records))
                                    for name in test_names])
        return train + test
    return read


def _cifar_layouts(bin_train, bin_test, py_train, py_test, subfolders, label_bytes,
                   label_key, num_classes, title, records):
    def read_bin(path, expected_records):
        return read_cifar_binary(path, label_bytes, num_classes, expected_records)

    def read_py(path, expected_records):
        return read_cifar_pickle(path, label_key, num_classes, expected_records)

    return [
        _FileLayout(f"{title} binary", (subfolders[0],), bin_train + bin_test,
                    _train_test_reader(bin_train, bin_test, read_bin, *records)),
        _FileLayout(f"{title} python", (subfolders[1],), py_train + py_test,
                    _train_test_reader(py_train, py_test, read_py, *records)),
    ]


_CIFAR10_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
_MNIST_IDX = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _read_mnist_idx(paths, allow_partial_files):
    train = read_mnist_idx_pair(paths[_MNIST_IDX[0]], paths[_MNIST_IDX[1]],
                                None if allow_partial_files else MNIST_TRAIN_RECORDS)
    test = read_mnist_idx_pair(paths[_MNIST_IDX[2]], paths[_MNIST_IDX[3]],
                               None if allow_partial_files else MNIST_TEST_RECORDS)
    return train + test


def _read_mnist_npz(paths, allow_partial_files):
    return read_mnist_npz(paths["mnist.npz"],
                          None if allow_partial_files else MNIST_NPZ_RECORDS)


def _read_mnist_pickle(paths, allow_partial_files):
    """Train and validation joined: the official 60 000 training images."""
    train, validation, test = read_mnist_pickle(
        paths["mnist.pkl"], None if allow_partial_files else MNIST_PICKLE_RECORDS)
    return concatenate_batches([train, validation]) + test


LOCAL_LAYOUTS = {
    "cifar10": _cifar_layouts(
        tuple(f"{n}.bin" for n in _CIFAR10_BATCHES), ("test_batch.bin",),
        _CIFAR10_BATCHES, ("test_batch",), ("cifar-10-batches-bin", "cifar-10-batches-py"),
        label_bytes=1, label_key="labels", num_classes=10, title="CIFAR-10",
        records=(10000, 10000)),
    "cifar100": _cifar_layouts(
        ("train.bin",), ("test.bin",), ("train",), ("test",),
        ("cifar-100-binary", "cifar-100-python"),
        label_bytes=2, label_key="fine_labels", num_classes=100, title="CIFAR-100",
        records=(50000, 10000)),
    "mnist": [
        _FileLayout("MNIST npz", ("mnist",), ("mnist.npz",), _read_mnist_npz,
                    file_suffixes=(".npz",)),
        _FileLayout("MNIST idx", ("mnist", "MNIST/raw"), _MNIST_IDX, _read_mnist_idx,
                    gzip_allowed=True),
        _FileLayout("MNIST pickle", ("mnist",), ("mnist.pkl",), _read_mnist_pickle,
                    gzip_allowed=True, file_suffixes=(".pkl", ".pkl.gz")),
    ],
}


def _find(folder, name, gzip_allowed):
    for candidate in (name, name + ".gz") if gzip_allowed else (name,):
        if (folder / candidate).is_file():
            return folder / candidate
    return None


def _read_single_file(name, path, allow_partial_files):
    for layout in LOCAL_LAYOUTS[name]:
        if layout.file_suffixes and path.name.endswith(layout.file_suffixes):
            return layout.read({layout.file_names[0]: path}, allow_partial_files)
    suffixes = [suffix for layout in LOCAL_LAYOUTS[name] for suffix in layout.file_suffixes]
    raise ValueError(
        f"Expected data_dir to be a folder with the original {name} files"
        + (f" or one file ending in {', '.join(suffixes)}" if suffixes else "")
        + f". Received: data_dir={str(path)!r}, a file")


def read_local_dataset(name, data_dir, allow_partial_files=False):
    """Reads the original files of `name` from `data_dir` (or its usual sub-folders).

    Each file must hold the record count of the original (10 000 per CIFAR-10 file,
    50 000 / 10 000 for CIFAR-100, 60 000 / 10 000 for MNIST, 50 000 / 10 000 /
    10 000 in the MNIST pickle), so that a file cut at a record boundary does not
    train silently; allow_partial_files=True reads subset files made on purpose.

    Args:
        name: "cifar10", "cifar100" or "mnist".
        data_dir: folder holding the files (see the module docstring for layouts);
            for "mnist" also the `mnist.npz` or `mnist.pkl[.gz]` file itself.
        allow_partial_files: accept files with other record counts than the originals.

    Returns:
        (x_train, y_train, x_test, y_test): uint8 N×H×W×C images, int64 labels
        (CIFAR-100: fine labels; MNIST pickle: train + validation as x_train).

    Raises:
        FileNotFoundError: `data_dir` is missing, or holds no complete layout (the
            message lists the files looked for, or those missing from a partial set).
        ValueError: a file is truncated, corrupt or (unless allow_partial_files)
            holds another record count than the original (one line naming the file);
            data_dir is a file of no known format.

    Example:
        >>> import os
        >>> from infodl.data.local_files import read_local_dataset
        >>> os.makedirs("cifar")  # CIFAR-10 binary files, 2 records each
        >>> for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        ...     np.zeros((2, 1 + 3072), np.uint8).tofile(os.path.join("cifar", name))
        >>> read_local_dataset("cifar10", "cifar")
        Traceback (most recent call last):
        ValueError: Partial file cifar/data_batch_1.bin: expected 10000 records ...
        >>> x_train, y_train, x_test, y_test = read_local_dataset("cifar10", "cifar",
        ...                                                       allow_partial_files=True)
        >>> x_train.shape, x_test.shape
        ((10, 32, 32, 3), (2, 32, 32, 3))

    Reference: the CIFAR and MNIST distribution formats.
    """
    if name not in LOCAL_LAYOUTS:
        raise ValueError(
            f"Expected name in {sorted(LOCAL_LAYOUTS)} for local files. "
            f"Received: name={name!r}")
    allow_partial_files = check_flag(allow_partial_files, "allow_partial_files")
    folder = pathlib.Path(data_dir).expanduser()
    if folder.is_file():
        return _read_single_file(name, folder, allow_partial_files)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"Expected data_dir to be a folder with the original {name} files. "
            f"Received: data_dir={str(data_dir)!r}, which does not exist")
    incomplete = None
    for layout in LOCAL_LAYOUTS[name]:
        for candidate in [folder] + [folder / sub for sub in layout.subfolders]:
            paths = {n: _find(candidate, n, layout.gzip_allowed)
                     for n in layout.file_names}
            missing = [n for n, path in paths.items() if path is None]
            if not missing:
                return layout.read(paths, allow_partial_files)
            if len(missing) < len(paths) and incomplete is None:
                incomplete = (layout.description, candidate, missing)
    if incomplete is not None:
        description, candidate, missing = incomplete
        raise FileNotFoundError(
            f"Incomplete {description} files in {candidate}: missing {missing}")
    looked_for = "; ".join(
        f"{layout.description}: {', '.join(layout.file_names)}"
        + (" (optionally .gz)" if layout.gzip_allowed else "")
        + f" in {folder} or {', '.join(layout.subfolders)}/"
        for layout in LOCAL_LAYOUTS[name])
    raise FileNotFoundError(
        f"No {name} files found in {folder}. Looked for {looked_for}")

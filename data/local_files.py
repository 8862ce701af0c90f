"""Finds and reads the original CIFAR-10/100 and MNIST files in a local folder.

Recognised layouts (each also inside its usual sub-folder of `data_dir`):

    cifar10   data_batch_{1..5}.bin, test_batch.bin        (cifar-10-batches-bin/)
              data_batch_{1..5}, test_batch                 (cifar-10-batches-py/)
    cifar100  train.bin, test.bin (coarse + fine label)     (cifar-100-binary/)
              train, test (python pickles, fine_labels)     (cifar-100-python/)
    mnist     mnist.npz                                     (mnist/)
              {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]  (mnist/, MNIST/raw/)
"""

import pathlib
from typing import Callable, NamedTuple

from data.cifar_files import concatenate_batches, read_cifar_binary, read_cifar_pickle
from data.mnist_files import read_mnist_idx_pair, read_mnist_npz


class _FileLayout(NamedTuple):
    description: str
    subfolders: tuple
    file_names: tuple
    read: Callable  # {file name: path} -> (x_train, y_train, x_test, y_test)
    gzip_allowed: bool = False


def _train_test_reader(train_names, test_names, read_one):
    def read(paths):
        train = concatenate_batches([read_one(paths[name]) for name in train_names])
        test = concatenate_batches([read_one(paths[name]) for name in test_names])
        return train + test
    return read


def _cifar_layouts(bin_train, bin_test, py_train, py_test, subfolders, label_bytes,
                   label_key, num_classes, title):
    def read_bin(path):
        return read_cifar_binary(path, label_bytes, num_classes)

    def read_py(path):
        return read_cifar_pickle(path, label_key, num_classes)

    return [
        _FileLayout(f"{title} binary", (subfolders[0],), bin_train + bin_test,
                    _train_test_reader(bin_train, bin_test, read_bin)),
        _FileLayout(f"{title} python", (subfolders[1],), py_train + py_test,
                    _train_test_reader(py_train, py_test, read_py)),
    ]


_CIFAR10_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
_MNIST_IDX = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _read_mnist_idx(paths):
    train = read_mnist_idx_pair(paths[_MNIST_IDX[0]], paths[_MNIST_IDX[1]])
    test = read_mnist_idx_pair(paths[_MNIST_IDX[2]], paths[_MNIST_IDX[3]])
    return train + test


LOCAL_LAYOUTS = {
    "cifar10": _cifar_layouts(
        tuple(f"{n}.bin" for n in _CIFAR10_BATCHES), ("test_batch.bin",),
        _CIFAR10_BATCHES, ("test_batch",), ("cifar-10-batches-bin", "cifar-10-batches-py"),
        label_bytes=1, label_key="labels", num_classes=10, title="CIFAR-10"),
    "cifar100": _cifar_layouts(
        ("train.bin",), ("test.bin",), ("train",), ("test",),
        ("cifar-100-binary", "cifar-100-python"),
        label_bytes=2, label_key="fine_labels", num_classes=100, title="CIFAR-100"),
    "mnist": [
        _FileLayout("MNIST npz", ("mnist",), ("mnist.npz",),
                    lambda paths: read_mnist_npz(paths["mnist.npz"])),
        _FileLayout("MNIST idx", ("mnist", "MNIST/raw"), _MNIST_IDX, _read_mnist_idx,
                    gzip_allowed=True),
    ],
}


def _find(folder, name, gzip_allowed):
    for candidate in (name, name + ".gz") if gzip_allowed else (name,):
        if (folder / candidate).is_file():
            return folder / candidate
    return None


def read_local_dataset(name, data_dir):
    """Reads the original files of `name` from `data_dir` (or its usual sub-folders).

    Args:
        name: "cifar10", "cifar100" or "mnist".
        data_dir: folder holding the files (see the module docstring for layouts).

    Returns:
        (x_train, y_train, x_test, y_test): uint8 N×H×W×C images, int64 labels
        (CIFAR-100: fine labels).

    Raises:
        FileNotFoundError: `data_dir` is missing, or holds no complete layout (the
            message lists the files looked for, or those missing from a partial set).
        ValueError: a file is truncated or corrupt (the message names it).

    Example:
        >>> x_train, y_train, x_test, y_test = read_local_dataset("cifar10", "~/cifar")

    Reference: SPEC §10 (offline data sources).
    """
    if name not in LOCAL_LAYOUTS:
        raise ValueError(
            f"Expected name in {sorted(LOCAL_LAYOUTS)} for local files. "
            f"Received: name={name!r}")
    folder = pathlib.Path(data_dir).expanduser()
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
                return layout.read(paths)
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

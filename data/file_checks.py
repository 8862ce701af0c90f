"""Checks shared by the readers of the original CIFAR / MNIST files.

Every failure is one `ValueError` whose message names the file:

- `load_restricted_pickle`: unpickles with a whitelist of NumPy globals, so that a
  tampered file cannot run code, and turns any load failure (truncated gzip, cut-off
  pickle, foreign global) into "Corrupt file <path>: ...";
- `check_record_count`: the original files have known record counts (10 000 per
  CIFAR-10 batch, 50 000 / 10 000 for CIFAR-100, 60 000 / 10 000 for MNIST); a file
  cut at a record boundary is refused unless the caller allows partial files;
- `check_image_arrays`: N images of the stored shape and dtype beside N integer labels;
- `check_labels`: integer labels in [0, num_classes) (`infodl.checks.check_class_labels`).

Reference: the CIFAR and MNIST distribution formats (bad data must not train silently).
"""

import gzip
import pickle

import numpy as np

from infodl.checks import check_class_labels

PARTIAL_FILES_HINT = "pass allow_partial_files=True"
GZIP_MAGIC = b"\x1f\x8b"

# Globals a genuine CIFAR or MNIST pickle may reference (NumPy arrays, python-2
# strings). Anything else is refused, so that a tampered file cannot run code on load.
ALLOWED_PICKLE_GLOBALS = frozenset({
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),
})


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals in `ALLOWED_PICKLE_GLOBALS`."""

    def find_class(self, module, name):
        if (module, name) not in ALLOWED_PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed")
        return super().find_class(module, name)


def load_restricted_pickle(path, description, encoding="bytes"):
    """Loads a (possibly gzipped) pickle with `_RestrictedUnpickler`.

    Args:
        path: the file; a gzip file (found by its magic bytes 1f 8b, whatever its
            name) is decompressed while reading.
        description: what the file should be, for the message ("a CIFAR python
            pickle batch").
        encoding: how python-2 `str` objects are decoded ("bytes" keeps them as
            bytes, as the CIFAR batches' dict keys need; "latin1" for NumPy-only files).

    Returns:
        The unpickled object.

    Raises:
        ValueError: the file fails to load for any reason (truncated or corrupt gzip
            or pickle, a global outside the whitelist); the message names the file.

    Example:
        >>> import gzip, os, pickle
        >>> from infodl.data.file_checks import load_restricted_pickle
        >>> with gzip.open("batch.pkl.gz", "wb") as file:
        ...     pickle.dump({b"labels": np.arange(3)}, file)
        >>> load_restricted_pickle("batch.pkl.gz", "a CIFAR python pickle batch")
        {b'labels': array([0, 1, 2])}
        >>> with open("evil.pkl", "wb") as file:  # a pickle that would call os.system
        ...     pickle.dump(os.system, file)
        >>> load_restricted_pickle("evil.pkl", "a CIFAR python pickle batch")
        Traceback (most recent call last):
        ValueError: Corrupt file evil.pkl: expected a CIFAR python pickle batch. Received ...

    Reference: Python `pickle` docs, "Restricting Globals".
    """
    try:
        with open(path, "rb") as raw:
            compressed = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            handle = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
            return _RestrictedUnpickler(handle, encoding=encoding).load()
    except Exception as error:  # any load failure means a corrupt or foreign file
        raise ValueError(
            f"Corrupt file {path}: expected {description}. Received a file that fails "
            f"to load ({type(error).__name__}: {error})") from error


def check_record_count(count, expected, path, what="records"):
    """Raises ValueError naming `path` unless `count == expected` (None: any count).

    Args:
        count: number of records read from the file.
        expected: the record count of the original file, or None to accept any.
        path: the file, for the message.
        what: what is counted ("records", "validation images", ...).

    Raises:
        ValueError: one line: the file, the expected and received counts, and the way
            to read a subset file made on purpose (allow_partial_files=True).

    Example:
        >>> from infodl.data.file_checks import check_record_count
        >>> check_record_count(10, 10000, "data_batch_1.bin")
        Traceback (most recent call last):
        ValueError: Partial file data_batch_1.bin: expected 10000 records as in the ...

    Reference: the CIFAR binary format (a file cut at a record boundary must not train).
    """
    if expected is not None and count != expected:
        raise ValueError(
            f"Partial file {path}: expected {expected} {what} as in the original file. "
            f"Received: {count} {what}. To read a subset file made on purpose, "
            f"{PARTIAL_FILES_HINT}")


def check_flag(value, name):
    """Returns `value` as a bool if it is True or False (NumPy bools too).

    Raises:
        ValueError: `Expected allow_partial_files to be True or False. Received: ...`
            (a ValueError like every argument check of `infodl.checks`).
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(
            f"Expected {name} to be True or False. Received: {name}={value!r}")
    return bool(value)


def check_image_arrays(images, labels, path, image_shape, dtype="uint8",
                       names=("images", "labels")):
    """Raises ValueError naming `path` unless `images` and `labels` have the stored form.

    Args:
        images: the image array read from the file: N rows of `image_shape`.
        labels: its labels: N integers.
        path: the file, for the message.
        image_shape: the shape of one row; a str entry ("H") is a size of any value.
        dtype: "uint8", or "float" for any floating dtype.
        names: what the file calls the two arrays, for the message.

    Raises:
        ValueError: one line: the file, the expected form and the received dtypes and
            shapes.

    Example:
        >>> from infodl.data.file_checks import check_image_arrays
        >>> check_image_arrays(np.zeros((2, 3000), np.uint8), np.array([0, 1]),
        ...                    "data_batch_4", (3072,), names=("'data'", "'labels'"))
        Traceback (most recent call last):
        ValueError: Corrupt file data_batch_4: expected 'data' uint8 of shape (N, 3072) ...

    Reference: the CIFAR-10 binary and python formats (www.cs.toronto.edu/~kriz/cifar.html).
    """
    dtype_ok = (np.issubdtype(images.dtype, np.floating) if dtype == "float"
                else images.dtype == np.dtype(dtype))
    shape_ok = images.ndim == 1 + len(image_shape) and all(
        isinstance(size, str) or got == size
        for got, size in zip(images.shape[1:], image_shape, strict=True))
    if not (dtype_ok and shape_ok and labels.shape == images.shape[:1]
            and np.issubdtype(labels.dtype, np.integer)):
        image_name, label_name = names
        raise ValueError(
            f"Corrupt file {path}: expected {image_name} {dtype} of shape "
            f"({', '.join(map(str, ('N',) + tuple(image_shape)))}) and N integer "
            f"{label_name}. Received: {image_name} {images.dtype} {images.shape}, "
            f"{label_name} {labels.dtype} {labels.shape}")


def check_labels(labels, num_classes, path):
    """Returns `labels` as int64 class ids in [0, num_classes), else raises naming `path`.

    Args:
        labels: integer labels of shape (N,) read from the file.
        num_classes: number of classes of the data set.
        path: the file, for the message.

    Returns:
        int64 array (N,).

    Raises:
        ValueError: "Corrupt file <path>: " followed by the message of
            `infodl.checks.check_class_labels` (wrong shape, no labels, out of range).

    Example:
        >>> from infodl.data.file_checks import check_labels
        >>> check_labels(np.array([1, 10]), 10, "test_batch.bin")
        Traceback (most recent call last):
        ValueError: Corrupt file test_batch.bin: Expected labels in [0, 10). ...

    Reference: the CIFAR and MNIST distribution formats (bad data must not train silently).
    """
    try:
        return check_class_labels(labels, num_classes=num_classes, allow_one_hot=False)
    except ValueError as error:
        raise ValueError(f"Corrupt file {path}: {error}") from None

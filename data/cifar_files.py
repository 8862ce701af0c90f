"""Readers for the original CIFAR-10/100 files (binary records and python pickles).

Binary version (https://www.cs.toronto.edu/~kriz/cifar.html): each record is the
label byte(s) followed by 3072 image bytes, 1024 red, 1024 green, then 1024 blue
values of a 32×32 image in row-major order. CIFAR-10 records have one label byte,
CIFAR-100 records two (coarse label, then fine label). Python version: pickled dicts
with `data` (N×3072 uint8, same channel-major layout) and `labels` (CIFAR-10) or
`fine_labels`/`coarse_labels` (CIFAR-100).
"""

import io
import pickle

import numpy as np

CIFAR_IMAGE_SHAPE = (32, 32, 3)
CIFAR_IMAGE_BYTES = 32 * 32 * 3

# Globals a genuine CIFAR pickle may reference (numpy arrays, python-2 strings).
# Anything else is refused, so that a tampered file cannot run code on load.
_ALLOWED_PICKLE_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),
}


class _CifarUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _ALLOWED_PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed")
        return super().find_class(module, name)


def check_labels(labels, num_classes, path):
    """Raises ValueError naming `path` unless all labels lie in [0, num_classes)."""
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"Corrupt file {path}: expected labels in [0, {num_classes}). "
            f"Received: labels in [{labels.min()}, {labels.max()}]")


def channel_major_to_images(rows):
    """(N, 3072) rows in R,G,B plane order -> (N, 32, 32, 3) uint8 images."""
    return np.ascontiguousarray(
        rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)).astype(np.uint8)


def read_cifar_binary(path, label_bytes, num_classes):
    """Reads one CIFAR binary file.

    The label used is the last label byte of each record: the only one for CIFAR-10
    (label_bytes=1), the fine label for CIFAR-100 (label_bytes=2).

    Args:
        path: path of a `*.bin` file.
        label_bytes: 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine).
        num_classes: 10 or 100, for the label range check.

    Returns:
        (images uint8 N×32×32×3, labels int64 N).
    """
    record_bytes = label_bytes + CIFAR_IMAGE_BYTES
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % record_bytes:
        raise ValueError(
            f"Corrupt file {path}: expected a size that is a positive multiple of the "
            f"{record_bytes}-byte record ({label_bytes} label byte(s) + "
            f"{CIFAR_IMAGE_BYTES} image bytes). Received: {raw.size} bytes")
    records = raw.reshape(-1, record_bytes)
    labels = records[:, label_bytes - 1].astype(np.int64)
    check_labels(labels, num_classes, path)
    return channel_major_to_images(records[:, label_bytes:]), labels


def _entry(batch, key):
    for candidate in (key.encode(), key):
        if candidate in batch:
            return batch[candidate]
    return None


def read_cifar_pickle(path, label_key, num_classes):
    """Reads one CIFAR python-pickle batch (`data_batch_1`, `test_batch`, `train`, ...).

    Args:
        path: path of the pickle file.
        label_key: "labels" (CIFAR-10) or "fine_labels" (CIFAR-100).
        num_classes: 10 or 100, for the label range check.

    Returns:
        (images uint8 N×32×32×3, labels int64 N).
    """
    try:
        with open(path, "rb") as handle:
            batch = _CifarUnpickler(io.BytesIO(handle.read()), encoding="bytes").load()
    except Exception as error:  # any unpickling failure means a corrupt file
        raise ValueError(
            f"Corrupt file {path}: expected a CIFAR python pickle batch. "
            f"Received a file that fails to load ({type(error).__name__}: {error})"
        ) from error
    data = _entry(batch, "data") if isinstance(batch, dict) else None
    labels = _entry(batch, label_key) if isinstance(batch, dict) else None
    if data is None or labels is None:
        raise ValueError(
            f"Corrupt file {path}: expected a dict with keys 'data' and '{label_key}'. "
            f"Received: {type(batch).__name__} "
            f"{sorted(map(str, batch)) if isinstance(batch, dict) else ''}")
    data = np.asarray(data)
    labels = np.asarray(labels)
    if (data.ndim != 2 or data.shape[1] != CIFAR_IMAGE_BYTES or data.dtype != np.uint8
            or labels.shape != (data.shape[0],)
            or not np.issubdtype(labels.dtype, np.integer)):
        raise ValueError(
            f"Corrupt file {path}: expected 'data' uint8 of shape (N, "
            f"{CIFAR_IMAGE_BYTES}) and N integer '{label_key}'. Received: data "
            f"{data.dtype} {data.shape}, {label_key} {labels.dtype} {labels.shape}")
    labels = labels.astype(np.int64)
    check_labels(labels, num_classes, path)
    return channel_major_to_images(data), labels


def concatenate_batches(batches):
    """[(images, labels), ...] -> (images, labels) concatenated in order."""
    images, labels = zip(*batches)
    return np.concatenate(images), np.concatenate(labels)

"""Readers for the original CIFAR-10/100 files (binary records and python pickles).

Binary version (https://www.cs.toronto.edu/~kriz/cifar.html): each record is the
label byte(s) followed by 3072 image bytes, 1024 red, 1024 green, then 1024 blue
values of a 32×32 image in row-major order. CIFAR-10 records have one label byte,
CIFAR-100 records two (coarse label, then fine label). Python version: pickled dicts
with `data` (N×3072 uint8, same channel-major layout) and `labels` (CIFAR-10) or
`fine_labels`/`coarse_labels` (CIFAR-100).
"""

import numpy as np

from infodl.data.file_checks import (
    check_image_arrays,
    check_labels,
    check_record_count,
    load_restricted_pickle,
)

CIFAR_IMAGE_BYTES = 32 * 32 * 3


def _channel_major_to_images(rows):
    """(N, 3072) rows in R,G,B plane order -> (N, 32, 32, 3) uint8 images."""
    return np.ascontiguousarray(
        rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)).astype(np.uint8)


def read_cifar_binary(path, label_bytes, num_classes, expected_records=None):
    """Reads one CIFAR binary file.

    The label used is the last label byte of each record: the only one for CIFAR-10
    (label_bytes=1), the fine label for CIFAR-100 (label_bytes=2).

    Args:
        path: path of a `*.bin` file.
        label_bytes: 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine).
        num_classes: 10 or 100, for the label range check.
        expected_records: record count of the original file (10 000 per CIFAR-10
            batch, 50 000 / 10 000 for CIFAR-100 train / test); None accepts any.

    Returns:
        (images uint8 N×32×32×3, labels int64 N).

    Raises:
        ValueError: naming the file: a size that is not a positive multiple of the
            record, another record count than `expected_records`, labels out of range.

    Example:
        >>> from infodl.data.cifar_files import read_cifar_binary
        >>> records = np.zeros((2, 1 + 3072), np.uint8)  # label byte + 32×32×3 pixels
        >>> records[:, 0] = [3, 7]
        >>> records.tofile("test_batch.bin")
        >>> images, labels = read_cifar_binary("test_batch.bin", 1, 10)  # original: 10000
        >>> images.shape, labels
        ((2, 32, 32, 3), array([3, 7]))

    Reference: https://www.cs.toronto.edu/~kriz/cifar.html (binary version).
    """
    record_bytes = label_bytes + CIFAR_IMAGE_BYTES
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % record_bytes:
        raise ValueError(
            f"Corrupt file {path}: expected a size that is a positive multiple of the "
            f"{record_bytes}-byte record ({label_bytes} label byte(s) + "
            f"{CIFAR_IMAGE_BYTES} image bytes). Received: {raw.size} bytes")
    records = raw.reshape(-1, record_bytes)
    check_record_count(len(records), expected_records, path)
    labels = check_labels(records[:, label_bytes - 1], num_classes, path)
    return _channel_major_to_images(records[:, label_bytes:]), labels


def _entry(batch, key):
    for candidate in (key.encode(), key):
        if candidate in batch:
            return batch[candidate]
    return None


def read_cifar_pickle(path, label_key, num_classes, expected_records=None):
    """Reads one CIFAR python-pickle batch (`data_batch_1`, `test_batch`, `train`, ...).

    The file is unpickled with a whitelist of NumPy globals
    (`infodl.data.file_checks.load_restricted_pickle`), so a tampered file cannot run code.

    Args:
        path: path of the pickle file.
        label_key: "labels" (CIFAR-10) or "fine_labels" (CIFAR-100).
        num_classes: 10 or 100, for the label range check.
        expected_records: record count of the original file; None accepts any.

    Returns:
        (images uint8 N×32×32×3, labels int64 N).

    Raises:
        ValueError: naming the file: it fails to load, lacks `data` or `label_key`,
            holds arrays of the wrong shape or dtype, another record count than
            `expected_records`, or labels out of range.

    Example:
        >>> import pickle
        >>> from infodl.data.cifar_files import read_cifar_pickle
        >>> batch = {b"data": np.zeros((2, 3072), np.uint8), b"labels": [3, 7]}
        >>> with open("data_batch_1", "wb") as file:
        ...     pickle.dump(batch, file)
        >>> images, labels = read_cifar_pickle("data_batch_1", "labels", 10)  # original: 10000
        >>> images.shape, labels
        ((2, 32, 32, 3), array([3, 7]))

    Reference: https://www.cs.toronto.edu/~kriz/cifar.html (python version).
    """
    batch = load_restricted_pickle(path, "a CIFAR python pickle batch")
    data = _entry(batch, "data") if isinstance(batch, dict) else None
    labels = _entry(batch, label_key) if isinstance(batch, dict) else None
    if data is None or labels is None:
        raise ValueError(
            f"Corrupt file {path}: expected a dict with keys 'data' and '{label_key}'. "
            f"Received: {type(batch).__name__} "
            f"{sorted(map(str, batch)) if isinstance(batch, dict) else ''}")
    data = np.asarray(data)
    labels = np.asarray(labels)
    check_image_arrays(data, labels, path, (CIFAR_IMAGE_BYTES,),
                       names=("'data'", f"'{label_key}'"))
    check_record_count(len(data), expected_records, path)
    labels = check_labels(labels, num_classes, path)
    return _channel_major_to_images(data), labels


def concatenate_batches(batches):
    """[(images, labels), ...] -> (images, labels) concatenated in order."""
    images, labels = zip(*batches, strict=True)
    return np.concatenate(images), np.concatenate(labels)

"""Readers for the original MNIST files: idx (gzipped or not) and Keras' `mnist.npz`.

idx format (http://yann.lecun.com/exdb/mnist/): two zero bytes, a type byte
(0x08 = unsigned byte), the number of dimensions d, then d big-endian uint32 sizes,
then the values in row-major order. Images are idx3 (N×28×28), labels idx1 (N).
"""

import gzip
import zipfile

import numpy as np

from data.cifar_files import check_labels

MNIST_NUM_CLASSES = 10
MNIST_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def read_idx(path, expected_ndim):
    """Reads an idx file of unsigned bytes with `expected_ndim` dimensions.

    Args:
        path: path of the file; a name ending in `.gz` is decompressed.
        expected_ndim: 3 for images, 1 for labels.

    Returns:
        uint8 array of the stored shape.
    """
    path = str(path)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"Corrupt file {path}: expected a readable idx file. "
            f"Received: {type(error).__name__}: {error}") from error
    header_bytes = 4 + 4 * expected_ndim
    if (len(raw) < header_bytes or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08
            or raw[3] != expected_ndim):
        raise ValueError(
            f"Corrupt file {path}: expected an idx header 00 00 08 "
            f"{expected_ndim:02x} (unsigned bytes, {expected_ndim} dims). "
            f"Received: {raw[:4].hex(' ') or 'an empty file'}")
    shape = tuple(int(v) for v in np.frombuffer(raw[4:header_bytes], dtype=">u4"))
    expected_size = header_bytes + int(np.prod(shape))
    if len(raw) != expected_size:
        raise ValueError(
            f"Corrupt file {path}: expected {expected_size} bytes for shape {shape}. "
            f"Received: {len(raw)} bytes")
    return np.frombuffer(raw, dtype=np.uint8, offset=header_bytes).reshape(shape).copy()


def read_mnist_idx_pair(images_path, labels_path):
    """Reads one split from its idx3 images file and idx1 labels file.

    Returns:
        (images uint8 N×H×W×1, labels int64 N).
    """
    images = read_idx(images_path, 3)
    labels = read_idx(labels_path, 1).astype(np.int64)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"Corrupt files {images_path}, {labels_path}: expected as many labels as "
            f"images. Received: {images.shape[0]} images, {labels.shape[0]} labels")
    check_labels(labels, MNIST_NUM_CLASSES, labels_path)
    return images[..., None], labels


def read_mnist_npz(path):
    """Reads `mnist.npz` (keys x_train, y_train, x_test, y_test, as Keras ships it).

    Returns:
        (x_train, y_train, x_test, y_test): uint8 N×28×28×1 images, int64 labels.
    """
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except Exception as error:  # zip / format errors: a corrupt archive
        raise ValueError(
            f"Corrupt file {path}: expected an .npz archive. Received a file that "
            f"fails to load ({type(error).__name__}: {error})") from error
    missing = [key for key in MNIST_NPZ_KEYS if key not in arrays]
    if missing:
        raise ValueError(
            f"Corrupt file {path}: expected keys {list(MNIST_NPZ_KEYS)}. "
            f"Received: {sorted(arrays)}")
    result = []
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.ndim == 3:
            images = images[..., None]
        if (images.ndim != 4 or images.shape[-1] != 1 or images.dtype != np.uint8
                or labels.shape != (images.shape[0],)
                or not np.issubdtype(labels.dtype, np.integer)):
            raise ValueError(
                f"Corrupt file {path}: expected x_{split} uint8 of shape (N, H, W) and "
                f"y_{split} integer of shape (N,). Received: x_{split} {images.dtype} "
                f"{images.shape}, y_{split} {labels.dtype} {labels.shape}")
        labels = labels.astype(np.int64)
        check_labels(labels, MNIST_NUM_CLASSES, path)
        result += [images, labels]
    return tuple(result)

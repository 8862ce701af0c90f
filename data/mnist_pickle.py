"""Reader of the classic pickled MNIST, `mnist.pkl.gz` (deeplearning.net, Nielsen's book).

The file is a gzipped python-2 pickle of three (images, labels) pairs:

    train       50 000 × 784 float32, 50 000 int64
    validation  10 000 × 784 float32, 10 000 int64
    test        10 000 × 784 float32, 10 000 int64

train + validation are the official 60 000 MNIST training images, test the official
10 000. The pixels are v / 256 for the original bytes v in 0..255 (max 0.99609375),
so v = 256 · x restores them exactly; files written as v / 255 (round(255 · x)
restores them) are recognised too. Only 0 is both a v / 256 and a w / 255 value
(v · 255 = w · 256 forces v = w = 0), so the scale of a file is never ambiguous.

Reference: http://deeplearning.net/tutorial/gettingstarted.html.
"""

import numpy as np

from infodl.data.file_checks import (
    check_image_arrays,
    check_labels,
    check_record_count,
    load_restricted_pickle,
)
from infodl.data.mnist_files import MNIST_NUM_CLASSES

MNIST_PICKLE_SPLITS = ("train", "validation", "test")
MNIST_PICKLE_RECORDS = (50000, 10000, 10000)
MNIST_PIXELS = 28 * 28
_PIXEL_SCALES = (256, 255)
_CHUNK = 10000  # rows decoded at a time, to bound the float64 temporaries


def _decode_pixels(images, scale):
    """uint8 N×784 bytes whose v / scale equals `images` exactly, or None."""
    decoded = np.empty(images.shape, np.uint8)
    for start in range(0, len(images), _CHUNK):
        block = images[start:start + _CHUNK]
        values = np.rint(block.astype(np.float64) * scale)
        if values.size and not (values.min() >= 0 and values.max() <= 255):
            return None  # also catches NaN, whose comparisons are False
        pixels = values.astype(np.uint8)
        # v / scale, rounded once to the file's dtype, must give back every stored x.
        if not np.array_equal((pixels / np.float64(scale)).astype(block.dtype), block):
            return None
        decoded[start:start + _CHUNK] = pixels
    return decoded


def _decode_all(image_arrays):
    """The uint8 bytes of every array with the first scale that fits all, or None."""
    for scale in _PIXEL_SCALES:
        decoded = []
        for images in image_arrays:
            pixels = _decode_pixels(images, scale)
            if pixels is None:
                break
            decoded.append(pixels)
        else:
            return decoded
    return None


def _pairs(loaded):
    if not isinstance(loaded, (tuple, list)) or len(loaded) != 3:
        return None
    if not all(isinstance(pair, (tuple, list)) and len(pair) == 2 for pair in loaded):
        return None
    return [(np.asarray(images), np.asarray(labels)) for images, labels in loaded]


def _describe(loaded):
    if not isinstance(loaded, (tuple, list)):
        return type(loaded).__name__
    return f"{type(loaded).__name__} of {len(loaded)} " + ", ".join(
        f"{type(item).__name__}" + (f"[{len(item)}]" if isinstance(item, (tuple, list))
                                    else "") for item in loaded[:4])


def read_mnist_pickle(path, expected_records=MNIST_PICKLE_RECORDS):
    """Reads the classic `mnist.pkl.gz`: the (train, validation, test) pairs as bytes.

    The pickle is loaded with a whitelist of NumPy globals, so a tampered file cannot
    run code; pixels x are turned back into the original bytes v = 256 · x (or
    round(255 · x) for a file written as v / 255), checked to reproduce x exactly.

    Args:
        path: `mnist.pkl.gz` (gzipped) or an uncompressed `mnist.pkl`.
        expected_records: (train, validation, test) counts of the original file,
            (50000, 10000, 10000); None accepts any counts (a subset made on purpose).

    Returns:
        ((x_train, y_train), (x_validation, y_validation), (x_test, y_test)):
        uint8 N×28×28×1 images and int64 labels in [0, 10). load_dataset("mnist")
        joins train and validation into the official 60 000 training images.

    Raises:
        ValueError: one line naming the file: it fails to load (truncated gzip,
            foreign global), is not three (images, labels) pairs, holds wrong shapes
            or dtypes, pixels that are not v / 256 (or v / 255) for bytes v, other
            counts than `expected_records`, or labels out of range.

    Example:
        >>> import gzip, pickle
        >>> from infodl.data.mnist_pickle import read_mnist_pickle
        >>> pixels = np.arange(784, dtype=np.float32).reshape(1, 784) % 256 / 256  # v / 256
        >>> split = (np.repeat(pixels, 2, axis=0), np.array([3, 8]))
        >>> with gzip.open("mnist.pkl.gz", "wb") as file:  # (train, validation, test)
        ...     pickle.dump((split, split, split), file)
        >>> (x_train, y_train), (x_val, y_val), (x_test, y_test) = read_mnist_pickle(
        ...     "mnist.pkl.gz", expected_records=None)  # the original: 50000, 10000, 10000
        >>> x_train.shape, x_train.dtype, int(x_train[0, 0, 5, 0]), y_test
        ((2, 28, 28, 1), dtype('uint8'), 5, array([3, 8]))

    Reference: deeplearning.net's mnist.pkl.gz.
    """
    loaded = load_restricted_pickle(path, "the pickled MNIST (train, validation, test)",
                                    encoding="latin1")
    pairs = _pairs(loaded)
    if pairs is None:
        raise ValueError(
            f"Corrupt file {path}: expected a tuple of 3 (images, labels) pairs "
            f"(train, validation, test). Received: {_describe(loaded)}")
    counts = expected_records or (None,) * 3
    for split, (images, labels), expected in zip(MNIST_PICKLE_SPLITS, pairs, counts, strict=True):
        check_image_arrays(images, labels, path, (MNIST_PIXELS,), dtype="float",
                           names=(f"{split} images", "labels"))
        check_record_count(len(images), expected, path, f"{split} images")
    decoded = _decode_all([images for images, _ in pairs])
    if decoded is None:
        values = np.concatenate([images.ravel() for images, _ in pairs])
        scaled = values * values.dtype.type(256)
        bad = values[~((scaled >= 0) & (scaled <= 255) & (scaled == np.rint(scaled)))]
        raise ValueError(
            f"Corrupt file {path}: expected pixels v / 256 (or v / 255) for bytes v in "
            f"0..255, as in the original file. Received: values in [{values.min()!s}, "
            f"{values.max()!s}] such as {bad[0]!s}")
    return tuple((pixels.reshape(-1, 28, 28, 1),
                  check_labels(labels, MNIST_NUM_CLASSES, path))
                 for pixels, (_, labels) in zip(decoded, pairs, strict=True))

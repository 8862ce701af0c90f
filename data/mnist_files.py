"""Readers for the original MNIST files: idx (gzipped or not) and Keras' `mnist.npz`.

idx format (http://yann.lecun.com/exdb/mnist/): two zero bytes, a type byte
(0x08 = unsigned byte), the number of dimensions d, then d big-endian uint32 sizes,
then the values in row-major order. Images are idx3 (N×28×28), labels idx1 (N).
The original files hold 60 000 training and 10 000 test examples
(`MNIST_TRAIN_RECORDS`, `MNIST_TEST_RECORDS`). The classic pickle `mnist.pkl.gz` is
read by `infodl.data.mnist_pickle`.
"""

import gzip
import zipfile

import numpy as np

from infodl.data.file_checks import check_image_arrays, check_labels, check_record_count

MNIST_NUM_CLASSES = 10
MNIST_IMAGE_SIZE = (28, 28)
MNIST_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
MNIST_TRAIN_RECORDS = 60000
MNIST_TEST_RECORDS = 10000
MNIST_NPZ_RECORDS = (MNIST_TRAIN_RECORDS, MNIST_TEST_RECORDS)


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


def read_mnist_idx_pair(images_path, labels_path, expected_records=None):
    """Reads one split from its idx3 images file and idx1 labels file.

    Args:
        images_path: idx3 file of N×28×28 unsigned bytes (`.gz` decompressed).
        labels_path: idx1 file of N labels in [0, 10).
        expected_records: N of the original files (60 000 train, 10 000 t10k);
            None accepts any N.

    Returns:
        (images uint8 N×28×28×1, labels int64 N).

    Raises:
        ValueError: naming the file: corrupt idx, another count than
            `expected_records`, images other than 28 × 28, as many labels as images,
            labels out of range.

    Example:
        >>> import gzip
        >>> from infodl.data.mnist_files import read_mnist_idx_pair
        >>> header = lambda ndim, *sizes: bytes([0, 0, 8, ndim]) + np.array(
        ...     sizes, ">u4").tobytes()  # magic (unsigned bytes, ndim), then big-endian sizes
        >>> with gzip.open("t10k-images-idx3-ubyte.gz", "wb") as file:
        ...     _ = file.write(header(3, 2, 28, 28) + bytes(2 * 28 * 28))
        >>> with gzip.open("t10k-labels-idx1-ubyte.gz", "wb") as file:
        ...     _ = file.write(header(1, 2) + bytes([7, 2]))
        >>> x, y = read_mnist_idx_pair("t10k-images-idx3-ubyte.gz",
        ...                            "t10k-labels-idx1-ubyte.gz")  # the original: 10000
        >>> x.shape, y
        ((2, 28, 28, 1), array([7, 2]))

    Reference: http://yann.lecun.com/exdb/mnist/ (file formats).
    """
    images = read_idx(images_path, 3)
    if images.shape[1:] != MNIST_IMAGE_SIZE:
        raise ValueError(f"Corrupt file {images_path}: expected MNIST images of "
                         f"{MNIST_IMAGE_SIZE[0]} x {MNIST_IMAGE_SIZE[1]} pixels. Received: "
                         f"images of shape {images.shape}")
    check_record_count(images.shape[0], expected_records, images_path, "images")
    labels = read_idx(labels_path, 1)
    check_record_count(labels.shape[0], expected_records, labels_path, "labels")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"Corrupt files {images_path}, {labels_path}: expected as many labels as "
            f"images. Received: {images.shape[0]} images, {labels.shape[0]} labels")
    labels = check_labels(labels, MNIST_NUM_CLASSES, labels_path)
    return images[..., None], labels


def read_mnist_npz(path, expected_records=MNIST_NPZ_RECORDS):
    """Reads `mnist.npz` (keys x_train, y_train, x_test, y_test, as Keras ships it).

    Args:
        path: the `.npz` file.
        expected_records: (train, test) counts of the original file, (60000, 10000);
            None accepts any counts (a subset made on purpose).

    Returns:
        (x_train, y_train, x_test, y_test): uint8 N×28×28×1 images, int64 labels.

    Raises:
        ValueError: naming the file: not an npz archive, missing keys, wrong shapes
            or dtypes, other counts than `expected_records`, labels out of range.

    Example:
        >>> from infodl.data.mnist_files import read_mnist_npz
        >>> np.savez("mnist.npz", x_train=np.zeros((3, 28, 28), np.uint8),
        ...          y_train=np.array([5, 0, 4]), x_test=np.zeros((1, 28, 28), np.uint8),
        ...          y_test=np.array([7]))
        >>> x_train, y_train, x_test, y_test = read_mnist_npz("mnist.npz", None)  # any count
        >>> x_train.shape, y_train, y_test
        ((3, 28, 28, 1), array([5, 0, 4]), array([7]))

    Reference: `keras.datasets.mnist.load_data` (the same file).
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
    counts = expected_records or (None, None)
    for split, expected in zip(("train", "test"), counts, strict=True):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.ndim == 4 and images.shape[-1] == 1:
            images = images[..., 0]
        check_image_arrays(images, labels, path, MNIST_IMAGE_SIZE,
                           names=(f"x_{split}", f"y_{split}"))
        check_record_count(images.shape[0], expected, path, f"x_{split} images")
        result += [images[..., None], check_labels(labels, MNIST_NUM_CLASSES, path)]
    return tuple(result)

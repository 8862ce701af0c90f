"""`Dataset` (train/test arrays of one image classification task) and `load_dataset`."""

import dataclasses
import os
import pathlib

import numpy as np

from infodl.checks import check_choice, check_fraction, check_integer
from infodl.choices import DATASET_NUM_CLASSES, DATASETS
from infodl.data.digits import load_digits_arrays
from infodl.data.file_checks import check_flag
from infodl.data.local_files import read_local_dataset
from infodl.data.subset import check_subset_size, stratified_subset_indices
from infodl.data.synthetic import make_synthetic
from infodl.data.tfds_source import load_from_tfds

DATASET_NAMES = DATASETS  # the names load_dataset accepts (alias of infodl.choices)
DATASET_SOURCES = ("tfds", "local", "synthetic", "sklearn")
# Training-set sizes of the TensorFlow Datasets sources (checked before they load).
TFDS_TRAIN_SIZES = {"mnist": 60000, "cifar10": 50000, "cifar100": 50000}
# The last local files read, reused by the next identical read (`check_dataset_early`
# reads them before TensorFlow loads; the run then reads the same files again).
_local_cache = {}


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """Train and test arrays of an image classification task, checked on creation.

    Args:
        name: data set name ("cifar10", "cifar100", "mnist", "digits", "synthetic").
        source: where the arrays came from: "tfds", "local", "synthetic" or "sklearn".
        x_train: uint8 images, N×H×W×C.
        y_train: int64 labels in [0, num_classes), length N.
        x_test: uint8 images, M×H×W×C (same H×W×C as x_train).
        y_test: int64 labels in [0, num_classes), length M.
        num_classes: number of classes.

    Example:
        >>> from infodl.data.dataset import load_dataset
        >>> ds = load_dataset("digits")
        >>> ds.image_shape, ds.num_classes
        ((8, 8, 1), 10)

    Reference: tensorflow/models research/resnet/cifar_input.py; TensorFlow Datasets.
    """

    name: str
    source: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int

    def __post_init__(self):
        check_choice(self.source, "source", DATASET_SOURCES)
        check_integer(self.num_classes, "num_classes", minimum=1)
        for split in ("train", "test"):
            images, labels = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if (not isinstance(images, np.ndarray) or images.dtype != np.uint8
                    or images.ndim != 4):
                raise ValueError(
                    f"Expected x_{split} to be a uint8 array of shape (N, H, W, C). "
                    f"Received: {getattr(images, 'dtype', type(images).__name__)} "
                    f"{getattr(images, 'shape', '')}")
            if (not isinstance(labels, np.ndarray) or labels.dtype != np.int64
                    or labels.shape != images.shape[:1]):
                raise ValueError(
                    f"Expected y_{split} to be an int64 array of shape "
                    f"{images.shape[:1]}. Received: "
                    f"{getattr(labels, 'dtype', type(labels).__name__)} "
                    f"{getattr(labels, 'shape', '')}")
            if labels.size and (labels.min() < 0 or labels.max() >= self.num_classes):
                raise ValueError(
                    f"Expected y_{split} in [0, {self.num_classes}). Received: "
                    f"labels in [{labels.min()}, {labels.max()}]")
        if self.x_test.shape[1:] != self.x_train.shape[1:]:
            raise ValueError(
                f"Expected x_train and x_test images of one shape. Received: "
                f"x_train {self.x_train.shape[1:]}, x_test {self.x_test.shape[1:]}")

    @property
    def image_shape(self):
        """(H, W, C) of one image."""
        return tuple(self.x_train.shape[1:])


def _check_several_classes(labels, split, name, source, data_dir):
    """Refuses a split whose labels hold fewer than 2 classes."""
    classes = np.unique(labels)
    if classes.size < 2:
        where = f" read from {data_dir}" if source == "local" else f" from {source}"
        found = f"all of class {classes[0]}" if classes.size else "no class"
        raise ValueError(
            f"Expected the {split} split of {name!r}{where} to hold at least 2 classes. "
            f"Received: {labels.size} {split} labels, {found} (a zero-filled or "
            f"mislabelled file?)")


def _read_local_cached(name, data_dir, allow_partial_files):
    """`read_local_dataset`, reusing the arrays of the last read of the same unchanged
    files (same path, size and modification time)."""
    path = pathlib.Path(data_dir).expanduser()
    try:
        stat = os.stat(path)
        key = (name, str(path.resolve()), stat.st_size, stat.st_mtime_ns, allow_partial_files)
    except OSError:
        key = None
    if key is not None and key in _local_cache:
        return _local_cache[key]
    arrays = read_local_dataset(name, data_dir, allow_partial_files)
    _local_cache.clear()
    if key is not None and path.is_file():  # a folder's files may change inside it
        _local_cache[key] = arrays
    return arrays


def check_dataset_early(name, data_dir=None, train_fraction=1.0, seed=0,
                        synthetic_sizes=(2560, 512), allow_partial_files=False):
    """What `load_dataset` would refuse, checked without TensorFlow (before it loads).

    Local files are read and checked (and kept for the next `load_dataset` of the same
    file); a TensorFlow Datasets source is not loaded, only `train_fraction` is checked
    against its known size.

    Raises:
        ValueError: as `load_dataset` (each error in one line).
        FileNotFoundError: as `load_dataset`.
    """
    check_choice(name, "name", DATASET_NAMES)
    if data_dir is None and name in TFDS_TRAIN_SIZES:
        check_subset_size(TFDS_TRAIN_SIZES[name], DATASET_NUM_CLASSES[name],
                          check_fraction(train_fraction, "train_fraction"))
        return
    load_dataset(name, data_dir=data_dir, train_fraction=train_fraction, seed=seed,
                 synthetic_sizes=synthetic_sizes, allow_partial_files=allow_partial_files)


def load_dataset(name, data_dir=None, train_fraction=1.0, seed=0,
                 synthetic_sizes=(2560, 512), allow_partial_files=False):
    """Loads an image classification data set as uint8/int64 NumPy arrays.

    Sources: "synthetic" is generated (`infodl.data.synthetic`), "digits" is scikit-learn's
    bundled 8×8 digits; "cifar10", "cifar100" (fine labels) and "mnist" are read
    from the original files in `data_dir` when given (`infodl.data.local_files`: CIFAR
    binary or python batches, MNIST idx, npz or the classic `mnist.pkl.gz`, whose
    train + validation pairs become the 60 000 training images), else from
    TensorFlow Datasets (which fails within seconds, with `DatasetUnavailableError`,
    when offline). With train_fraction < 1, the training set is replaced by a
    stratified subset of round(train_fraction · N) examples drawn with `seed`; the
    test set is kept. Bad data does not train silently: local files must hold the
    record counts of the originals (unless allow_partial_files=True), and a train or
    test split whose labels hold a single class is refused, for every source.

    Args:
        name: one of `DATASET_NAMES` (`infodl.choices.DATASETS`).
        data_dir: folder with the original CIFAR/MNIST files (for "mnist" also the
            `mnist.npz` or `mnist.pkl[.gz]` file itself); ignored by "digits" and
            "synthetic".
        train_fraction: share of the training set to keep, in (0, 1].
        seed: non-negative integer seed of the subset and of the synthetic data.
        synthetic_sizes: (num_train, num_test) of the synthetic data.
        allow_partial_files: read local files whose record counts differ from the
            originals' (subset files made on purpose).

    Returns:
        A `Dataset`.

    Raises:
        ValueError: unknown name, bad train_fraction/seed or one whose stratified
            subset cannot hold every class (the message names the smallest fraction
            that works); a corrupt local file or
            (unless allow_partial_files) one with another record count than the
            original (the message names the file); a split with a single class.
        FileNotFoundError: data_dir missing or without recognised files.
        DatasetUnavailableError: tfds dataset not prepared and not downloadable.

    Example:
        >>> from infodl.data.dataset import load_dataset
        >>> ds = load_dataset("synthetic", synthetic_sizes=(100, 20), train_fraction=0.1)
        >>> ds.source, len(ds.y_train), len(ds.y_test)  # 10 % of train, stratified
        ('synthetic', 10, 20)
        >>> rng = np.random.default_rng(0)  # a small stand-in for Keras' mnist.npz
        >>> np.savez("mnist.npz", x_train=rng.integers(0, 256, (20, 28, 28), np.uint8),
        ...          y_train=np.arange(20) % 10, x_test=np.zeros((10, 28, 28), np.uint8),
        ...          y_test=np.arange(10))
        >>> ds = load_dataset("mnist", data_dir="mnist.npz", allow_partial_files=True)
        >>> ds.source, ds.x_train.shape, ds.num_classes  # the real file: 60000 and 10000
        ('local', (20, 28, 28, 1), 10)

    Reference: P3 (Elad et al.) Table 1 (1 % of the training set).
    """
    check_choice(name, "name", DATASET_NAMES)
    train_fraction = check_fraction(train_fraction, "train_fraction")
    seed = check_integer(seed, "seed", minimum=0)
    allow_partial_files = check_flag(allow_partial_files, "allow_partial_files")
    if name == "synthetic":
        if not isinstance(synthetic_sizes, (tuple, list)) or len(synthetic_sizes) != 2:
            raise ValueError("Expected synthetic_sizes=(num_train, num_test). "
                             f"Received: synthetic_sizes={synthetic_sizes!r}")
        arrays, source = make_synthetic(*synthetic_sizes, seed=seed), "synthetic"
    elif name == "digits":
        arrays, source = load_digits_arrays(), "sklearn"
    elif data_dir is not None:
        arrays, source = _read_local_cached(name, data_dir, allow_partial_files), "local"
    else:
        check_subset_size(TFDS_TRAIN_SIZES[name], DATASET_NUM_CLASSES[name], train_fraction)
        arrays, source = load_from_tfds(name), "tfds"
    x_train, y_train, x_test, y_test = arrays
    check_subset_size(len(y_train), np.unique(y_train).size, train_fraction)
    if train_fraction < 1.0:
        keep = stratified_subset_indices(y_train, train_fraction, seed)
        x_train, y_train = x_train[keep], y_train[keep]
    for split, labels in (("train", y_train), ("test", y_test)):
        _check_several_classes(labels, split, name, source, data_dir)
    return Dataset(name=name, source=source, x_train=x_train, y_train=y_train,
                   x_test=x_test, y_test=y_test,
                   num_classes=DATASET_NUM_CLASSES[name])

"""`Dataset` (train/test arrays of one image classification task) and `load_dataset`."""

import dataclasses
import numbers

import numpy as np

from data.digits import load_digits_arrays
from data.local_files import read_local_dataset
from data.subset import check_fraction, stratified_subset_indices
from data.synthetic import make_synthetic
from data.tfds_source import load_from_tfds

DATASET_NUM_CLASSES = {"cifar10": 10, "cifar100": 100, "mnist": 10, "digits": 10,
                       "synthetic": 10}
DATASET_NAMES = tuple(DATASET_NUM_CLASSES)
DATASET_SOURCES = ("tfds", "local", "synthetic", "sklearn")


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
        >>> ds = load_dataset("digits")
        >>> ds.image_shape, ds.num_classes
        ((8, 8, 1), 10)

    Reference: SPEC §1 and §10.
    """

    name: str
    source: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int

    def __post_init__(self):
        if self.source not in DATASET_SOURCES:
            raise ValueError(f"Expected source in {DATASET_SOURCES}. "
                             f"Received: source={self.source!r}")
        if (isinstance(self.num_classes, bool)
                or not isinstance(self.num_classes, numbers.Integral)
                or self.num_classes < 1):
            raise ValueError("Expected num_classes to be a positive integer. "
                             f"Received: num_classes={self.num_classes!r}")
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
                f"Expected x_test images of shape {self.x_train.shape[1:]} like "
                f"x_train. Received: {self.x_test.shape[1:]}")

    @property
    def image_shape(self):
        """(H, W, C) of one image."""
        return tuple(self.x_train.shape[1:])


def load_dataset(name, data_dir=None, train_fraction=1.0, seed=0,
                 synthetic_sizes=(2560, 512)):
    """Loads an image classification data set as uint8/int64 NumPy arrays.

    Sources: "synthetic" is generated (`data.synthetic`), "digits" is scikit-learn's
    bundled 8×8 digits; "cifar10", "cifar100" (fine labels) and "mnist" are read
    from the original files in `data_dir` when given, else from TensorFlow Datasets
    (which fails within seconds, with `DatasetUnavailableError`, when offline).
    With train_fraction < 1, the training set is replaced by a stratified subset
    of round(train_fraction · N) examples drawn with `seed`; the test set is kept.

    Args:
        name: one of `DATASET_NAMES`.
        data_dir: folder with the original CIFAR/MNIST files; ignored by "digits"
            and "synthetic".
        train_fraction: share of the training set to keep, in (0, 1].
        seed: non-negative integer seed of the subset and of the synthetic data.
        synthetic_sizes: (num_train, num_test) of the synthetic data.

    Returns:
        A `Dataset`.

    Raises:
        ValueError: unknown name, bad train_fraction/seed, corrupt local file.
        FileNotFoundError: data_dir missing or without recognised files.
        DatasetUnavailableError: tfds dataset not prepared and not downloadable.

    Example:
        >>> ds = load_dataset("mnist", data_dir="~/mnist", train_fraction=0.01)

    Reference: SPEC §10; P3 (003) Table 1 (1 % of the training set).
    """
    if name not in DATASET_NUM_CLASSES:
        raise ValueError(
            f"Expected name in {list(DATASET_NAMES)}. Received: name={name!r}")
    check_fraction(train_fraction)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(
            f"Expected seed to be a non-negative integer. Received: seed={seed!r}")
    if name == "synthetic":
        if not isinstance(synthetic_sizes, (tuple, list)) or len(synthetic_sizes) != 2:
            raise ValueError("Expected synthetic_sizes=(num_train, num_test). "
                             f"Received: synthetic_sizes={synthetic_sizes!r}")
        arrays, source = make_synthetic(*synthetic_sizes, seed=int(seed)), "synthetic"
    elif name == "digits":
        arrays, source = load_digits_arrays(), "sklearn"
    elif data_dir is not None:
        arrays, source = read_local_dataset(name, data_dir), "local"
    else:
        arrays, source = load_from_tfds(name), "tfds"
    x_train, y_train, x_test, y_test = arrays
    if train_fraction < 1.0:
        keep = stratified_subset_indices(y_train, train_fraction, int(seed))
        x_train, y_train = x_train[keep], y_train[keep]
    return Dataset(name=name, source=source, x_train=x_train, y_train=y_train,
                   x_test=x_test, y_test=y_test,
                   num_classes=DATASET_NUM_CLASSES[name])

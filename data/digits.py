"""scikit-learn's bundled 8×8 handwritten digits (1797 images), an offline MNIST stand-in.

Pixel values 0..16 are scaled to uint8 0..255 as round(v · 255 / 16); the 80/20
train/test split is stratified and fixed (seed `DIGITS_SPLIT_SEED`), so every run and
every `train_fraction` subset share the same 359-image test set.
"""

import numpy as np

from infodl.data.subset import stratified_subset_indices

DIGITS_SPLIT_SEED = 0
DIGITS_TRAIN_SHARE = 0.8
DIGITS_MAX_VALUE = 16


def load_digits_arrays():
    """Loads the digits as uint8 images in a fixed stratified 80/20 split.

    Returns:
        (x_train, y_train, x_test, y_test): uint8 N×8×8×1 images (0..255) and int64
        labels; 1438 training and 359 test images.

    Example:
        >>> from infodl.data.digits import load_digits_arrays
        >>> x_train, y_train, x_test, y_test = load_digits_arrays()
        >>> x_train.shape, x_test.shape
        ((1438, 8, 8, 1), (359, 8, 8, 1))

    Reference: offline demos of the MNIST experiments; sklearn
    `load_digits` (UCI optical recognition of handwritten digits).
    """
    from sklearn.datasets import load_digits  # bundled with scikit-learn, no download

    digits = load_digits()
    images = np.rint(digits.images * (255.0 / DIGITS_MAX_VALUE)).astype(np.uint8)
    images = images[..., None]
    labels = digits.target.astype(np.int64)
    train = stratified_subset_indices(labels, DIGITS_TRAIN_SHARE, DIGITS_SPLIT_SEED)
    test = np.setdiff1d(np.arange(labels.size), train)
    return images[train], labels[train], images[test], labels[test]

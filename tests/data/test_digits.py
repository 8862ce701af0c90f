"""Tests of scikit-learn's 8×8 digits as an offline data set."""

import numpy as np
from sklearn.datasets import load_digits

from infodl.data import load_dataset


def test_digits_scaled_to_uint8_in_a_fixed_stratified_split():
    dataset = load_dataset("digits")
    assert dataset.source == "sklearn" and dataset.image_shape == (8, 8, 1)
    assert (len(dataset.y_train), len(dataset.y_test)) == (1438, 359)
    assert dataset.x_train.dtype == np.uint8 and dataset.x_train.max() == 255
    reference = load_digits()
    expected = np.rint(reference.images * 255 / 16)
    # Every image matches one original image exactly, train and test disjoint.
    flat = {img.tobytes(): label for img, label in
            zip(expected.astype(np.uint8), reference.target, strict=True)}
    for images, labels in ((dataset.x_train, dataset.y_train),
                           (dataset.x_test, dataset.y_test)):
        assert all(flat[img[..., 0].tobytes()] == lab
                   for img, lab in zip(images, labels, strict=True))
    test_share = np.bincount(dataset.y_test) / np.bincount(reference.target)
    assert np.all(np.abs(test_share - 0.2) < 0.02)


def test_digits_split_does_not_depend_on_seed_but_subset_does():
    a = load_dataset("digits", seed=1, train_fraction=0.5)
    b = load_dataset("digits", seed=2, train_fraction=0.5)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    assert len(a.y_train) == len(b.y_train) == 719
    assert not np.array_equal(a.x_train, b.x_train)

"""Tests of the stratified, seeded training subset."""

import numpy as np
import pytest

from infodl.data.subset import stratified_subset_indices


def _unbalanced_labels():
    # MNIST-like class counts (5923, 6742, ...) scaled down by 10.
    counts = [592, 674, 596, 613, 584, 542, 592, 627, 585, 595]
    return np.random.default_rng(0).permutation(np.repeat(np.arange(10), counts))


def test_one_percent_has_exact_total_and_class_proportions():
    labels = _unbalanced_labels()
    keep = stratified_subset_indices(labels, 0.1, seed=0)
    assert len(keep) == round(0.1 * len(labels))
    assert np.all(np.diff(keep) > 0)  # sorted, no duplicates
    per_class = np.bincount(labels[keep], minlength=10)
    expected = 0.1 * np.bincount(labels)
    assert np.all(np.abs(per_class - expected) < 1.0)


def test_seeded_and_different_seeds_differ():
    labels = _unbalanced_labels()
    first = stratified_subset_indices(labels, 0.01, seed=7)
    np.testing.assert_array_equal(first, stratified_subset_indices(labels, 0.01, seed=7))
    assert not np.array_equal(first, stratified_subset_indices(labels, 0.01, seed=8))


def test_fraction_one_keeps_everything_and_tiny_fraction_keeps_each_class():
    labels = _unbalanced_labels()
    np.testing.assert_array_equal(stratified_subset_indices(labels, 1.0),
                                  np.arange(len(labels)))
    keep = stratified_subset_indices(labels, 1e-4, seed=1)  # round(0.6) = 1 < 10
    assert sorted(labels[keep].tolist()) == list(range(10))


@pytest.mark.parametrize("fraction", [0, -0.1, 1.5, float("nan"), float("inf"), True,
                                      "0.5", None])
def test_fraction_out_of_range_is_rejected(fraction):
    with pytest.raises(ValueError, match=r"Expected 0 < fraction <= 1"):
        stratified_subset_indices(np.arange(10) % 2, fraction)

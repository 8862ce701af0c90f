"""Cluster-separation ratio (closed forms, invariances) and the t-SNE embedding."""

import numpy as np
import pytest

from infodl.analysis.feature_separation import separation_ratio, subsample_indices, tsne_embedding


def _gaussian_clusters(shift, num_classes=5, per_class=200, dim=10, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(num_classes), per_class)
    centres = shift * np.eye(num_classes, dim)
    return centres[labels] + rng.normal(size=(labels.size, dim)), labels


def test_ratio_of_two_small_clusters_by_hand():
    # class 0 at (±1, 0): centroid (0, 0), rms radius 1; class 1 at (10, ±2): radius 2
    features = np.array([[-1.0, 0.0], [1.0, 0.0], [10.0, 2.0], [10.0, -2.0]])
    result = separation_ratio(features, np.array([0, 0, 1, 1]))
    assert result["centroid_distance_mean"] == pytest.approx(10.0)
    assert result["within_class_std_mean"] == pytest.approx(1.5)
    assert result["ratio"] == pytest.approx(10.0 / 1.5)


def test_isotropic_gaussians_match_the_closed_form():
    # centroids shift·e_c: pairwise distance shift·√2; radius ≈ √dim (unit variance)
    features, labels = _gaussian_clusters(shift=20.0, per_class=4000)
    expected = 20.0 * np.sqrt(2.0) / np.sqrt(10.0)
    assert separation_ratio(features, labels)["ratio"] == pytest.approx(expected, rel=0.02)


def test_separated_clusters_score_high_and_identical_ones_near_zero():
    separated, labels = _gaussian_clusters(shift=20.0)
    identical, _ = _gaussian_clusters(shift=0.0)
    assert separation_ratio(separated, labels)["ratio"] > 5.0
    # only sampling noise separates identical centroids: ratio ≈ √(2/n) = 0.1 at n = 200
    assert separation_ratio(identical, labels)["ratio"] < 0.2


def test_ratio_is_invariant_to_rotation_translation_and_scale():
    features, labels = _gaussian_clusters(shift=3.0, seed=2)
    rotation, _ = np.linalg.qr(np.random.default_rng(3).normal(size=(10, 10)))
    moved = 7.5 * features @ rotation + 4.0
    assert separation_ratio(moved, labels)["ratio"] == pytest.approx(
        separation_ratio(features, labels)["ratio"])


def test_one_class_is_refused():
    with pytest.raises(ValueError, match="at least 2 classes"):
        separation_ratio(np.zeros((4, 2)), np.zeros(4, int))


def test_subsample_is_stratified_and_sorted():
    labels = np.repeat(np.arange(4), [100, 200, 300, 400])
    chosen = subsample_indices(labels, 100, seed=0)
    assert len(chosen) == 100 and np.all(np.diff(chosen) > 0)
    assert np.bincount(labels[chosen]).tolist() == [10, 20, 30, 40]
    assert len(subsample_indices(labels, 5000)) == 1000


def test_tsne_keeps_separated_clusters_apart():
    features, labels = _gaussian_clusters(shift=20.0, num_classes=3, per_class=30)
    embedding = tsne_embedding(features, perplexity=10, seed=0)
    assert embedding.shape == (90, 2)
    assert separation_ratio(embedding, labels)["ratio"] > 3.0


def test_tsne_of_identical_points_is_all_zero():
    assert np.all(tsne_embedding(np.ones((10, 3))) == 0.0)

"""PCA + linear SVM / 1-NN accuracy against the number of components (P1 Fig. 7)."""

import numpy as np
import pytest

from infodl.analysis.feature_pca import pca_classifier_accuracy


def _low_dimensional_classes(num=600, dim=30, seed=0):
    """Three classes separated along two directions of large variance; 28 noise directions."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, num)
    centres = np.array([[0.0, 0.0], [12.0, 0.0], [0.0, 12.0]])
    signal = centres[labels] + rng.normal(size=(num, 2))
    features = np.concatenate([signal, 0.5 * rng.normal(size=(num, dim - 2))], axis=1)
    rotation, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    return features @ rotation, labels


def test_two_components_suffice_for_two_dimensional_classes():
    features, labels = _low_dimensional_classes()
    rows = pca_classifier_accuracy(features[:400], labels[:400], features[400:], labels[400:],
                                   components=(1, 2, 8, 64))
    assert [row["components"] for row in rows] == [1, 2, 8]  # 64 > 30 features: skipped
    by_k = {row["components"]: row for row in rows}
    assert by_k[2]["svm_accuracy"] > 0.98 and by_k[2]["nearest_neighbour_accuracy"] > 0.98
    variances = [row["explained_variance"] for row in rows]
    assert variances == sorted(variances) and 0 < variances[0] and variances[-1] <= 1 + 1e-9
    assert all(row["svm_converged"] for row in rows)


def test_random_labels_stay_near_chance():
    features, _ = _low_dimensional_classes(seed=1)
    labels = np.random.default_rng(2).integers(0, 3, len(features))
    rows = pca_classifier_accuracy(features[:400], labels[:400], features[400:], labels[400:],
                                   components=(4,))
    assert rows[0]["svm_accuracy"] == pytest.approx(1 / 3, abs=0.12)


def test_no_usable_component_count_is_an_error():
    features, labels = _low_dimensional_classes(num=60, dim=5)
    with pytest.raises(ValueError, match="components"):
        pca_classifier_accuracy(features, labels, features, labels, components=(8,))

"""Per-class feature statistics, representative entries and their ROC: NumPy and known answers."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from infodl.analysis.feature_statistics import (
    class_feature_statistics,
    representative_entries,
    representative_entry_roc,
    weight_statistics,
)


def _clusters(num_classes=4, per_class=300, dim=12, shift=6.0, seed=0):
    """Class c ~ N(shift·e_c, I) in `dim` entries: entry c is class c's representative."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(num_classes), per_class)
    features = rng.normal(size=(labels.size, dim))
    features[np.arange(labels.size), labels] += shift
    return features, labels


def test_statistics_equal_numpy_per_class():
    rng = np.random.default_rng(1)
    features, labels = rng.normal(size=(50, 6)), rng.integers(0, 3, 50)
    kernel = rng.normal(size=(6, 3))
    stats = class_feature_statistics(features, labels, kernel)
    for c in range(3):
        members = features[labels == c]
        np.testing.assert_allclose(stats["means"][c], members.mean(0))
        np.testing.assert_allclose(stats["stds"][c], members.std(0))
        np.testing.assert_allclose(stats["weights"][c], kernel[:, c])
        np.testing.assert_allclose(stats["products"][c], members.mean(0) * kernel[:, c])
    assert stats["counts"].tolist() == np.bincount(labels, minlength=3).tolist()


def test_absent_class_gets_nan_and_no_entry():
    features, labels = _clusters(num_classes=3)
    stats = class_feature_statistics(features, labels, num_classes=4)
    assert np.all(np.isnan(stats["means"][3])) and stats["counts"][3] == 0
    assert representative_entries(stats["means"]).tolist() == [0, 1, 2, -1]


def test_representative_entry_is_the_largest_class_mean():
    means = np.array([[0.1, 3.0, 0.2], [2.0, 0.0, 1.0]])
    assert representative_entries(means).tolist() == [1, 0]


def test_well_separated_clusters_give_auc_near_one():
    features, labels = _clusters(shift=8.0)
    entries = representative_entries(class_feature_statistics(features, labels)["means"])
    assert entries.tolist() == [0, 1, 2, 3]
    roc = representative_entry_roc(features, labels, entries)
    assert roc["micro"]["auc"] > 0.999 and roc["macro"]["auc"] > 0.999


def test_identical_clusters_give_auc_near_one_half():
    features, labels = _clusters(shift=0.0, per_class=2000)
    roc = representative_entry_roc(features, labels, np.arange(4))
    assert roc["micro"]["auc"] == pytest.approx(0.5, abs=0.02)
    assert roc["macro"]["auc"] == pytest.approx(0.5, abs=0.02)


def test_auc_equals_scikit_learn_on_the_score_matrix():
    features, labels = _clusters(shift=1.0, seed=3)
    entries = np.array([0, 1, 2, 3])
    roc = representative_entry_roc(features, labels, entries)
    one_hot = np.eye(4)[labels]
    scores = features[:, entries]
    assert roc["micro"]["auc"] == pytest.approx(roc_auc_score(one_hot.ravel(), scores.ravel()))
    per_class = [roc_auc_score(one_hot[:, c], scores[:, c]) for c in range(4)]
    assert [item["auc"] for item in roc["per_class"]] == pytest.approx(per_class)
    assert roc["mean_class_auc"] == pytest.approx(np.mean(per_class))
    # the macro curve averages the interpolated per-class curves: close to the mean AUC
    assert roc["macro"]["auc"] == pytest.approx(np.mean(per_class), abs=0.01)


def test_weight_statistics_closed_form():
    kernel = np.array([[0.0, 0.0], [3.0, -4.0], [0.0, 1.0]])
    stats = weight_statistics(kernel)
    assert stats["zero_fraction"] == pytest.approx(3 / 6)
    assert stats["zero_row_fraction"] == pytest.approx(1 / 3)
    np.testing.assert_allclose(stats["column_norms"], [3.0, np.sqrt(17.0)])
    assert stats["l1_norm"] == pytest.approx(8.0)


@pytest.mark.parametrize("features, labels, message", [
    (np.zeros(5), np.zeros(5), "shape"),
    (np.full((2, 3), np.nan), np.zeros(2), "finite"),
    (np.zeros((3, 2)), np.array([0, 1]), "length"),
])
def test_bad_inputs_raise_one_clear_error(features, labels, message):
    with pytest.raises(ValueError, match=message):
        class_feature_statistics(features, labels)


def test_kernel_of_the_wrong_height_is_refused():
    with pytest.raises(ValueError, match=r"kernel of shape \(4, C\)"):
        class_feature_statistics(np.zeros((3, 4)), np.array([0, 1, 1]), np.zeros((5, 2)))

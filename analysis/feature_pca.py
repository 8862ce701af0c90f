"""Linear SVM and nearest-neighbour accuracy on the top-k principal components (P1 §3.5).

NumPy and scikit-learn only. PCA is fitted on training features; both classifiers are
trained on the projected training features and scored on the projected test features.
"""

import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from infodl.analysis.feature_statistics import _check_features
from infodl.checks import check_integer_tuple

DEFAULT_COMPONENTS = (1, 2, 4, 8, 16, 32, 64, 128)


def pca_classifier_accuracy(train_features, train_labels, test_features, test_labels,
                            components=DEFAULT_COMPONENTS, seed=0, svm_max_iter=2000,
                            threads=1):
    """Test accuracy of a linear SVM and of 1-nearest-neighbour on k principal components.

    For each k: P_k = the top-k principal directions of the training features; the SVM
    (one-vs-rest `LinearSVC`, C = 1, on standardized components) and 1-NN (Euclidean, on
    the raw components) are fitted on P_k(train) and scored on P_k(test). A high
    accuracy at small k means the last-layer features lie near a low-dimensional,
    linearly separable set (P1's separability assumption). k larger than
    min(d, N_train) is skipped.

    Args:
        train_features, train_labels: (N, d) features and labels to fit PCA and the
            classifiers on.
        test_features, test_labels: (M, d) features and labels to score.
        components: numbers of components k.
        seed: random state of PCA and the SVM.
        svm_max_iter: iteration cap of `LinearSVC` (a run that hits it is flagged).
        threads: OpenMP/BLAS threads of scikit-learn (None = its default; see
            `infodl.analysis.feature_separation.tsne_embedding` for why 1).

    Returns:
        list of dicts, one per k: "components", "explained_variance" (fraction),
        "svm_accuracy", "nearest_neighbour_accuracy", "svm_converged".

    Example:
        >>> from infodl.analysis.feature_pca import pca_classifier_accuracy
        >>> rng = np.random.default_rng(0)
        >>> y_train, y_test = np.arange(200) % 2, np.arange(100) % 2
        >>> f_train = rng.normal(size=(200, 8)) + 4.0 * y_train[:, None]  # separable classes
        >>> f_test = rng.normal(size=(100, 8)) + 4.0 * y_test[:, None]
        >>> rows = pca_classifier_accuracy(f_train, y_train, f_test, y_test, (1, 4))
        >>> [(row["components"], row["svm_accuracy"]) for row in rows]
        [(1, 1.0), (4, 1.0)]

    Reference: P1 §3.5 and Fig. 7 (after Jacobsen et al. 2018, i-RevNet, Fig. 6).
    """
    train_features, train_labels = _check_features(train_features, train_labels)
    test_features, test_labels = _check_features(test_features, test_labels)
    if train_features.shape[1] != test_features.shape[1]:
        raise ValueError("Expected train and test features of the same width. Received: "
                         f"{train_features.shape[1]} and {test_features.shape[1]}")
    if np.unique(train_labels).size < 2:
        raise ValueError("Expected at least 2 classes in train_labels.")
    components = check_integer_tuple(components, "components")
    limit = min(train_features.shape)
    usable = sorted({k for k in components if k <= limit})
    if not usable:
        raise ValueError(f"Expected some components <= min(N, d) = {limit}. "
                         f"Received: components={components}")
    with threadpool_limits(limits=threads):
        return _accuracy_rows(train_features, train_labels, test_features, test_labels,
                              usable, seed, svm_max_iter)


def _accuracy_rows(train_features, train_labels, test_features, test_labels, usable, seed,
                   svm_max_iter):
    pca = PCA(n_components=max(usable), random_state=seed).fit(train_features)
    train_projected, test_projected = pca.transform(train_features), pca.transform(test_features)
    rows = []
    for k in usable:
        train_k, test_k = train_projected[:, :k], test_projected[:, :k]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            svm = make_pipeline(StandardScaler(), LinearSVC(C=1.0, max_iter=svm_max_iter,
                                                            random_state=seed))
            svm.fit(train_k, train_labels)
        neighbour = KNeighborsClassifier(n_neighbors=1).fit(train_k, train_labels)
        rows.append({
            "components": int(k),
            "explained_variance": float(np.sum(pca.explained_variance_ratio_[:k])),
            "svm_accuracy": float(svm.score(test_k, test_labels)),
            "nearest_neighbour_accuracy": float(neighbour.score(test_k, test_labels)),
            "svm_converged": not any(issubclass(w.category, ConvergenceWarning)
                                     for w in caught),
        })
    return rows

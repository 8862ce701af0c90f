"""Post-hoc analysis of trained models and runs: features, information planes, compression.

Feature analysis (P2 Fig. 2/3/6/8, P3 Fig. 5, P1 Fig. 7): `FeatureAnalysis` (all of it
for a saved model), `class_feature_statistics`, `representative_entries`,
`representative_entry_roc`, `weight_statistics`, `separation_ratio`, `tsne_embedding`,
`pca_classifier_accuracy`, `load_saved_model`. Information planes:
`InformationPlaneTrajectory` (a run's (I(X;T_k), I(T_k;Y)) per logged epoch),
`plot_information_plane`, `plot_information_plane_grid`, `plot_ib_information_plane`;
figures as PNG: `save_figure_png`, `figure_to_png_bytes`; compression over seeds
(`layer_end_points`, `compression_over_seeds`). Mean ± std over seeds, with its one-seed
rule, for every table: `mean_and_std`, `mean_std_text`.

Every name is imported on first access, so `import infodl.analysis` loads neither
TensorFlow nor matplotlib.

Example:
    >>> from infodl.analysis import separation_ratio
    >>> points = np.array([[0.0, 1.0], [0.0, -1.0], [4.0, 1.0], [4.0, -1.0]])
    >>> separation_ratio(points, [0, 0, 1, 1])["ratio"]  # centroids 4 apart, spread 1
    4.0
"""

import infodl
from infodl.lazy_exports import lazy_exports

infodl.one_name(__name__)

# Public name -> module that defines it (some import TensorFlow, matplotlib or scikit-learn).
_LAZY = {
    "FeatureAnalysis": ".feature_analysis",
    "class_feature_statistics": ".feature_statistics",
    "representative_entries": ".feature_statistics",
    "representative_entry_roc": ".feature_statistics",
    "weight_statistics": ".feature_statistics",
    "separation_ratio": ".feature_separation",
    "tsne_embedding": ".feature_separation",
    "pca_classifier_accuracy": ".feature_pca",
    "load_saved_model": ".feature_source",
    "InformationPlaneTrajectory": ".information_plane_trajectory",
    "plot_information_plane": ".information_plane_plot",
    "plot_information_plane_grid": ".information_plane_plot",
    "plot_ib_information_plane": ".information_plane_plot",
    "save_figure_png": ".figure_files",
    "figure_to_png_bytes": ".figure_files",
    "layer_end_points": ".compression",
    "compression_over_seeds": ".compression",
    "mean_and_std": ".seed_statistics",
    "mean_std_text": ".seed_statistics",
}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(globals(), _LAZY)

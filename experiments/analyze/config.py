"""The configuration of a feature analysis of a saved model (P2 §4.2, app. F-H; P3 §5; P1 §3.5).

Free of TensorFlow: `run.py --experiment=analyze` validates these flags before it loads.
"""

import dataclasses

from infodl.choices import DATASETS, PREPROCESSINGS
from infodl.experiments.cli.config import ExperimentConfig, setting
from infodl.experiments.cli.early_checks import check_checkpoint


@dataclasses.dataclass
class AnalyzeConfig(ExperimentConfig):
    """What to analyse (a checkpoint, a data set) and how (layers, subsample sizes).

    `dataset`, `data_dir` and the preprocessing default to those of the run the
    checkpoint belongs to (its config.json); see `infodl.analysis.feature_source`.
    """

    checkpoint: str | None = setting(
        None, "A saved model (.keras) or a run folder (its newest checkpoints/ckpt-*.keras, "
        "else model.keras).", required="a .keras file or a run folder to analyse")
    dataset: str | None = setting(None, "Data set (None = the run's).", choices=DATASETS)
    data_dir: str | None = setting(
        None, "Folder of the original data files, or mnist.pkl.gz itself (None = the run's, "
        "else TensorFlow Datasets).")
    preprocessing: str = setting(
        "auto", "How images become inputs: auto (the run's config, per-image "
        "standardization for the ResNet family, else x/255), unit_interval, "
        "per_image_standardization or none.", choices=PREPROCESSINGS)
    feature_layer: str = setting("features", "Layer whose output is F(x).",
                                 required="the name of the layer whose output is F(x)")
    logits_layer: str | None = setting(
        "logits", "Layer holding the classifier w as .kernel (empty = no w analyses).",
        allow_none=True)
    tsne_layers: tuple | None = setting(
        None, "Layers to embed with t-SNE, comma-separated (None = feature_layer).")
    tsne_examples: int = setting(2000, "Test images of each t-SNE embedding, stratified "
                                 "(0 = no t-SNE).", minimum=0)
    tsne_perplexity: float = setting(30.0, "t-SNE perplexity.", minimum=0,
                                     exclusive_minimum=True)
    pca_components: tuple = setting(
        (1, 2, 4, 8, 16, 32, 64, 128), "Numbers of principal components for the linear SVM "
        "and 1-NN (those above the feature size are skipped).", item_type=int, minimum=1)
    pca_train_examples: int = setting(10000, "Training images to fit PCA, SVM and 1-NN on "
                                      "(0 = no PCA).", minimum=0)
    histogram_class: int | None = setting(
        None, "Class of the feature histogram (None = the last, P2's digit 9).", minimum=0)
    figures: bool = setting(True, "Draw the figures (PNG + TensorBoard); False = numbers "
                            "only.")
    class_figures: tuple | None = setting(
        None, "Classes that get their own statistics figure, comma-separated (None = the "
        "first 10).", item_type=int, minimum=0)
    test_examples: int | None = setting(None, "Use the first N test images (None = all).",
                                           minimum=1)
    batch_size: int = setting(500, "Inference batch size.", minimum=1)
    title: str | None = setting(None, "Model name in figure titles (None = the model's).")
    log_dir: str | None = setting(
        None, "Output folder (None = <run folder>/analysis, or <file>_analysis next to a "
        "bare .keras file).")
    seed: int = setting(0, "Seed of the subsamples, t-SNE, PCA and SVM.", minimum=0,
                        maximum=2**32 - 1)
    overwrite: bool = setting(False, "Replace an output folder that holds an analysis of "
                              "other settings.")
    verbose: int = setting(1, "0 silent, 1 progress messages and bars.", minimum=0,
                           maximum=2)

    def __post_init__(self):
        super().__post_init__()
        if self.logits_layer == "":
            self.logits_layer = None

    def early_checks(self):
        """The output folder, and the checkpoint: it exists, and a `.keras` file is a model."""
        super().early_checks()
        if isinstance(self.checkpoint, str):
            check_checkpoint(self.checkpoint)

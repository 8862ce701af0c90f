"""The configuration of an InvNet / RegInvNet run on MNIST (P2 §4.2, appendix E).

Free of TensorFlow: `run.py` builds the flags of `--experiment=invnet` from the fields
and validates them before TensorFlow loads.
"""

import dataclasses

from infodl.choices import (
    ACTIVATIONS,
    DATASETS,
    RECONSTRUCTION_LOSSES,
    RECONSTRUCTION_REDUCTIONS,
    REGULARIZERS,
)
from infodl.experiments.cli.config import setting
from infodl.experiments.common_settings import (
    DataFileSettings,
    RegularizerSettings,
    RunFolderSettings,
    alpha_setting,
)


@dataclasses.dataclass
class InvNetConfig(DataFileSettings, RegularizerSettings, RunFolderSettings):
    """Settings of one InvNet run; the defaults are RegInvNet as P2 trains it.

    F = LeNet-300-100, D its mirror, w 100 × 10; every step one autoencoder update and
    one classifier update; SGD lr 0.1 × 0.7 every 10 epochs; the ℓ1 step every 30
    iterations; α1 = α2 = 0.002 (`--regularizer=none` is plain InvNet). P2 does not give
    the batch size, the number of epochs or the reconstruction loss: batch 100, per-image
    squared error and 20 epochs are this project's choices.
    """

    dataset: str = setting("mnist", "Data set (digits for an offline smoke run).",
                           choices=DATASETS)
    regularizer: str = setting("info", "info (RegInvNet, P2 eq. 7), naive (α1·||w||_1 + "
                               "α2·||w||_F) or none (InvNet).", choices=REGULARIZERS)
    alpha1: float = alpha_setting(1, 0.002)
    alpha2: float = alpha_setting(2, 0.002)
    hidden_sizes: tuple = setting((300, 100), "Encoder widths, the last = feature size "
                                  "(LeNet-300-100); the decoder mirrors them.",
                                  item_type=int, minimum=1, min_length=1)
    activation: str = setting("relu", "Hidden activation of encoder and decoder.",
                              choices=ACTIVATIONS)
    reconstruction_loss: str = setting(
        "squared_error", "Autoencoder loss per image (over its pixels as "
        "--reconstruction_reduction says): squared_error or binary_crossentropy.",
        choices=RECONSTRUCTION_LOSSES)
    reconstruction_reduction: str = setting(
        "sum", "Reconstruction error over the pixels of an image: sum (this project's "
        "choice; P2 leaves it open) or mean (the sum / pixels, 1/784 on MNIST; the decoder may "
        "then need a larger learning rate).", choices=RECONSTRUCTION_REDUCTIONS)
    epochs: int = setting(20, "Training epochs.", minimum=1, resumable=True)
    batch_size: int = setting(100, "Batch size.", minimum=1)
    learning_rate: float = setting(0.1, "Initial SGD learning rate of both updates.",
                                   minimum=0, exclusive_minimum=True)
    lr_decay: float = setting(0.7, "Factor of the learning rate every lr_decay_epochs.",
                              minimum=0, maximum=1, exclusive_minimum=True)
    lr_decay_epochs: int = setting(10, "Epochs between learning-rate decays.", minimum=1)
    momentum: float = setting(0.0, "SGD momentum.", minimum=0, maximum=1,
                              exclusive_maximum=True)
    log_dir: str | None = setting(
        None, "Folder for checkpoints, TensorBoard events and results "
        "(None = runs/invnet_<regularizer>).", resumable=True)
    measurements: bool = setting(True, "Log the classifier statistics (||F||, ||w_j||, "
                                 "zeros of w, histograms).", resumable=True)
    classifier_stats_every: int = setting(600, "Steps between classifier statistics "
                                          "(0 = off).", minimum=0, resumable=True)
    probe_size: int = setting(1000, "Test images of the classifier-statistics probe.",
                              minimum=1, resumable=True)
    analyze: bool = setting(True, "At the end, run the feature analysis on the test set "
                            "into <log_dir>/analysis (figures, analysis.json).",
                            resumable=True)
    tsne_examples: int = setting(2000, "Test images of each t-SNE embedding (0 = no "
                                 "t-SNE).", minimum=0, resumable=True)

    def __post_init__(self):
        super().__post_init__()
        if self.log_dir is None:
            self.log_dir = f"runs/invnet_{self.regularizer}"

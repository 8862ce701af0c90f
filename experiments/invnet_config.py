"""The configuration of an InvNet / RegInvNet run on MNIST (P2 §4.2, appendix E; SPEC §9).

Free of TensorFlow: `run.py` builds the flags of `--experiment=invnet` from the fields
and validates them before TensorFlow loads.
"""

import dataclasses
from typing import Optional

from experiments.config import ExperimentConfig, setting
from infodl.choices import ACTIVATIONS, DATASETS, L1_METHODS, RECONSTRUCTION_LOSSES, REGULARIZERS


@dataclasses.dataclass
class InvNetConfig(ExperimentConfig):
    """Settings of one InvNet run; the defaults are RegInvNet as P2 trains it.

    F = LeNet-300-100, D its mirror, w 100 × 10; every step one autoencoder update and
    one classifier update; SGD lr 0.1 × 0.7 every 10 epochs; the ℓ1 step every 30
    iterations; α1 = α2 = 0.002 (`--regularizer=none` is plain InvNet). P2 does not give
    the batch size, the number of epochs or the reconstruction loss: batch 100, per-image
    squared error and 20 epochs are this project's choices.
    """

    dataset: str = setting("mnist", "Data set (digits for an offline smoke run).",
                           choices=DATASETS)
    data_dir: Optional[str] = setting(
        None, "Folder with the MNIST files, or mnist.pkl.gz itself; None = TensorFlow "
        "Datasets.", resumable=True)
    allow_partial_files: bool = setting(
        False, "Accept original data files with fewer records than the official ones.")
    train_fraction: float = setting(
        1.0, "Fraction of the training set to use (stratified).", minimum=0,
        exclusive_minimum=True, maximum=1)
    regularizer: str = setting("info", "info (RegInvNet, P2 eq. 7), naive (α1·||w||_1 + "
                               "α2·||w||_F) or none (InvNet).", choices=REGULARIZERS)
    alpha1: float = setting(0.002, "Coefficient of ||w||_1.", minimum=0)
    alpha2: float = setting(0.002, "Coefficient of mean ||w_y||·||F(x)|| (naive: ||w||_F).",
                            minimum=0)
    l1_method: str = setting("proximal", "proximal (soft-threshold every l1_every steps, "
                             "P2 appendix E) or subgradient.", choices=L1_METHODS)
    l1_every: int = setting(30, "Interval of the proximal l1 step.", minimum=1)
    hidden_sizes: tuple = setting((300, 100), "Encoder widths, the last = feature size "
                                  "(LeNet-300-100); the decoder mirrors them.",
                                  item_type=int, minimum=1)
    activation: str = setting("relu", "Hidden activation of encoder and decoder.",
                              choices=ACTIVATIONS)
    reconstruction_loss: str = setting(
        "squared_error", "Autoencoder loss, summed over pixels: squared_error or "
        "binary_crossentropy.", choices=RECONSTRUCTION_LOSSES)
    epochs: int = setting(20, "Training epochs.", minimum=1, resumable=True)
    batch_size: int = setting(100, "Batch size.", minimum=1)
    learning_rate: float = setting(0.1, "Initial SGD learning rate of both updates.",
                                   minimum=0, exclusive_minimum=True)
    lr_decay: float = setting(0.7, "Factor of the learning rate every lr_decay_epochs.",
                              minimum=0, maximum=1, exclusive_minimum=True)
    lr_decay_epochs: int = setting(10, "Epochs between learning-rate decays.", minimum=1)
    momentum: float = setting(0.0, "SGD momentum.", minimum=0, maximum=1,
                              exclusive_maximum=True)
    log_dir: Optional[str] = setting(
        None, "Folder for checkpoints, TensorBoard events and results "
        "(None = runs/invnet_<regularizer>).", resumable=True)
    keep_checkpoints: int = setting(3, "Newest checkpoints to keep.", minimum=1,
                                    resumable=True)
    summary_every: int = setting(100, "Steps between training scalars in TensorBoard.",
                                 minimum=1, resumable=True)
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
    seed: int = setting(0, "Random seed.", minimum=0)
    overwrite: bool = setting(False, "Delete an existing log_dir that holds another run.",
                              resumable=True)
    verbose: int = setting(1, "0 silent, 1 progress bar, 2 one line per epoch.", minimum=0,
                           maximum=2, resumable=True)

    def __post_init__(self):
        super().__post_init__()
        if self.log_dir is None:
            self.log_dir = f"runs/invnet_{self.regularizer}"

    def check(self):
        if len(self.hidden_sizes) < 1:
            raise ValueError("Expected at least one encoder width. Received: "
                             f"hidden_sizes={self.hidden_sizes!r}")

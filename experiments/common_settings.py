"""Settings several experiments share, written once (free of TensorFlow).

Mixins for groups of settings with the same meaning and defaults in every experiment
that has them, and factories for the ones whose default differs (an experiment keeps
the help text and bounds, and gives its own default).
"""

import dataclasses
from typing import Optional

from infodl.experiments.config import ExperimentConfig, setting
from infodl.choices import L1_METHODS, REGULARIZERS


def alpha_setting(which, default):
    """α1 (which=1, the ℓ1 coefficient) or α2 (which=2, the information term's) of P2 eq. 7."""
    text = ("Coefficient of ||w||_1." if which == 1 else
            "Coefficient of mean ||w_y||·||F(x)|| (naive: ||w||_F).")
    return setting(default, text, minimum=0)


@dataclasses.dataclass
class DataFileSettings(ExperimentConfig):
    """Where the original data files are, and how much of the training set to use."""
    data_dir: Optional[str] = setting(
        None, "Folder with the original CIFAR (binary or python pickle) / MNIST files "
        "(or mnist.pkl.gz itself); None = TensorFlow Datasets.", resumable=True)
    allow_partial_files: bool = setting(
        False, "Accept original data files whose record counts differ from the official "
        "ones (a subset made on purpose).")
    train_fraction: float = setting(
        1.0, "Fraction of the training set to use (stratified).", minimum=0,
        exclusive_minimum=True, maximum=1)


@dataclasses.dataclass
class RegularizerSettings(ExperimentConfig):
    """P2's regularizer on the classifier w (`models.RegularizedLogits`)."""
    regularizer: str = setting("info", "info (P2 eq. 7), naive (α1·||w||_1 + α2·||w||_F, "
                               "P2 Table 1) or none.", choices=REGULARIZERS)
    alpha1: float = alpha_setting(1, 0.0)
    alpha2: float = alpha_setting(2, 0.0)
    l1_method: str = setting("proximal", "proximal (soft-threshold every l1_every steps, "
                             "P2 appendix E) or subgradient.", choices=L1_METHODS)
    l1_every: int = setting(30, "Interval of the proximal l1 step.", minimum=1)


@dataclasses.dataclass
class RunFolderSettings(ExperimentConfig):
    """The run folder's checkpoints and summaries, the seed and the console output."""
    keep_checkpoints: int = setting(3, "Newest checkpoints to keep.", minimum=1,
                                    resumable=True)
    summary_every: int = setting(100, "Steps between training scalars in TensorBoard.",
                                 minimum=1, resumable=True)
    seed: int = setting(0, "Random seed.", minimum=0)
    overwrite: bool = setting(False, "Delete an existing log_dir that holds another run.",
                              resumable=True)
    verbose: int = setting(1, "0 silent, 1 progress bar, 2 one line per epoch.", minimum=0,
                           maximum=2, resumable=True)

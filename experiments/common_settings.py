"""Settings several experiments share, written once (free of TensorFlow).

Mixins for groups of settings with the same meaning and defaults in every experiment
that has them, and factories for the ones whose default differs (an experiment keeps
the help text and bounds, and gives its own default). The settings the two IB
experiments share are `infodl.experiments.ib.settings.IBTrainingSettings`.
"""

import dataclasses

from infodl.choices import (
    L1_METHODS,
    L1_THRESHOLD_SCALES,
    REGULARIZERS,
)
from infodl.experiments.cli.config import ExperimentConfig, setting
from infodl.paper_constants import L1_EVERY
from infodl.run_folder.checkpoints import KEEP_CHECKPOINTS


def alpha_setting(which, default):
    """α1 (which=1, the ℓ1 coefficient) or α2 (which=2, the information term's) of P2 eq. 7."""
    text = ("Coefficient of ||w||_1." if which == 1 else
            "Coefficient of mean ||w_y||·||F(x)|| (naive: ||w||_F).")
    return setting(default, text, minimum=0)


@dataclasses.dataclass
class DataFileSettings(ExperimentConfig):
    """Where the original data files are, and how much of the training set to use."""
    data_dir: str | None = setting(
        None, "Folder with the original CIFAR (binary or python pickle) / MNIST files "
        "(or mnist.pkl.gz itself); None = TensorFlow Datasets.", resumable=True)
    allow_partial_files: bool = setting(
        False, "Accept original data files whose record counts differ from the official "
        "ones (a subset made on purpose).")
    train_fraction: float = setting(
        1.0, "Fraction of the training set to use (a stratified subset drawn with the run's "
        "seed: seed s draws subset s).", minimum=0, exclusive_minimum=True, maximum=1)


@dataclasses.dataclass
class RegularizerSettings(ExperimentConfig):
    """P2's regularizer on the classifier w (`infodl.models.RegularizedLogits`)."""
    regularizer: str = setting("info", "info (P2 eq. 7), naive (α1·||w||_1 + α2·||w||_F, "
                               "P2 Table 1) or none.", choices=REGULARIZERS)
    alpha1: float = alpha_setting(1, 0.0)
    alpha2: float = alpha_setting(2, 0.0)
    l1_method: str = setting("proximal", "proximal (soft-threshold every l1_every steps, "
                             "P2 appendix E) or subgradient.", choices=L1_METHODS)
    l1_every: int = setting(L1_EVERY, "Interval of the proximal l1 step (P2 appendix E: 30).",
                            minimum=1)
    l1_threshold_scale: str = setting(
        "interval", "Threshold of the proximal l1 step: interval (tau = lr·alpha1·l1_every, "
        "the sub-gradient steps it replaces) or step (tau = lr·alpha1); P2 appendix E leaves "
        "it open.", choices=L1_THRESHOLD_SCALES)


MAX_SEED = 2**32 - 1  # NumPy's and Keras' seeds are 32-bit


@dataclasses.dataclass
class RunSettings(ExperimentConfig):
    """The seed, whether an existing log_dir may be replaced, and the console output."""
    seed: int = setting(0, "Random seed; with num_seeds > 1 the seed of the first run (run k "
                        "uses seed + k).", minimum=0, maximum=MAX_SEED)
    overwrite: bool = setting(False, "Delete an existing log_dir that holds another run.",
                              resumable=True)
    verbose: int = setting(
        1, "Console output: 0 silent; 1 a progress bar (IB experiments: one per layer or "
        "stage); 2 one line per epoch where Keras fit() trains (resnet, invnet), elsewhere "
        "the progress bar of 1.", minimum=0, maximum=2, resumable=True)


@dataclasses.dataclass
class RunFolderSettings(RunSettings):
    """The run folder's checkpoints and summaries, and the `RunSettings`."""
    keep_checkpoints: int = setting(KEEP_CHECKPOINTS, "Newest checkpoints to keep.", minimum=1,
                                    resumable=True)
    summary_every: int = setting(100, "Steps between training scalars in TensorBoard.",
                                 minimum=1, resumable=True)

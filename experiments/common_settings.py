"""Settings several experiments share, written once (free of TensorFlow).

Mixins for groups of settings with the same meaning and defaults in every experiment
that has them, and factories for the ones whose default differs (an experiment keeps
the help text and bounds, and gives its own default).
"""

import dataclasses

from infodl.choices import (
    DATASETS,
    IB_CRITIC_STANDARDIZATIONS,
    IB_NETWORKS,
    L1_METHODS,
    L1_THRESHOLD_SCALES,
    MINE_STANDARDIZATIONS,
    REGULARIZERS,
)
from infodl.experiments.config import ExperimentConfig, setting
from infodl.paper_constants import IB_NOISE_VARIANCE, L1_EVERY, PAPER_CRITIC_HIDDEN_UNITS
from infodl.run_folder.checkpoints import KEEP_CHECKPOINTS

# Data sets of P3's convolutional networks (inputs standardized per channel).
CONV_DATASETS = ("cifar10", "cifar100", "synthetic")
BETA_HELP = ("IB beta: layer-wise, the weight of I(X; L_i + eps) in I(Y; L_i) - beta "
             "I(X; L_i + eps) (P3 eq. 5; 0 = IB first term only); end-to-end, the weight "
             "of -I(Y; Y_hat) (P3 eq. 8).")


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


@dataclasses.dataclass
class IBTrainingSettings(DataFileSettings, RunSettings):
    """P3's IB training (`infodl.training.ib_trainer_base.IBTrainerBase`): data, network,
    critics, information-plane points, checkpoints and seeds (ib_layerwise and
    ib_end_to_end). An iteration is one network step with its k critic steps.

    A field named like an `IBTrainerBase` argument is passed to the trainer under that
    name (`infodl.experiments.ib_runs.trainer_settings`)."""
    dataset: str = setting("mnist", "Data set.", choices=DATASETS)
    network: str | None = setting(
        None, "mlp_512_512, mlp_600_400, convnet_16 or convnet_48_96_192; None = P3's "
        "net for the data set and experiment.", choices=IB_NETWORKS)
    noise_variance: float = setting(IB_NOISE_VARIANCE, "Noise variance sigma^2 of I(X; L + eps) "
                                    "(P3: 2).", minimum=0, exclusive_minimum=True)
    critic_steps: int = setting(10, "k: steps of each critic per network step (P3: 10).",
                                minimum=1)
    critic_hidden_units: tuple = setting(
        PAPER_CRITIC_HIDDEN_UNITS, "Hidden widths of the MINE / AA-MINE critics "
        "(P3 appendix C: 1500,1500).",
        item_type=int, minimum=1)
    learning_rate: float = setting(1e-3, "Adam learning rate of the network (P3: 1e-3).",
                                   minimum=0, exclusive_minimum=True)
    critic_learning_rate: float = setting(1e-4, "Adam learning rate of the critics "
                                          "(P3: 1e-4).", minimum=0, exclusive_minimum=True)
    batch_size: int = setting(256, "Examples per step (P3 does not say).", minimum=2)
    critic_pretrain_steps: int = setting(
        5000, "Most critic steps of the pretraining before each layer (it stops earlier "
        "when the held-out estimate stops improving).", minimum=0)
    critic_eval_every: int = setting(100, "Critic steps between held-out evaluations of "
                                     "the pretraining.", minimum=1)
    critic_patience: int = setting(5, "Held-out evaluations without improvement that end "
                                   "the pretraining.", minimum=1)
    critic_pretrain_learning_rate: float = setting(
        1e-3, "Adam learning rate of the critics while they are pretrained alone before a "
        "layer (the IB iterations use --critic_learning_rate; docs/ib_training.md).",
        minimum=0, exclusive_minimum=True)
    critic_pretrain_tolerance: float = setting(
        0.02, "Smallest rise (nats) of a held-out estimate that counts as progress: the "
        "pretraining stops after --critic_patience evaluations without one.", minimum=0)
    critic_pretrain_batch_size: int | None = setting(
        2048, "Pairs per step of the I(X; L+eps) critic while the critics are pretrained "
        "alone before a layer (before 2026-12-02 it was --batch_size's value). On 1 % "
        "MNIST with 128-wide critics, at 128 that critic stayed under independent fits on "
        "hidden_1 and hidden_2; at 2048, with --critic_pretrain_label_batch_size=128 and "
        "the averaging, all six (layer, critic) estimates were within one std of "
        "3000-step independent fits (docs/ib_training.md).", minimum=2)
    critic_pretrain_label_batch_size: int | None = setting(
        None, "Pairs per step of the I(Y; L) critic in that pretraining (None = "
        "--batch_size): it overfits the training examples at large batches (on 1 % MNIST "
        "hidden_1, without the averaging: 2.22 bits at 128, 1.98 at 2048).", minimum=2)
    critic_pretrain_average: float = setting(
        0.99, "Decay per critic step of a moving average of the "
        "critics' weights during their pretraining: the held-out stopping rule reads the "
        "averaged critics and the IB iterations start from them (0 = the last weights, as "
        "before; docs/ib_training.md).", minimum=0, maximum=1, exclusive_maximum=True)
    critic_standardize: str = setting(
        "none", "Input map of the critics, fitted on L before the pretraining of each "
        "layer: none (P3's raw values), global (L - its mean, divided by one scale s, the "
        "root mean variance of the units; L + eps by sqrt(s^2 + sigma^2)) or unit (a scale "
        "per unit). Affine and invertible: the same critic family, better conditioned "
        "(on MNIST hidden_1 it sped up I(X; L+eps) but lowered I(Y; L): docs/ib_training.md).",
        choices=IB_CRITIC_STANDARDIZATIONS)
    log_every: int = setting(100, "Iterations between information-plane points.",
                             minimum=1, resumable=True)
    checkpoint_every: int = setting(500, "Iterations between checkpoints.", minimum=1,
                                    resumable=True)
    info_examples: int = setting(1000, "Held-out test images of the information-plane "
                                 "estimates (never used for training).", minimum=2)
    estimate_restarts: int = setting(
        0, "0, or k independent MINE / AA-MINE fits (fit_estimate with restarts=k) at the "
        "start and end of each layer: error bars of the information plane.", minimum=0,
        resumable=True)
    estimate_steps: int = setting(1000, "Critic steps of each error-bar fit.", minimum=1,
                                  resumable=True)
    estimate_standardize: str = setting(
        "gaussianize", "Input map of the error-bar fits: gaussianize (each unit to normal "
        "marginals, then whitening; keeps AA-MINE on wide ReLU layers from collapsing), "
        "whiten, scale or none.", choices=MINE_STANDARDIZATIONS, resumable=True)
    num_seeds: int = setting(1, "Runs (consecutive seeds from --seed) averaged in results.json; "
                             "a rerun with more seeds adds the missing ones.", minimum=1,
                             resumable=True)

"""The configuration of an end-to-end IB run (P3 appendix B, SPEC §8), paper defaults.

L = alpha·CE(Y, Ŷ) − beta·I(Y; Ŷ) + gamma·I(X; Ŷ + eps); alpha = 1, beta = gamma = 0 is
the cross-entropy baseline of P3 Table 3. Free of TensorFlow.
"""

import dataclasses
from typing import Optional

from infodl.experiments.config import ExperimentConfig, setting
from infodl.experiments.ib_layerwise_config import (BETA_HELP, CONV_DATASETS,
                                             ESTIMATE_RESTARTS_HELP, INFO_EXAMPLES_HELP,
                                             NETWORK_HELP)
from infodl.choices import DATASETS, IB_NETWORKS

# P3 Table 3: 5000 steps on MNIST, 20000 on CIFAR-10.
PAPER_TRAIN_STEPS = {"mnist": 5000, "digits": 5000}
PAPER_CONV_TRAIN_STEPS = 20000


@dataclasses.dataclass
class IBEndToEndConfig(ExperimentConfig):
    """Settings of end-to-end training with the IB functional as regularizer."""

    dataset: str = setting("mnist", "Data set.", choices=DATASETS)
    data_dir: Optional[str] = setting(
        None, "Folder with the original CIFAR / MNIST files (or mnist.pkl.gz itself), "
        "or a prepared TensorFlow Datasets folder; None = TensorFlow Datasets.",
        resumable=True)
    train_fraction: float = setting(
        1.0, "Fraction of the training set to use (stratified; seed s draws subset s).",
        minimum=0, exclusive_minimum=True, maximum=1)
    network: Optional[str] = setting(None, NETWORK_HELP, choices=IB_NETWORKS)
    alpha: float = setting(1.0, "Weight of the cross-entropy (P3 eq. 8).", minimum=0)
    beta: float = setting(1.0, BETA_HELP, minimum=0)
    gamma: float = setting(1e-3, "Weight of I(X; Y_hat + eps) (P3 eq. 8; Table 3: 1e-3).",
                           minimum=0)
    noise_variance: float = setting(2.0, "Noise variance sigma^2 of I(X; L + eps) "
                                    "(P3: 2).", minimum=0, exclusive_minimum=True)
    critic_steps: int = setting(10, "k: steps of each critic per network step (P3: 10).",
                                minimum=1)
    train_steps: Optional[int] = setting(
        None, "Network steps (None = P3's: 5000 MNIST, 20000 CIFAR-10).", minimum=1)
    critic_hidden_units: tuple = setting(
        (1500, 1500), "Hidden widths of the MINE / AA-MINE critics (P3: 1500,1500).",
        item_type=int, minimum=1)
    learning_rate: float = setting(1e-3, "Adam learning rate of the network (P3: 1e-3).",
                                   minimum=0, exclusive_minimum=True)
    critic_learning_rate: float = setting(1e-4, "Adam learning rate of the critics "
                                          "(P3: 1e-4).", minimum=0, exclusive_minimum=True)
    batch_size: int = setting(256, "Examples per step (P3 does not say).", minimum=2)
    critic_pretrain_steps: int = setting(
        5000, "Most critic steps of the pretraining (it stops earlier when the held-out "
        "estimate stops improving).", minimum=0)
    critic_eval_every: int = setting(100, "Critic steps between held-out evaluations of "
                                     "the pretraining.", minimum=1)
    critic_patience: int = setting(5, "Held-out evaluations without improvement that end "
                                   "the pretraining.", minimum=1)
    log_every: int = setting(100, "Steps between information-plane points.", minimum=1,
                             resumable=True)
    checkpoint_every: int = setting(500, "Steps between checkpoints.", minimum=1,
                                    resumable=True)
    info_examples: int = setting(1000, INFO_EXAMPLES_HELP, minimum=2)
    estimate_restarts: int = setting(0, ESTIMATE_RESTARTS_HELP, minimum=0, resumable=True)
    estimate_steps: int = setting(1000, "Critic steps of each error-bar fit.", minimum=1,
                                  resumable=True)
    num_seeds: int = setting(1, "Runs (seeds seed, seed+1, ...) averaged in results.json; "
                             "a rerun with more seeds adds the missing ones.", minimum=1,
                             resumable=True)
    seed: int = setting(0, "Seed of the first run.", minimum=0)
    log_dir: Optional[str] = setting(None, "Output folder; None = runs/ib_end_to_end_"
                                     "<dataset>.", resumable=True)
    overwrite: bool = setting(False, "Delete an existing log_dir that holds another run.",
                              resumable=True)
    verbose: int = setting(1, "1 = a progress bar, 0 = silent.", minimum=0, maximum=2,
                           resumable=True)

    def __post_init__(self):
        super().__post_init__()
        if isinstance(self.dataset, str):
            conv = self.dataset in CONV_DATASETS
            if self.network is None:
                self.network = "convnet_48_96_192" if conv else "mlp_600_400"
            if self.train_steps is None:
                self.train_steps = PAPER_CONV_TRAIN_STEPS if conv else PAPER_TRAIN_STEPS.get(
                    self.dataset, 5000)
        if self.log_dir is None:
            self.log_dir = f"runs/ib_end_to_end_{self.dataset}"

    def check(self):
        if not (self.alpha or self.beta or self.gamma):
            raise ValueError("Expected alpha, beta or gamma > 0 (the loss would be 0). "
                             "Received: alpha=0, beta=0, gamma=0")

"""The configuration of a layer-by-layer IB run (P3 §5, SPEC §8), paper defaults.

Free of TensorFlow: `run.py` builds its flags from the fields and validates them before
TensorFlow loads. The defaults are P3's settings (5000 iterations per layer, critics
1500-1500, k = 10, sigma^2 = 2, beta = 1e-3, lr 1e-3 / 1e-4); docs/ib_training.md names
the smaller settings used for the CPU-budget tables.
"""

import dataclasses
from typing import Optional

from infodl.experiments.config import ExperimentConfig, setting
from infodl.choices import DATASETS, IB_METHODS, IB_NETWORKS

CONV_DATASETS = ("cifar10", "cifar100", "synthetic")
# Help texts of settings shared with ib_end_to_end (one flag, one text).
BETA_HELP = ("IB beta: layer-wise, the weight of I(X; L_i + eps) in I(Y; L_i) - beta "
             "I(X; L_i + eps) (P3 eq. 5; 0 = IB first term only); end-to-end, the weight "
             "of -I(Y; Y_hat) (P3 eq. 8).")
NETWORK_HELP = ("mlp_512_512, mlp_600_400, convnet_16 or convnet_48_96_192; None = P3's "
                "net for the data set and experiment.")
INFO_EXAMPLES_HELP = ("Held-out test images of the information-plane estimates (never "
                      "used for training).")
ESTIMATE_RESTARTS_HELP = ("0, or k independent MINE / AA-MINE fits (fit_estimate with "
                          "restarts=k) at the start and end of each layer: error bars of "
                          "the information plane.")


@dataclasses.dataclass
class IBLayerwiseConfig(ExperimentConfig):
    """Settings of layer-by-layer IB training and its cross-entropy baselines."""

    method: str = setting("ib", "ib (layer-by-layer IB functional, then a post-trained "
                          "linear layer) or cross_entropy (the baseline; with "
                          "--weight_decay the CE + weight decay baseline).",
                          choices=IB_METHODS)
    dataset: str = setting("mnist", "Data set.", choices=DATASETS)
    data_dir: Optional[str] = setting(
        None, "Folder with the original CIFAR / MNIST files (or mnist.pkl.gz itself), "
        "or a prepared TensorFlow Datasets folder; None = TensorFlow Datasets.",
        resumable=True)
    train_fraction: float = setting(
        1.0, "Fraction of the training set to use (stratified; seed s draws subset s).",
        minimum=0, exclusive_minimum=True, maximum=1)
    network: Optional[str] = setting(None, NETWORK_HELP, choices=IB_NETWORKS)
    beta: float = setting(1e-3, BETA_HELP, minimum=0)
    conv_beta: float = setting(0.0, "beta of the convolutional layers (P3 CIFAR-10: 0).",
                               minimum=0)
    noise_variance: float = setting(2.0, "Noise variance sigma^2 of I(X; L + eps) "
                                    "(P3: 2).", minimum=0, exclusive_minimum=True)
    critic_steps: int = setting(10, "k: steps of each critic per network step (P3: 10).",
                                minimum=1)
    iterations_per_layer: int = setting(5000, "IB iterations of each layer (P3: 5000).",
                                        minimum=1)
    critic_hidden_units: tuple = setting(
        (1500, 1500), "Hidden widths of the MINE / AA-MINE critics (P3: 1500,1500).",
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
    posttrain_steps: int = setting(5000, "Adam steps (whole epochs) of cross-entropy "
                                   "training of the linear layer on the frozen features.",
                                   minimum=1)
    posttrain_learning_rate: float = setting(1e-2, "Adam learning rate of that training.",
                                             minimum=0, exclusive_minimum=True)
    weight_decay: float = setting(0.0, "cross_entropy only: wd·Σw²/2 on every kernel "
                                  "(CE + weight decay baseline).", minimum=0)
    train_steps: Optional[int] = setting(
        None, "cross_entropy only: network steps (None = layers × iterations_per_layer, "
        "the network steps of layer-wise IB).", minimum=1)
    log_every: int = setting(100, "Iterations between information-plane points.",
                             minimum=1, resumable=True)
    checkpoint_every: int = setting(500, "Iterations between checkpoints.", minimum=1,
                                    resumable=True)
    info_examples: int = setting(1000, INFO_EXAMPLES_HELP, minimum=2)
    estimate_restarts: int = setting(0, ESTIMATE_RESTARTS_HELP, minimum=0, resumable=True)
    estimate_steps: int = setting(1000, "Critic steps of each error-bar fit.", minimum=1,
                                  resumable=True)
    num_seeds: int = setting(1, "Runs (seeds seed, seed+1, ...) averaged in results.json; "
                             "a rerun with more seeds adds the missing ones.", minimum=1,
                             resumable=True)
    seed: int = setting(0, "Seed of the first run.", minimum=0)
    log_dir: Optional[str] = setting(None, "Output folder; None = runs/ib_layerwise_"
                                     "<method>_<dataset>.", resumable=True)
    overwrite: bool = setting(False, "Delete an existing log_dir that holds another run.",
                              resumable=True)
    verbose: int = setting(1, "1 = a progress bar per layer, 0 = silent.", minimum=0,
                           maximum=2, resumable=True)

    def __post_init__(self):
        super().__post_init__()
        if self.network is None and isinstance(self.dataset, str):
            self.network = "convnet_16" if self.dataset in CONV_DATASETS else "mlp_512_512"
        if self.log_dir is None:
            self.log_dir = f"runs/ib_layerwise_{self.method}_{self.dataset}"

    def check(self):
        if self.method == "ib" and self.weight_decay:
            raise ValueError("Expected weight_decay=0 with method='ib' (it applies to the "
                             f"cross_entropy baseline). Received: weight_decay={self.weight_decay}")
        if self.method == "ib" and self.train_steps is not None:
            raise ValueError("Expected train_steps=None with method='ib' (it sets the "
                             "cross_entropy baseline; IB uses iterations_per_layer). "
                             f"Received: train_steps={self.train_steps}")

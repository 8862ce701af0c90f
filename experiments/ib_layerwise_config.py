"""The configuration of a layer-by-layer IB run (P3 (Elad et al.) §5), paper defaults.

Free of TensorFlow: `run.py` builds its flags from the fields and validates them before
TensorFlow loads. The defaults are P3's settings (5000 iterations per layer, critics
1500-1500, k = 10, sigma^2 = 2, beta = 1e-3, lr 1e-3 / 1e-4); docs/ib_training.md names
the smaller settings used for the CPU-budget tables.
"""

import dataclasses

from infodl.choices import IB_METHODS
from infodl.experiments.common_settings import BETA_HELP, CONV_DATASETS, IBTrainingSettings
from infodl.experiments.config import setting


@dataclasses.dataclass
class IBLayerwiseConfig(IBTrainingSettings):
    """Settings of layer-by-layer IB training and its cross-entropy baselines."""

    method: str = setting("ib", "ib (layer-by-layer IB functional, then a post-trained "
                          "linear layer) or cross_entropy (the baseline; with "
                          "--weight_decay the CE + weight decay baseline).",
                          choices=IB_METHODS)
    beta: float = setting(1e-3, BETA_HELP, minimum=0)
    conv_beta: float = setting(0.0, "beta of the convolutional layers (P3 CIFAR-10: 0).",
                               minimum=0)
    iterations_per_layer: int = setting(5000, "IB iterations of each layer (P3: 5000).",
                                        minimum=1)
    posttrain_steps: int = setting(5000, "Adam steps (whole epochs) of cross-entropy "
                                   "training of the linear layer on the frozen features.",
                                   minimum=1)
    posttrain_learning_rate: float = setting(1e-2, "Adam learning rate of that training.",
                                             minimum=0, exclusive_minimum=True)
    weight_decay: float = setting(0.0, "cross_entropy only: wd·Σw²/2 on every kernel "
                                  "(CE + weight decay baseline).", minimum=0)
    train_steps: int | None = setting(
        None, "cross_entropy only: network steps (None = layers × iterations_per_layer, "
        "the network steps of layer-wise IB).", minimum=1)
    log_dir: str | None = setting(None, "Output folder; None = runs/ib_layerwise_"
                                     "<method>_<dataset>.", resumable=True)

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

"""The configuration of an end-to-end IB run (P3 (Elad et al.) appendix B), paper defaults.

L = alpha·CE(Y, Ŷ) − beta·I(Y; Ŷ) + gamma·I(X; Ŷ + eps); alpha = 1, beta = gamma = 0 is
the cross-entropy baseline of P3 Table 3. Free of TensorFlow.
"""

import dataclasses

from infodl.experiments.cli.config import setting
from infodl.experiments.ib.settings import CONV_DATASETS, IBTrainingSettings

# P3 Table 3: 5000 steps on MNIST, 20000 on CIFAR-10.
PAPER_TRAIN_STEPS = {"mnist": 5000, "digits": 5000}
PAPER_CONV_TRAIN_STEPS = 20000


@dataclasses.dataclass
class IBEndToEndConfig(IBTrainingSettings):
    """Settings of end-to-end training with the IB functional as regularizer."""

    alpha: float = setting(1.0, "Weight of the cross-entropy (P3 eq. 8).", minimum=0)
    beta: float = setting(1.0, "Weight of -I(Y; Y_hat) (P3 eq. 8).", minimum=0)
    gamma: float = setting(1e-3, "Weight of I(X; Y_hat + eps) (P3 eq. 8; Table 3: 1e-3).",
                           minimum=0)
    train_steps: int | None = setting(
        None, "Network steps (None = P3's: 5000 MNIST, 20000 CIFAR-10).", minimum=1)
    log_dir: str | None = setting(None, "Output folder; None = runs/ib_end_to_end_"
                                     "<dataset>.", resumable=True)

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

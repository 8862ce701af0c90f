"""The configuration of a layer-by-layer IB run (P3 (Elad et al.) §5), paper defaults.

Free of TensorFlow: `run.py` builds its flags from the fields and validates them before
TensorFlow loads. The defaults are P3's settings (5000 iterations per layer, critics
1500-1500, k = 10, sigma^2 = 2, beta = 1e-3, lr 1e-3 / 1e-4); docs/ib_training.md names
the smaller settings used for the CPU-budget tables.
"""

import dataclasses

from infodl.choices import IB_METHODS
from infodl.experiments.cli.config import setting
from infodl.experiments.ib.settings import CONV_DATASETS, IBTrainingSettings

FIRST_IB_LAYER = "hidden_1"  # the first layer of every IB network (models.ib_nets)


@dataclasses.dataclass
class IBLayerwiseConfig(IBTrainingSettings):
    """Settings of layer-by-layer IB training and its cross-entropy baselines."""

    method: str = setting("ib", "ib (layer-by-layer IB functional, then a post-trained "
                          "linear layer), cross_entropy (the baseline; with "
                          "--weight_decay the CE + weight decay baseline) or "
                          "logistic_regression (scikit-learn's, C=1, lbfgs, max_iter=1000, "
                          "on the pixels as the net's input layer scales them).",
                          choices=IB_METHODS)
    beta: float = setting(
        1e-3, "IB beta: the weight of I(X; L_i + eps) in each layer's I(Y; L_i) - beta "
        "I(X; L_i + eps) (P3 eq. 5; 0 = the IB functional's first term only).", minimum=0)
    conv_beta: float = setting(0.0, "beta of the convolutional layers (P3 CIFAR-10: 0).",
                               minimum=0)
    iterations_per_layer: int = setting(5000, "IB iterations of each layer (P3: 5000).",
                                        minimum=1)
    train_layers: str | None = setting(
        None, "ib only: the IB layers to train, a name (features) or a range first:last "
        "(hidden_2:features); the others keep their weights (from --init_model) and stay "
        "frozen, then logits is post-trained as usual. None = every IB layer.")
    init_model: str | None = setting(
        None, "ib only: weights that initialise the net, a model.keras of an earlier "
        "layer-wise IB run of the same network, or that run's folder (seed s then starts "
        "from <folder>/seed_<s>/model.keras). Needed when --train_layers starts above "
        "hidden_1.")
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
        for name in ("train_layers", "init_model"):
            if self.method != "ib" and getattr(self, name) is not None:
                raise ValueError(f"Expected {name}=None with method={self.method!r} (it "
                                 f"applies to method='ib'). Received: {name}="
                                 f"{getattr(self, name)!r}")
        if self.train_layers is not None:
            parts = self.train_layers.split(":")
            if len(parts) > 2 or not all(parts):
                raise ValueError("Expected train_layers to be a layer name or a range "
                                 "first:last (e.g. features, hidden_2:features). "
                                 f"Received: train_layers={self.train_layers!r}")
            if parts[0] != FIRST_IB_LAYER and self.init_model is None:
                raise ValueError(
                    f"Expected init_model with train_layers={self.train_layers!r} (the "
                    f"layers below {parts[0]} would stay at their random initial weights; "
                    "pass an earlier run's model.keras or folder). Received: init_model=None")
        if self.method != "cross_entropy" and self.weight_decay:
            raise ValueError(f"Expected weight_decay=0 with method={self.method!r} (it applies "
                             "to the cross_entropy baseline). "
                             f"Received: weight_decay={self.weight_decay}")
        if self.method != "cross_entropy" and self.train_steps is not None:
            raise ValueError(f"Expected train_steps=None with method={self.method!r} (it sets "
                             "the cross_entropy baseline; IB uses iterations_per_layer). "
                             f"Received: train_steps={self.train_steps}")

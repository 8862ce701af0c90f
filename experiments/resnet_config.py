"""The configuration of a ResNet run, with the original code's defaults per model."""

import dataclasses
import math
from typing import Optional

from models.regularized_logits import L1_METHODS, REGULARIZERS
from models.resnet import ARCHITECTURES

DATASETS = ("cifar10", "cifar100", "mnist", "digits", "synthetic")
MODES = ("train", "eval", "train_and_eval")
CIFAR_TRAIN_SIZE = 50_000

# Keys that may change when a run is resumed in the same log folder.
RESUMABLE_KEYS = (
    "train_steps", "mode", "overwrite", "verbose", "data_dir", "summary_every",
    "block_ratio_every", "info_every", "classifier_stats_every", "measurements",
    "keep_checkpoints")


def _wrn_defaults(batch_size):
    """WRN-28-10 (Zagoruyko & Komodakis): 200 epochs, lr 0.1 × 0.2 at 60/120/160, wd 5e-4."""
    steps_per_epoch = math.ceil(CIFAR_TRAIN_SIZE / batch_size)
    return dict(train_steps=200 * steps_per_epoch,
                lr_boundaries=tuple(e * steps_per_epoch for e in (60, 120, 160)),
                lr_values=(0.1, 0.02, 0.004, 0.0008), weight_decay=5e-4, nesterov=True)


RESNET_DEFAULTS = dict(train_steps=80_000, lr_boundaries=(40_000, 60_000),
                       lr_values=(0.1, 0.01, 0.001), weight_decay=2e-4, nesterov=False)


@dataclasses.dataclass
class ResNetConfig:
    """Everything a ResNet run depends on. `None` fields take the model's defaults.

    Defaults follow tensorflow/models research/resnet (SPEC §1): batch 128, momentum 0.9,
    wd 2e-4, lr 0.1 → 0.01 at 40k → 0.001 at 60k, 80k steps; WRN-28-10 gets its own
    schedule (see `_wrn_defaults`).
    """
    model: str = "resnet32"
    dataset: str = "cifar10"
    data_dir: Optional[str] = None
    train_fraction: float = 1.0
    regularizer: str = "info"
    alpha1: float = 0.0
    alpha2: float = 0.0
    l1_method: str = "proximal"
    l1_every: int = 30
    batch_size: int = 128
    train_steps: Optional[int] = None
    lr_boundaries: Optional[tuple] = None
    lr_values: Optional[tuple] = None
    weight_decay: Optional[float] = None
    momentum: float = 0.9
    nesterov: Optional[bool] = None
    augment: bool = True
    pad: int = 2
    log_dir: str = "runs/resnet32"
    mode: str = "train_and_eval"
    eval_every: int = 1000
    keep_checkpoints: int = 3
    summary_every: int = 100
    measurements: bool = True
    block_ratio_every: int = 100
    info_every: int = 1000
    info_examples: int = 2000
    classifier_stats_every: int = 500
    probe_size: int = 128
    seed: int = 0
    overwrite: bool = False
    verbose: int = 1

    def __post_init__(self):
        defaults = _wrn_defaults(self.batch_size) if self.model == "wrn28_10" else RESNET_DEFAULTS
        for key, value in defaults.items():
            if getattr(self, key) is None:
                setattr(self, key, value)
        self.lr_boundaries = tuple(int(b) for b in self.lr_boundaries)
        self.lr_values = tuple(float(v) for v in self.lr_values)

    def validate(self):
        """Raises ValueError with one clear line for any impossible setting."""
        choices = (("model", sorted(ARCHITECTURES)), ("dataset", DATASETS),
                   ("regularizer", REGULARIZERS), ("l1_method", L1_METHODS), ("mode", MODES))
        for name, allowed in choices:
            if getattr(self, name) not in allowed:
                raise ValueError(f"Expected {name} in {tuple(allowed)}. "
                                 f"Received: {name}={getattr(self, name)!r}")
        for name in ("alpha1", "alpha2", "weight_decay", "momentum"):
            value = getattr(self, name)
            if not value >= 0:
                raise ValueError(f"Expected {name} >= 0. Received: {name}={value}")
        for name in ("batch_size", "train_steps", "eval_every", "l1_every",
                     "keep_checkpoints", "summary_every", "probe_size", "info_examples"):
            value = getattr(self, name)
            if not value >= 1:
                raise ValueError(f"Expected {name} >= 1. Received: {name}={value}")
        for name in ("block_ratio_every", "info_every", "classifier_stats_every"):
            if getattr(self, name) < 0:
                raise ValueError(f"Expected {name} >= 0 (0 switches it off). "
                                 f"Received: {name}={getattr(self, name)}")
        if not 0 < self.train_fraction <= 1:
            raise ValueError(
                f"Expected 0 < train_fraction <= 1. Received: train_fraction={self.train_fraction}")
        if len(self.lr_values) != len(self.lr_boundaries) + 1:
            raise ValueError(
                "Expected one more lr value than lr boundaries. Received: "
                f"lr_boundaries={list(self.lr_boundaries)}, lr_values={list(self.lr_values)}")
        if list(self.lr_boundaries) != sorted(set(self.lr_boundaries)):
            raise ValueError(f"Expected increasing lr_boundaries. "
                             f"Received: lr_boundaries={list(self.lr_boundaries)}")
        if any(not v > 0 for v in self.lr_values):
            raise ValueError(f"Expected lr_values > 0. Received: lr_values={list(self.lr_values)}")
        if self.pad not in (0, 2, 4):
            raise ValueError(f"Expected pad in (0, 2, 4). Received: pad={self.pad}")
        return self

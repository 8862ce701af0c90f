"""The configuration of a ResNet run, with the original code's defaults (P2 §4, eq. 5-7, app. E)."""

import dataclasses
import math

from infodl.choices import (
    DATASETS,
    DISTRIBUTION_STRATEGIES,
    DTYPE_POLICIES,
    EVAL_PROTOCOLS,
    MODELS,
    MODES,
    RECIPES,
)
from infodl.experiments.cli.config import setting
from infodl.experiments.common_settings import (
    DataFileSettings,
    RegularizerSettings,
    RunFolderSettings,
)

CIFAR_TRAIN_SIZE = 50_000

# The two training recipes (`--recipe`). "original": tensorflow/models research/resnet
# (resnet_main.py), for every model including WRN-28-10 (P2's WRN baseline, 78.51 % on
# CIFAR-100, fits it), and wenxinxu/resnet-in-tensorflow's hyper_parameters.py for
# resnet32_wenxinxu (the same schedule). "zagoruyko": Zagoruyko & Komodakis' WRN
# recipe, 200 epochs, lr 0.1 x 0.2 at epochs 60/120/160, wd 5e-4, Nesterov, dropout 0.3.
ORIGINAL_RECIPE = dict(train_steps=80_000, lr_boundaries=(40_000, 60_000),
                       lr_values=(0.1, 0.01, 0.001), weight_decay=2e-4, nesterov=False,
                       dropout_rate=0.0)


def _zagoruyko_recipe(batch_size):
    """Zagoruyko & Komodakis (2016): 200 epochs of CIFAR, lr 0.1 × 0.2 at 60/120/160."""
    steps_per_epoch = math.ceil(CIFAR_TRAIN_SIZE / batch_size)
    return dict(train_steps=200 * steps_per_epoch,
                lr_boundaries=tuple(e * steps_per_epoch for e in (60, 120, 160)),
                lr_values=(0.1, 0.02, 0.004, 0.0008), weight_decay=5e-4, nesterov=True,
                dropout_rate=0.3)


def _recipe_defaults(recipe, batch_size):
    """The settings a recipe fills in where the config leaves None."""
    return _zagoruyko_recipe(batch_size) if recipe == "zagoruyko" else dict(ORIGINAL_RECIPE)


@dataclasses.dataclass
class ResNetConfig(DataFileSettings, RegularizerSettings, RunFolderSettings):
    """Everything a ResNet run depends on; `None` fields take the recipe's defaults.

    Defaults follow tensorflow/models research/resnet (the code P2 builds on): batch 128, momentum
    0.9, wd 2e-4, lr 0.1 → 0.01 at 40k → 0.001 at 60k, 80k steps, for every model;
    `recipe="zagoruyko"` gives the WRN paper's schedule instead.
    """
    model: str = setting("resnet32", "Network.", choices=MODELS)
    dataset: str = setting("cifar10", "Data set.", choices=DATASETS)
    synthetic_sizes: tuple = setting((2560, 512), "Train and test images of "
                                     "--dataset=synthetic.", item_type=int, minimum=1)
    recipe: str = setting("original", "Training recipe: original (the TF code path of "
                          "the papers) or zagoruyko (the WRN paper's).", choices=RECIPES)
    batch_size: int = setting(128, "Batch size per replica (the global batch is batch_size x "
                              "replicas under a distribution strategy).", minimum=1)
    train_steps: int | None = setting(
        None, "Global steps to train (None = the recipe's: 80k; zagoruyko 200 epochs).",
        minimum=1, resumable=True)
    lr_boundaries: tuple | None = setting(
        None, "Steps where the lr drops (None = the recipe's: 40000,60000).",
        item_type=int, minimum=1)
    lr_values: tuple | None = setting(
        None, "Learning rates (None = the recipe's: 0.1,0.01,0.001).", item_type=float,
        minimum=0, exclusive_minimum=True)
    weight_decay: float | None = setting(
        None, "wd of the original code, wd·Σw²/2 on every kernel (None = the recipe's: "
        "2e-4; zagoruyko 5e-4).", minimum=0)
    momentum: float = setting(0.9, "SGD momentum.", minimum=0, maximum=1,
                              exclusive_maximum=True)
    nesterov: bool | None = setting(None, "Nesterov momentum (None = the recipe's).")
    dropout_rate: float | None = setting(
        None, "Dropout between the two convolutions of a unit (None = the recipe's: 0; "
        "zagoruyko 0.3).", minimum=0, maximum=1, exclusive_maximum=True)
    augment: bool = setting(True, "Random crop + flip on the training set.")
    pad: int = setting(2, "Pixels of padding before the random crop (2 or 4; 0 = none).",
                       choices=(0, 2, 4))
    log_dir: str | None = setting(
        None, "Folder for checkpoints, TensorBoard events and results "
        "(None = runs/<model>).", resumable=True)
    mode: str = setting("train_and_eval", "train, eval (score the newest checkpoint) or "
                        "train_and_eval.", choices=MODES, resumable=True)
    eval_every: int = setting(1000, "Steps between test evaluations and checkpoints.",
                              minimum=1)
    eval_batch_size: int | None = setting(
        None, "Batch size of the full-test-set evaluations (None = batch_size; 250 for "
        "resnet32_wenxinxu, whose batch norm uses each batch's statistics, as its code "
        "validated). The original protocol always uses batches of 100.", minimum=1,
        resumable=True)
    eval_protocol: str = setting(
        "full", "full (every test image at each evaluation) or original (50 batches of "
        "100 test images, cycling through the test set, as resnet_main.py).",
        choices=EVAL_PROTOCOLS)
    measurements: bool = setting(True, "Log block ratios, I(X;Ŷ)−I(Y;Ŷ) and classifier "
                                 "statistics.", resumable=True)
    block_ratio_every: int = setting(100, "Steps between |L(x)|/|x| measurements "
                                     "(0 = off).", minimum=0, resumable=True)
    block_ratio_denominator: str = setting(
        "input", "Denominator of the block ratio: input (|x|, P1) or shortcut (|s(x)|).",
        choices=("input", "shortcut"), resumable=True)
    block_ratio_source: str = setting(
        "probe", "probe (a fixed test batch, inference mode) or train_batch (the training "
        "batch of that step in training mode, as P1).", choices=("probe", "train_batch"),
        resumable=True)
    info_every: int = setting(1000, "Steps between I(X;Ŷ), I(Y;Ŷ) measurements (0 = off).",
                              minimum=0, resumable=True)
    info_examples: int = setting(2000, "Held-out test images of the I(X;Ŷ), I(Y;Ŷ) "
                                 "measurement.", minimum=2, resumable=True)
    classifier_stats_every: int = setting(500, "Steps between classifier statistics "
                                          "(0 = off).", minimum=0, resumable=True)
    probe_size: int = setting(128, "Test images of the block-ratio / classifier probe batch.",
                              minimum=1, resumable=True)
    distribution_strategy: str = setting(
        "none", "none, mirrored (the GPUs of this machine) or multi_worker (the machines "
        "of TF_CONFIG).", choices=DISTRIBUTION_STRATEGIES)
    dtype_policy: str = setting(
        "float32", "float32, mixed_float16 or mixed_bfloat16 (Keras mixed precision; the "
        "logits, losses and measurements stay float32).", choices=DTYPE_POLICIES)
    deterministic: bool = setting(
        False, "TensorFlow op determinism: two runs with the same seed give identical "
        "losses (slower on GPUs).")

    def __post_init__(self):
        super().__post_init__()
        if self.log_dir is None:
            self.log_dir = f"runs/{self.model}"
        if self.eval_batch_size is None:
            self.eval_batch_size = 250 if self.model == "resnet32_wenxinxu" else self.batch_size
        if isinstance(self.batch_size, int) and self.batch_size > 0:
            for key, value in _recipe_defaults(self.recipe, self.batch_size).items():
                if getattr(self, key) is None:
                    setattr(self, key, value)

    def check(self):
        if len(self.lr_values) != len(self.lr_boundaries) + 1:
            raise ValueError(
                "Expected one more lr value than lr boundaries. Received: "
                f"lr_boundaries={list(self.lr_boundaries)}, lr_values={list(self.lr_values)}")
        if list(self.lr_boundaries) != sorted(set(self.lr_boundaries)):
            raise ValueError(f"Expected increasing lr_boundaries. "
                             f"Received: lr_boundaries={list(self.lr_boundaries)}")

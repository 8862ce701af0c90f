"""The configuration of an information-plane run (IDNNs defaults: Shwartz-Ziv & Tishby 2017).

Free of TensorFlow: `run.py` builds its flags from the fields and validates them before
TensorFlow loads.
"""

import dataclasses

from infodl.choices import (
    ACTIVATIONS,
    INFO_PLANE_ESTIMATORS,
    KDE_BOUNDS,
    MINE_STANDARDIZATIONS,
    OPTIMIZERS,
)
from infodl.experiments.cli.config import setting
from infodl.experiments.common_settings import RunSettings

# Output layers of the classifier: IDNNs' softmax, or Saxe et al.'s two sigmoid units.
OUTPUT_LAYERS = ("softmax", "sigmoid")


@dataclasses.dataclass
class InfoPlaneConfig(RunSettings):
    """Settings of one information-plane run (defaults: IDNNs, Shwartz-Ziv & Tishby 2017)."""

    activation: str = setting("tanh", "Hidden activation: tanh or relu (or sigmoid, ...).",
                              choices=ACTIVATIONS)
    last_activation: str | None = setting(
        None, "Activation of the last hidden layer only (e.g. sigmoid with a relu body); "
        "None = --activation.", choices=ACTIVATIONS)
    output_activation: str = setting(
        "softmax", "Output layer: softmax (IDNNs; cross-entropy) or sigmoid (Saxe et al. "
        "Fig. 1: one sigmoid unit per class, binary cross-entropy on one-hot labels).",
        choices=OUTPUT_LAYERS)
    layer_sizes: tuple = setting((10, 7, 5, 4, 3, 2), "Hidden widths then output width.",
                                 item_type=int, minimum=1, min_length=2)
    epochs: int = setting(8000, "Training epochs.", minimum=1)
    batch_size: int = setting(512, "Minibatch size.", minimum=1)
    learning_rate: float = setting(4e-4, "Adam learning rate, or a_1 of Langevin SGD.",
                                   minimum=0, exclusive_minimum=True)
    optimizer: str = setting("adam", "adam or langevin (w <- w - a_t grad - b_t N(0,I)).",
                             choices=OPTIMIZERS)
    langevin_noise_scale: float = setting(1e-3, "b_1 of Langevin SGD.", minimum=0)
    langevin_decay_steps: float = setting(
        1.0, "Time scale tau of a_t = a_1/(1+(t-1)/tau), b_t = b_1/sqrt(1+(t-1)/tau); "
        "1 = P1's 1/t, 1/sqrt(t).", minimum=0, exclusive_minimum=True)
    train_fraction: float = setting(
        0.8, "Fraction of the 4096 inputs used for training (the rest is the test split).",
        minimum=0, maximum=1, exclusive_minimum=True, exclusive_maximum=True)
    estimator: str = setting("binning", "binning (fixed range), binning_adaptive (observed "
                             "min/max), binning_width, kde or mine.",
                             choices=INFO_PLANE_ESTIMATORS)
    num_bins: int = setting(30, "Bin edges on [-1, 1] (binning) or bins (binning_adaptive).",
                            minimum=2)
    bin_width: float = setting(0.07, "Bin width of binning_width (Saxe et al.: 0.07).",
                               minimum=0, exclusive_minimum=True)
    noise_variance: float = setting(0.1, "Noise variance sigma^2 of the KDE estimator.",
                                    minimum=0, exclusive_minimum=True)
    kde_bound: str = setting("upper", "KDE bound: upper or lower.", choices=KDE_BOUNDS)
    mine_steps: int = setting(500, "Critic steps per MINE estimate (estimator=mine).",
                              minimum=1)
    mine_standardize: str = setting(
        "whiten", "Input map of the MINE critics (estimator=mine): whiten, scale, none, or "
        "gaussianize (each unit to normal marginals first: saturated tanh and ReLU units "
        "are far from Gaussian).", choices=MINE_STANDARDIZATIONS)
    num_log_points: int = setting(100, "Log-spaced epochs at which MI is measured.",
                                  minimum=1)
    num_seeds: int = setting(1, "Runs whose trajectories are averaged (the papers use 50); "
                             "a rerun with more seeds adds the missing ones.", minimum=1,
                             resumable=True)
    keep_activations: bool = setting(
        False, "Also save every layer's activations at the logged epochs "
        "(seed_<s>/trajectory_activations.npz), so that other estimators can be computed "
        "on the same networks (analysis/compression.py).")
    var_u_path: str | None = setting(None, "Path of the original var_u.mat; "
                                        "None = generated task.")
    log_dir: str | None = setting(None, "Output folder; None = runs/info_plane_<activation>.",
                                     resumable=True)

    def __post_init__(self):
        super().__post_init__()
        if self.log_dir is None:
            self.log_dir = f"runs/info_plane_{self.activation}"

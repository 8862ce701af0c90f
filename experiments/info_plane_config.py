"""The configuration of an information-plane run (IDNNs defaults, SPEC §7).

Kept free of TensorFlow imports so that `run.py` can build its flags from the fields
(each field's `help` metadata is its flag's help text) without loading TensorFlow.
"""

import dataclasses
import math

ESTIMATORS = ("binning", "binning_adaptive", "binning_width", "kde", "mine")
OPTIMIZERS = ("adam", "langevin")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "softsign", "elu", "selu", "gelu", "leaky_relu",
               "softplus", "linear")
KDE_BOUNDS = ("upper", "lower")


def _field(default, help_text):
    return dataclasses.field(default=default, metadata={"help": help_text})


@dataclasses.dataclass
class InfoPlaneConfig:
    """Settings of one information-plane run (defaults: IDNNs / SPEC §7)."""

    activation: str = _field("tanh", "Hidden activation: tanh or relu (or sigmoid, ...).")
    last_activation: str = _field(None, "Activation of the last hidden layer only "
                                  "(e.g. sigmoid with a relu body); None = --activation.")
    layer_sizes: tuple = _field((10, 7, 5, 4, 3, 2), "Hidden widths then output width.")
    epochs: int = _field(8000, "Training epochs.")
    batch_size: int = _field(512, "Minibatch size.")
    learning_rate: float = _field(4e-4, "Adam learning rate, or a_1 of Langevin SGD.")
    optimizer: str = _field("adam", "adam or langevin (w <- w - a_t grad - b_t N(0,I)).")
    langevin_noise_scale: float = _field(1e-3, "b_1 of Langevin SGD.")
    langevin_decay_steps: float = _field(1.0, "Time scale tau of a_t = a_1/(1+(t-1)/tau), "
                                         "b_t = b_1/sqrt(1+(t-1)/tau); 1 = P1's 1/t, 1/sqrt(t).")
    train_fraction: float = _field(0.8, "Fraction of the 4096 inputs used for training.")
    estimator: str = _field("binning", "binning (fixed range), binning_adaptive (observed "
                            "min/max), binning_width, kde or mine.")
    num_bins: int = _field(30, "Bin edges on [-1, 1] (binning) or bins (binning_adaptive).")
    bin_width: float = _field(0.07, "Bin width of binning_width (Saxe et al.: 0.07).")
    noise_variance: float = _field(0.1, "Noise variance sigma^2 of the KDE estimator.")
    kde_bound: str = _field("upper", "KDE bound: upper or lower.")
    mine_steps: int = _field(500, "Critic steps per MINE estimate (estimator=mine).")
    num_log_points: int = _field(100, "Log-spaced epochs at which MI is measured.")
    num_seeds: int = _field(1, "Runs whose trajectories are averaged (the papers use 50).")
    seed: int = _field(0, "Seed of the first run (run s uses seed + s).")
    var_u_path: str = _field(None, "Path of the original var_u.mat; None = generated task.")
    log_dir: str = _field(None, "Output folder; None = runs/info_plane_<activation>.")
    overwrite: bool = _field(False, "Allow writing into a non-empty log_dir.")
    verbose: int = _field(1, "1 = progress bar, 0 = silent.")

    def validate(self):
        """Raises ValueError naming the first bad field; returns self."""
        choices = {"estimator": ESTIMATORS, "optimizer": OPTIMIZERS,
                   "activation": ACTIVATIONS, "kde_bound": KDE_BOUNDS}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"Expected {name} in {allowed}. "
                                 f"Received: {name}={getattr(self, name)!r}")
        if self.last_activation is not None and self.last_activation not in ACTIVATIONS:
            raise ValueError(f"Expected last_activation in {ACTIVATIONS} or None. "
                             f"Received: last_activation={self.last_activation!r}")
        for name in ("epochs", "batch_size", "num_seeds", "num_log_points", "num_bins",
                     "mine_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Expected {name} >= 1 (int). Received: {name}={value!r}")
        sizes = tuple(self.layer_sizes)
        if len(sizes) < 2 or any(isinstance(s, bool) or not isinstance(s, int) or s < 1
                                 for s in sizes):
            raise ValueError("Expected layer_sizes to be >= 2 positive integers (hidden "
                             f"widths then output width). Received: layer_sizes={sizes!r}")
        for name in ("learning_rate", "noise_variance", "bin_width", "langevin_decay_steps"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"Expected {name} > 0. Received: {name}={value}")
        if not (math.isfinite(self.langevin_noise_scale) and self.langevin_noise_scale >= 0):
            raise ValueError("Expected langevin_noise_scale >= 0. "
                             f"Received: langevin_noise_scale={self.langevin_noise_scale}")
        if not 0 < self.train_fraction < 1:
            raise ValueError("Expected 0 < train_fraction < 1 (the rest is the test split). "
                             f"Received: train_fraction={self.train_fraction}")
        return self

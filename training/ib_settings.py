"""The settings of P3's IB trainers, one frozen value, checked once (free of TensorFlow).

`IBTrainerSettings` holds what the layer-wise and the end-to-end trainers share: the
network and critic steps, the critics, their pretraining, logging, checkpoints and error
bars. Every default is written here once; the experiments' configs take their flag
defaults from `IB_DEFAULTS` and build the value field by field
(`infodl.experiments.ib.settings.IBTrainingSettings.trainer_settings`). The trainers,
the iteration loop and the critic pretraining read it and do not check it again.
`IBLossWeights` are the weights of one stage's loss (alpha, the weight of -I(Y; L) and
of I(X; L + eps)).

Example:
    >>> from infodl.training.ib_settings import IBTrainerSettings
    >>> settings = IBTrainerSettings(critic_steps=5, critic_hidden_units=(128, 128))
    >>> settings.critic_steps, settings.pretrain_batch_size, settings.noise_variance
    (5, 2048, 2.0)
    >>> IBTrainerSettings(critic_steps=0)
    Traceback (most recent call last):
    ValueError: Expected critic_steps >= 1 (an integer). Received: critic_steps=0

Reference: P3 (Elad et al.) §5, appendix B and C (the paper's values are the defaults
where it gives one).
"""

import dataclasses

from infodl import checks
from infodl.choices import IB_CRITIC_STANDARDIZATIONS, MINE_STANDARDIZATIONS
from infodl.paper_constants import IB_NOISE_VARIANCE, PAPER_CRITIC_HIDDEN_UNITS
from infodl.run_folder.checkpoints import KEEP_CHECKPOINTS


@dataclasses.dataclass(frozen=True)
class IBTrainerSettings:
    """What both IB trainers share (see the flags of the same names, docs/ib_training.md).

    Args:
        noise_variance: sigma^2 of eps (P3: 2).
        critic_steps: k, critic steps per network step (P3: 10).
        critic_hidden_units: hidden widths of both critics (P3 appendix C: 1500, 1500).
        learning_rate: Adam lr of the network steps (P3: 1e-3).
        critic_learning_rate: Adam lr of the critics in the IB iterations (P3: 1e-4).
        critic_ema_decay: weight of the old value in the log-space moving average of
            E_Q[e^D] of the bias-corrected DV step (Belghazi et al. 2018 §3.2).
        critic_standardize: the critics' input map (`InputStandardizer` mode, or the IB's
            names "unit" = "scale" and "global"; "none" = P3's raw values).
        batch_size: pairs per step (drawn with replacement).
        critic_pretrain_steps, critic_eval_every: the critic pretraining of each stage
            (at most that many steps; held-out evaluations between them).
        critic_patience, critic_pretrain_tolerance: its stopping rule
            (`ib_heldout.pretrain_until_converged`): evaluations without a rise of
            more than the tolerance (nats) that end it.
        critic_pretrain_learning_rate: Adam lr of the critics while they train alone.
        critic_pretrain_batch_size: pairs per step of D_x in that pretraining (None =
            batch_size).
        critic_pretrain_label_batch_size: pairs per step of D_y in it (None = batch_size).
        critic_pretrain_average: decay per step of the moving average of the critics'
            weights in it (0 = the last weights).
        log_every: iterations between information-plane points.
        checkpoint_every: iterations between checkpoints.
        estimate_restarts: 0, or k independent MINE / AA-MINE fits at the start and
            end of each stage (error bars).
        estimate_steps, estimate_standardize: critic steps and input map of each fit.
        verbose: 0 silent, 1 or 2 a progress bar per stage.
        keep_checkpoints: newest checkpoints kept.
    """

    noise_variance: float = IB_NOISE_VARIANCE
    critic_steps: int = 10
    critic_hidden_units: tuple = PAPER_CRITIC_HIDDEN_UNITS
    learning_rate: float = 1e-3
    critic_learning_rate: float = 1e-4
    critic_ema_decay: float = 0.99
    critic_standardize: str = "none"
    batch_size: int = 256
    critic_pretrain_steps: int = 5000
    critic_eval_every: int = 100
    critic_patience: int = 5
    # Measured on MNIST hidden_1 (docs/ib_training.md, "Critic pretraining"): lr 1e-3
    # while the critics train alone; a rise of less than 0.02 nats is no progress; D_x on
    # 2048 pairs (at 128 it stayed 0.04-0.7 bits under independent fits); an average of
    # the weights over ~100 steps (without it I(Y; L) jumps by +-0.1 bits between
    # evaluations).
    critic_pretrain_learning_rate: float = 1e-3
    critic_pretrain_tolerance: float = 0.02
    critic_pretrain_batch_size: int | None = 2048
    critic_pretrain_label_batch_size: int | None = None
    critic_pretrain_average: float = 0.99
    log_every: int = 100
    checkpoint_every: int = 500
    estimate_restarts: int = 0
    estimate_steps: int = 1000
    estimate_standardize: str = "gaussianize"
    verbose: int = 1
    keep_checkpoints: int = KEEP_CHECKPOINTS

    def __post_init__(self):
        checks.check_positive(self.noise_variance, "noise_variance")
        checks.check_integer(self.critic_steps, "critic_steps")
        object.__setattr__(self, "critic_hidden_units", checks.check_integer_tuple(
            self.critic_hidden_units, "critic_hidden_units", min_length=0))
        for name in ("learning_rate", "critic_learning_rate", "critic_pretrain_learning_rate"):
            checks.check_positive(getattr(self, name), name)
        for name in ("critic_ema_decay", "critic_pretrain_average"):
            checks.check_real(getattr(self, name), name, minimum=0, maximum=1,
                              exclusive_maximum=True)
        checks.check_choice(self.critic_standardize, "critic_standardize",
                            IB_CRITIC_STANDARDIZATIONS)
        checks.check_integer(self.batch_size, "batch_size", minimum=2)
        checks.check_integer(self.critic_pretrain_steps, "critic_pretrain_steps", minimum=0)
        for name in ("critic_eval_every", "critic_patience", "log_every", "checkpoint_every",
                     "estimate_steps", "keep_checkpoints"):
            checks.check_integer(getattr(self, name), name)
        checks.check_non_negative(self.critic_pretrain_tolerance, "critic_pretrain_tolerance")
        for name in ("critic_pretrain_batch_size", "critic_pretrain_label_batch_size"):
            checks.check_integer(getattr(self, name), name, minimum=2, allow_none=True)
        checks.check_integer(self.estimate_restarts, "estimate_restarts", minimum=0)
        checks.check_choice(self.estimate_standardize, "estimate_standardize",
                            MINE_STANDARDIZATIONS)
        checks.check_integer(self.verbose, "verbose", minimum=0, maximum=2)

    @property
    def pretrain_batch_size(self):
        """Pairs per step of D_x in the critic pretraining (its setting, or batch_size)."""
        return self.critic_pretrain_batch_size or self.batch_size

    @property
    def pretrain_label_batch_size(self):
        """Pairs per step of D_y in the critic pretraining (its setting, or batch_size)."""
        return self.critic_pretrain_label_batch_size or self.batch_size


@dataclasses.dataclass(frozen=True)
class IBLossWeights:
    """The network loss of a stage: ce * CE - label * I(Y; L) + input * I(X; L + eps).

    Layer-wise IB: (0, 1, beta) (P3 eq. 5); end-to-end: (alpha, beta, gamma) (P3 eq. 8).
    """

    ce: float = 0.0
    label: float = 1.0
    input: float = 0.0

    def __post_init__(self):
        for name in ("ce", "label", "input"):
            checks.check_non_negative(getattr(self, name), f"{name}_weight")

    @property
    def uses_critics(self):
        return bool(self.label or self.input)


IB_DEFAULTS = IBTrainerSettings()
DEFAULT_LOSS_WEIGHTS = IBLossWeights()  # layer-wise IB at beta = 0

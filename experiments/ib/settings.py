"""The settings of P3's IB training shared by the layer-wise and end-to-end experiments.

Free of TensorFlow: the command line builds their flags and validates them before it
loads.
"""

import dataclasses

from infodl.choices import DATASETS, IB_CRITIC_STANDARDIZATIONS, IB_NETWORKS, MINE_STANDARDIZATIONS
from infodl.experiments.cli.config import setting
from infodl.experiments.common_settings import DataFileSettings, RunSettings
from infodl.training.ib_settings import IB_DEFAULTS as DEFAULT
from infodl.training.ib_settings import IBTrainerSettings

# Data sets of P3's convolutional networks (inputs standardized per channel).
CONV_DATASETS = ("cifar10", "cifar100", "synthetic")


@dataclasses.dataclass
class IBTrainingSettings(DataFileSettings, RunSettings):
    """P3's IB training: data, network, critics, information-plane points, checkpoints
    and seeds (ib_layerwise and ib_end_to_end). An iteration is one network step with
    its k critic steps.

    The trainers' settings are one `IBTrainerSettings` value, built field by field by
    `trainer_settings` (their defaults are its own, `DEFAULT`)."""
    dataset: str = setting("mnist", "Data set.", choices=DATASETS)
    network: str | None = setting(
        None, "mlp_512_512, mlp_600_400, convnet_16 or convnet_48_96_192; None = P3's "
        "net for the data set and experiment.", choices=IB_NETWORKS)
    noise_variance: float = setting(
        DEFAULT.noise_variance, "Noise variance sigma^2 of I(X; L + eps) (P3: 2).",
        minimum=0, exclusive_minimum=True)
    critic_steps: int = setting(
        DEFAULT.critic_steps, "k: steps of each critic per network step (P3: 10).", minimum=1)
    critic_hidden_units: tuple = setting(
        DEFAULT.critic_hidden_units, "Hidden widths of the MINE / AA-MINE critics "
        "(P3 appendix C: 1500,1500).",
        item_type=int, minimum=1)
    learning_rate: float = setting(
        DEFAULT.learning_rate, "Adam learning rate of the network (P3: 1e-3).", minimum=0,
        exclusive_minimum=True)
    critic_learning_rate: float = setting(
        DEFAULT.critic_learning_rate, "Adam learning rate of the critics (P3: 1e-4).",
        minimum=0, exclusive_minimum=True)
    batch_size: int = setting(DEFAULT.batch_size, "Examples per step (P3 does not say).",
                              minimum=2)
    critic_pretrain_steps: int = setting(
        DEFAULT.critic_pretrain_steps, "Most critic steps of the pretraining before each "
        "layer (it stops earlier when the held-out estimate stops improving).", minimum=0)
    critic_eval_every: int = setting(
        DEFAULT.critic_eval_every, "Critic steps between held-out evaluations of the "
        "pretraining.", minimum=1)
    critic_patience: int = setting(
        DEFAULT.critic_patience, "Held-out evaluations without improvement that end the "
        "pretraining.", minimum=1)
    critic_pretrain_learning_rate: float = setting(
        DEFAULT.critic_pretrain_learning_rate, "Adam learning rate of the critics while they "
        "are pretrained alone before a layer (the IB iterations use --critic_learning_rate; "
        "docs/ib_training.md).", minimum=0, exclusive_minimum=True)
    critic_pretrain_tolerance: float = setting(
        DEFAULT.critic_pretrain_tolerance, "Smallest rise (nats) of a held-out estimate that "
        "counts as progress: the pretraining stops after --critic_patience evaluations "
        "without one.", minimum=0)
    critic_pretrain_batch_size: int | None = setting(
        DEFAULT.critic_pretrain_batch_size, "Pairs per step of the I(X; L+eps) critic while "
        "the critics are pretrained alone before a layer: a small batch leaves it under "
        "independent fits (docs/ib_training.md measures it).", minimum=2)
    critic_pretrain_label_batch_size: int | None = setting(
        DEFAULT.critic_pretrain_label_batch_size, "Pairs per step of the I(Y; L) critic in "
        "that pretraining (None = --batch_size): it overfits the training examples at large "
        "batches (docs/ib_training.md).", minimum=2)
    critic_pretrain_average: float = setting(
        DEFAULT.critic_pretrain_average, "Decay per critic step of a moving average of the "
        "critics' weights during their pretraining: the held-out stopping rule reads the "
        "averaged critics and the IB iterations start from them (0 = the last weights; "
        "docs/ib_training.md).", minimum=0, maximum=1, exclusive_maximum=True)
    critic_standardize: str = setting(
        DEFAULT.critic_standardize, "Input map of the critics (the estimators' "
        "InputStandardizer), fitted on L before the pretraining of each layer: none (P3's "
        "raw values), global (L - its mean, divided by one scale s, the root mean variance "
        "of the units; L + eps by sqrt(s^2 + sigma^2)), scale or its older name unit (a "
        "scale per unit), whiten, gaussianize or auto (as --estimate_standardize; for L + "
        "eps the map of L + eps). The affine ones keep the critic family and improve its "
        "conditioning (what it changes on MNIST: docs/ib_training.md).",
        choices=IB_CRITIC_STANDARDIZATIONS)
    log_every: int = setting(DEFAULT.log_every, "Iterations between information-plane "
                             "points.", minimum=1, resumable=True)
    checkpoint_every: int = setting(DEFAULT.checkpoint_every, "Iterations between "
                                    "checkpoints.", minimum=1, resumable=True)
    info_examples: int = setting(1000, "Held-out test images of the information-plane "
                                 "estimates (never used for training).", minimum=2)
    estimate_restarts: int = setting(
        DEFAULT.estimate_restarts, "0, or k independent MINE / AA-MINE fits (fit_estimate "
        "with restarts=k) at the start and end of each layer: error bars of the information "
        "plane.", minimum=0, resumable=True)
    estimate_steps: int = setting(DEFAULT.estimate_steps, "Critic steps of each error-bar "
                                  "fit.", minimum=1, resumable=True)
    estimate_standardize: str = setting(
        DEFAULT.estimate_standardize, "Input map of the error-bar fits: gaussianize (each "
        "unit to normal marginals, then whitening; keeps AA-MINE on wide ReLU layers from "
        "collapsing), whiten, scale, global or none.", choices=MINE_STANDARDIZATIONS,
        resumable=True)
    num_seeds: int = setting(1, "Runs (consecutive seeds from --seed) averaged in results.json; "
                             "a rerun with more seeds adds the missing ones.", minimum=1,
                             resumable=True)

    def trainer_settings(self):
        """The trainers' `IBTrainerSettings` of this config, one field each."""
        return IBTrainerSettings(
            noise_variance=self.noise_variance,
            critic_steps=self.critic_steps,
            critic_hidden_units=self.critic_hidden_units,
            learning_rate=self.learning_rate,
            critic_learning_rate=self.critic_learning_rate,
            critic_standardize=self.critic_standardize,
            batch_size=self.batch_size,
            critic_pretrain_steps=self.critic_pretrain_steps,
            critic_eval_every=self.critic_eval_every,
            critic_patience=self.critic_patience,
            critic_pretrain_learning_rate=self.critic_pretrain_learning_rate,
            critic_pretrain_tolerance=self.critic_pretrain_tolerance,
            critic_pretrain_batch_size=self.critic_pretrain_batch_size,
            critic_pretrain_label_batch_size=self.critic_pretrain_label_batch_size,
            critic_pretrain_average=self.critic_pretrain_average,
            log_every=self.log_every,
            checkpoint_every=self.checkpoint_every,
            estimate_restarts=self.estimate_restarts,
            estimate_steps=self.estimate_steps,
            estimate_standardize=self.estimate_standardize,
            verbose=self.verbose)

    def early_checks(self):
        """The output folder, and the data file: read now (NumPy only), reused by the run."""
        super().early_checks()
        from infodl.data.dataset import check_dataset_early  # NumPy only

        check_dataset_early(self.dataset, data_dir=self.data_dir,
                            train_fraction=self.train_fraction, seed=self.seed,
                            allow_partial_files=self.allow_partial_files)

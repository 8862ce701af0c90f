"""What a plain `model.fit` cannot do: alternating and IB trainers, optimizers, strategies.

Trainers: `LayerwiseIBTrainer` (P3 §5) and `EndToEndIBTrainer` (P3 appendix B) with
their base `IBTrainerBase`, their settings `IBTrainerSettings` (one frozen value, free of
TensorFlow), the weights of a stage's loss `IBLossWeights` and the `CriticPretraining`
they are given, `AlternatingTrainer` (P2's InvNet: autoencoder and
classifier steps) with `reconstruction_error`, `InMemoryEpochTrainer` (many epochs of a
tiny model per compiled call). `LangevinSGD` (P1 Claim 2.1), `error_bar_point`
(independent MINE / AA-MINE estimates of an information-plane point), `make_strategy`
and `is_chief` (tf.distribute), the error a diverged run reports in one line,
`TrainingDivergedError` (an interrupted one raises `infodl.stop_signals.Interrupted`), and
`load_model` (a checkpoint or saved model of any experiment, in a fresh process).

Every name is imported on first access, so `import infodl.training` loads no backend.

Example:
    >>> from infodl.training import LangevinSGD
    >>> optimizer = LangevinSGD(learning_rate=0.01)
    >>> type(optimizer).__name__
    'LangevinSGD'
"""

import infodl
from infodl.lazy_exports import lazy_exports

infodl.one_name(__name__)

# Public name -> module that defines it (most import Keras or TensorFlow).
_LAZY = {
    "IBTrainerBase": ".ib_trainer_base",
    "IBTrainerSettings": ".ib_settings",
    "IBLossWeights": ".ib_settings",
    "CriticPretraining": ".ib_critic_pretraining",
    "LayerwiseIBTrainer": ".ib_layerwise_trainer",
    "EndToEndIBTrainer": ".ib_end_to_end_trainer",
    "AlternatingTrainer": ".alternating_trainer",
    "reconstruction_error": ".alternating_trainer",
    "InMemoryEpochTrainer": ".in_memory_epoch_trainer",
    "LangevinSGD": ".langevin_sgd",
    "error_bar_point": ".ib_error_bars",
    "make_strategy": ".distribution",
    "is_chief": ".distribution",
    "TrainingDivergedError": ".errors",
    "load_model": ".saved_model",
}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(globals(), _LAZY)

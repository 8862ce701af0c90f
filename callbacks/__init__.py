"""Keras callbacks of the project, each usable in any `model.fit`.

Measurements (P1 / P2): `BlockRatioLogger` (|L(x)|/|x| per residual block),
`InformationConstraintLogger` (I(X;Ŷ), I(Y;Ŷ), their gap), `ClassifierStatsLogger`
(||F(x)||, ||w_j||, zeros of w), `InformationPlaneLogger` (I(X;T), I(T;Y) per layer).
Training: `ProximalL1` (P2's ℓ1 step), `NaNGuard`, `StopAtStep`, `StepCheckpoint`,
`PeriodicEvaluation`, `TrainingScalars`, `StepProgressBar`. Bases for new ones:
`IntervalLogger`, `StepCallback`; TensorBoard output goes through `SummaryWriter`
(one events file per log folder).

Example:
    >>> from infodl.callbacks import NaNGuard, StopAtStep
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> x, y = np.ones((64, 4)), np.zeros(64)
    >>> _ = model.fit(x, y, batch_size=8, epochs=3, verbose=0,
    ...               callbacks=[NaNGuard(), StopAtStep(10)])
    >>> int(model.optimizer.iterations)  # 3 epochs of 8 steps, stopped after step 10
    10
"""

import infodl
from infodl.callbacks.block_ratio import BlockRatioLogger
from infodl.callbacks.classifier_stats import ClassifierStatsLogger
from infodl.callbacks.information_constraint import InformationConstraintLogger
from infodl.callbacks.information_plane import InformationPlaneLogger
from infodl.callbacks.interval_logger import IntervalLogger
from infodl.callbacks.nan_guard import NaNGuard
from infodl.callbacks.periodic_evaluation import PeriodicEvaluation
from infodl.callbacks.proximal_l1 import ProximalL1
from infodl.callbacks.step_callback import StepCallback
from infodl.callbacks.step_checkpoint import StepCheckpoint
from infodl.callbacks.step_progress import StepProgressBar
from infodl.callbacks.stop_at_step import StopAtStep
from infodl.callbacks.training_scalars import TrainingScalars
from infodl.run_folder.summary_writer import SummaryWriter

infodl.one_name(__name__)

__all__ = ["BlockRatioLogger", "ClassifierStatsLogger", "InformationConstraintLogger",
           "InformationPlaneLogger", "IntervalLogger", "NaNGuard", "PeriodicEvaluation",
           "ProximalL1", "StepCallback", "StepCheckpoint", "StepProgressBar", "StopAtStep",
           "SummaryWriter", "TrainingScalars"]

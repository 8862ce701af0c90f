"""Base of the measurement callbacks: measure every N optimizer steps, log what was measured.

`IntervalLogger` counts optimizer steps in Python (read once per `fit()` from
`optimizer.iterations`), measures on the due steps only, writes the scalars to
TensorBoard at step = the optimizer's iteration count (through the run's shared
`SummaryWriter`) and puts them into the epoch `logs` only at an epoch end where they
were measured, so History/CSVLogger never repeat an old value as if it were current.
At the end of training it measures once more unless the last measurement already
belongs to the final weights, so every curve ends on the trained model.

The step work runs in `on_train_batch_begin` (before batch b the weights are those
after `step` optimizer updates), so the callbacks do not force Keras to convert the
batch logs to NumPy on every step.
"""

import math

import keras

from infodl.callbacks.step_callback import optimizer_step
from infodl.checks import check_integer
from infodl.run_folder.summary_writer import SummaryWriter


class NonFiniteMeasurementError(ValueError):
    """A measurement met NaN/inf values: during training, a model that diverged (the
    experiments report it as the divergence, `NaNGuard.explains`)."""


class IntervalLogger(keras.callbacks.Callback):
    """Base class: runs `_measure(step)` every `every_n_steps` optimizer steps.

    Subclasses implement `_prepare(model)` (build extractors, once per model) and
    `_measure(step)` (compute, then `self._record(step, scalars)` and, for histograms
    and images, `self.writer`). `every_n_steps=None` measures at every epoch end.

    Args:
        every_n_steps: interval in optimizer steps, or None (every epoch end).
        log_dir: TensorBoard folder, or None (no TensorBoard).

    Attributes:
        latest: the scalars of the last measurement.
        latest_step: the optimizer step of the last measurement (None before any).
        history: [(step, scalars)] of every measurement of this model.
        skip_final_if: None, or a callable; when it returns True at the end of training
            the final measurement is left out (a run stopped by a signal before its last
            step: the resumed run measures on the grid, as an uninterrupted one does).
    """

    descriptions = {}  # tag -> TensorBoard description, set by subclasses

    def __init__(self, every_n_steps=None, log_dir=None):
        super().__init__()
        self.every_n_steps = check_integer(every_n_steps, "every_n_steps", allow_none=True)
        self.log_dir = None if log_dir is None else str(log_dir)
        self.latest = {}
        self.latest_step = None
        self.history = []
        self._prepared_for = None
        self._epoch_start_step = 0
        self._resumed_at = None
        self.skip_final_if = None

    # Hooks for subclasses.
    def _prepare(self, model):
        raise NotImplementedError

    def _measure(self, step):
        raise NotImplementedError

    @property
    def writer(self):
        """The run's shared `SummaryWriter`, or None without a log_dir."""
        return None if self.log_dir is None else SummaryWriter.for_log_dir(self.log_dir)

    # Scheduling.
    def _ensure_prepared(self):
        if getattr(self, "model", None) is None:
            raise ValueError(
                f"{type(self).__name__}: expected a model. Received: none; pass the "
                "callback to fit() or call set_model(model) first")
        if self._prepared_for is not self.model:
            self._prepare(self.model)
            self._prepared_for = self.model
            self.latest, self.history, self.latest_step = {}, [], None

    def resume(self, model, history):
        """Continues the measurements of a run resumed on `model` after `history`.

        Quantities over all measurements so far (e.g. a running mean) then cover the
        points of the run before it stopped, as in an uninterrupted run.

        Args:
            model: the model that `fit()` will train (prepared now).
            history: [(step, scalars)] of the measurements before the resume.
        """
        self.set_model(model)
        self._ensure_prepared()
        self.history = [(int(step), dict(scalars)) for step, scalars in history]

    def _due(self, step):
        if self.every_n_steps is None or step == self.latest_step:
            return False
        if self.latest_step is None or step < self.latest_step:
            return step % self.every_n_steps == 0
        return step // self.every_n_steps > self.latest_step // self.every_n_steps

    def measure_now(self, step=None):
        """Measures at once (step defaults to the optimizer's iteration count)."""
        self._ensure_prepared()
        step = optimizer_step(self.model, self.latest_step or 0) if step is None else int(step)
        self._measure(step)
        self.latest_step = step
        return dict(self.latest)

    def on_train_begin(self, logs=None):
        self._ensure_prepared()
        self._epoch_start_step = optimizer_step(self.model, self.latest_step or 0)
        # A run resumed at step S > 0 measured S before it stopped (at its end, or at the
        # checkpoint's epoch end when due): measuring again would duplicate the point.
        self._resumed_at = self._epoch_start_step or None

    def on_train_batch_begin(self, batch, logs=None):
        step = self._epoch_start_step + int(batch)
        if step != self._resumed_at and self._due(step):
            self.measure_now(step)

    def on_epoch_end(self, epoch, logs=None):
        step = optimizer_step(self.model, self.latest_step or 0)
        self._epoch_start_step = step
        if self._due(step) or (self.every_n_steps is None and step != self.latest_step):
            self.measure_now(step)
        if logs is not None and self.latest_step == step:
            logs.update(self.latest)
        if self.writer is not None:
            self.writer.flush()

    def on_train_end(self, logs=None):
        step = optimizer_step(self.model, self.latest_step or 0)
        if self.latest_step != step and not (self.skip_final_if and self.skip_final_if()):
            self.measure_now(step)  # the last point of every curve is the final model
        if self.writer is not None:
            self.writer.flush()

    # Recording.
    def _record(self, step, scalars):
        """Keeps `scalars` as the latest values and writes them to TensorBoard."""
        for key, value in scalars.items():
            if math.isnan(value):
                raise NonFiniteMeasurementError(
                    f"{type(self).__name__}: {key} is NaN at step {step}; "
                    "expected a number (has the model diverged?)")
        self.latest = {key: float(value) for key, value in scalars.items()}
        self.history.append((step, dict(self.latest)))
        if self.writer is not None:
            self.writer.scalars(self.latest, step, self.descriptions)

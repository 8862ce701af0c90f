"""What the layer-wise and the end-to-end IB trainers share: settings, critic
pretraining, the loop over compiled stretches of iterations, logging and checkpoints.

A run is a sequence of stages (the IB layers of layer-wise training, or the single
stage of end-to-end training), each one `IBStage` value. A stage builds its critics and
its `IBIterationLoop`, pretrains the critics until their held-out estimate stops
improving (the trainer's `CriticPretraining` object; checkpoint), then runs its
iterations in compiled stretches that
end at the next information-plane point or checkpoint. `progress.json` of a checkpoint
says where the run stands: {"layer": stage index, "iteration", "phase": "pretrain" (stage
not begun) or "layer", "history"}.

SIGINT/SIGTERM (`infodl.stop_signals`) end a stretch after its current iteration: the
trainer saves a checkpoint of that iteration and raises `Interrupted`; a rerun resumes
there and logs every point once (error-bar points and the information-plane point of
an iteration are skipped when the restored history already holds them). Critic
pretraining is not checkpointed: an interrupted pretraining starts again on resume.
"""

import dataclasses
import sys
from collections.abc import Callable

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from infodl import checks, stop_signals
from infodl.run_folder.summary_writer import SummaryWriter
from infodl.training.errors import TrainingDivergedError
from infodl.training.ib_checkpoint import IBCheckpoints
from infodl.training.ib_critic_pretraining import CriticPretraining
from infodl.training.ib_critics import IBCritics
from infodl.training.ib_error_bars import error_bar_point
from infodl.training.ib_iteration import GRADIENT_TERMS
from infodl.training.ib_settings import IB_DEFAULTS

# Columns of a stage's "losses" rows (nats): the means over the iterations since the row before.
LOSS_COLUMNS = ("iteration", "loss", "cross_entropy", "train_I_Y_L", "train_I_X_L_noise",
                "critic_I_Y_L", "critic_I_X_L_noise")


@dataclasses.dataclass
class IBStage:
    """One stage of IB training, as `IBTrainerBase.run_stage` runs it.

    Attributes:
        index: the stage index (checkpoint numbering).
        name: the name in tags and on the progress bar.
        loop: its `IBIterationLoop`; objects: what its checkpoints hold.
        measure: a `HeldOutEstimate` for information-plane points, or None.
        record: the stage's history dict (trajectory, losses, error_bars).
        total: its iterations.
        on_log: optional f(iteration) -> dict of extra scalars at logging points.
        on_end: optional f() called after the last iteration, before its checkpoint.
    """

    index: int
    name: str
    loop: object
    objects: dict
    measure: object
    record: dict
    total: int
    on_log: Callable | None = None
    on_end: Callable | None = None


class IBTrainerBase:
    """Shared machinery of `LayerwiseIBTrainer` and `EndToEndIBTrainer`.

    Args:
        model: the Keras model being trained.
        num_classes: number of classes.
        settings: an `IBTrainerSettings` (checked when it is made).
        seed: seed of the critics, batches, noise and held-out split.
        log_dir: folder of TensorBoard events and checkpoints (None = neither).
        pretraining: the `CriticPretraining` of the stages (None = one built from
            `settings`, writing to `log_dir`).
    """

    def __init__(self, model, num_classes, settings=IB_DEFAULTS, seed=0, log_dir=None,
                 pretraining=None):
        self.model = model
        self.num_classes = checks.check_integer(num_classes, "num_classes", minimum=2)
        self.settings = settings
        self.seed = checks.check_integer(seed, "seed", minimum=0)
        self.log_dir = log_dir
        self.verbose = settings.verbose
        self.checkpoints = (None if log_dir is None else
                            IBCheckpoints(f"{log_dir}/checkpoints",
                                          keep=settings.keep_checkpoints))
        self.writer = None if log_dir is None else SummaryWriter.for_log_dir(log_dir)
        self.pretraining = (pretraining if pretraining is not None
                            else CriticPretraining(settings, self.writer))

    # --- stages -------------------------------------------------------------------------
    def make_critics(self, feature_dim, seed):
        return IBCritics(feature_dim, self.num_classes, self.settings, seed=seed)

    def training_arrays(self, x_train, y_train, x_measure, y_measure):
        """The inputs as float32 and the labels as int64 arrays, the training pairs
        shuffled by `seed` (so their last rows, the critics' pretraining hold-out, are a
        random part of them)."""
        x_train, x_measure = np.asarray(x_train, "float32"), np.asarray(x_measure, "float32")
        y_train, y_measure = np.asarray(y_train, "int64"), np.asarray(y_measure, "int64")
        order = np.random.default_rng(self.seed).permutation(len(x_train))
        return x_train[order], y_train[order], x_measure, y_measure

    def latest_progress(self):
        """(checkpoint path, progress) to resume from; a fresh run gives (None, start)."""
        path, progress = (None, None) if self.checkpoints is None else self.checkpoints.latest()
        return path, progress or {"layer": 0, "iteration": 0, "phase": "pretrain",
                                  "history": {"layers": {}}}

    def run_stage(self, stage, history, start, stop_at=None):
        """Iterations `start..stage.total` of one `IBStage`; returns True when `stop_at`
        cut it short.

        Args:
            stage: the `IBStage`.
            history: the run's history (saved in every checkpoint).
            start: the first iteration (a resumed stage starts past 0).
            stop_at: optional (stage index, iteration) after which to return.
        """
        name, loop, objects, record, total = (stage.name, stage.loop, stage.objects,
                                              stage.record, stage.total)
        log_every, checkpoint_every = self.settings.log_every, self.settings.checkpoint_every
        limit = total
        if stop_at is not None and stop_at[0] == stage.index:
            limit = min(total, max(start, int(stop_at[1])))
        bar = tqdm(total=total, initial=start, disable=not self.verbose, unit="it",
                   desc=f"IB {name}", mininterval=1.0)
        iteration = start
        try:
            while iteration < limit:
                stop = min(limit, _next_multiple(iteration, log_every),
                           _next_multiple(iteration, checkpoint_every))
                means = loop.run(tf.constant(stop - iteration)).numpy()
                done = int(loop.completed.numpy())  # fewer when a stop was requested
                if done and not np.all(np.isfinite(means)):
                    kept = self.checkpoints.latest()[0] if self.checkpoints else None
                    raise TrainingDivergedError(
                        f"IB training of {name} diverged (NaN/inf loss) before iteration "
                        f"{iteration + done}; last good checkpoint: {kept or 'none'}")
                bar.update(done)
                iteration += done
                if done:
                    record["losses"].append([iteration] + [float(v) for v in means])
                if iteration < stop:  # a stop request ended the stretch early
                    self.stop(objects, history, stage.index, iteration, name)
                if iteration % log_every == 0 or iteration == total:
                    self.log_point(name, record, stage.measure, iteration, means,
                                   None if stage.on_log is None else stage.on_log(iteration),
                                   loop=loop)
                    if record["trajectory"]:
                        bar.set_postfix(I_X_bits=f"{record['trajectory'][-1][1]:.3f}",
                                        I_Y_bits=f"{record['trajectory'][-1][2]:.3f}",
                                        refresh=False)
                if stop_signals.requested():
                    self.stop(objects, history, stage.index, iteration, name)
                if iteration < total and (iteration % checkpoint_every == 0
                                          or iteration == limit):
                    self.save(objects, history, stage.index, iteration, total)
            if iteration == total:
                if stage.on_end is not None:
                    try:
                        stage.on_end()
                    except stop_signals.Interrupted:
                        self.stop(objects, history, stage.index, iteration, name)
                self.save(objects, history, stage.index, iteration, total)
        finally:
            bar.close()
        return iteration < total

    # --- logging and checkpoints --------------------------------------------------------
    def log_point(self, name, record, measure, iteration, means=None, extra=None, loop=None):
        """Appends an information-plane point (held-out, bits) and writes the scalars.

        With `loop`, also the norms of the gradients of the weighted loss terms on the
        loop's probe batch (`record["gradient_norms"]`: [iteration, alpha |grad CE|,
        label_weight |grad I_y|, input_weight |grad I_x|]) and their ratios under
        `gradient_ratio/<name>/...`: `input_over_label` (layer-wise: beta |grad I(X; L +
        eps)| / |grad I(Y; L)|, how much the compression term can move the layer), and
        end-to-end each MI term over the cross-entropy's.

        A point of an iteration the record already holds (a resumed run) is not repeated.
        """
        if record["trajectory"] and record["trajectory"][-1][0] >= iteration:
            return
        values = dict(extra or {})
        if measure is not None:
            input_bits, label_bits = measure.bits()
            record["trajectory"].append([iteration, input_bits, label_bits])
            values.update({f"info_plane/{name}/I_X_L_noise_bits": input_bits,
                           f"info_plane/{name}/I_Y_L_bits": label_bits})
        if means is not None:
            for column, value in zip(LOSS_COLUMNS[1:], means, strict=False):
                values[f"ib/{name}/{column}_nats"] = value
        if loop is not None:
            values.update(self._gradient_diagnostics(name, record, loop, iteration))
        if self.writer is not None and values:
            self.writer.scalars(values, iteration)
            self.writer.flush()

    @staticmethod
    def _gradient_diagnostics(name, record, loop, iteration):
        """The gradient norms of `loop` at `iteration` into the record; their scalars."""
        norms = loop.gradient_norms()
        record.setdefault("gradient_norms", []).append([iteration] + norms.tolist())
        ce, label, inputs = norms
        values = {f"gradient_norm/{name}/{term}": norm
                  for term, norm in zip(GRADIENT_TERMS, norms, strict=True) if norm > 0}
        if label > 0:
            values[f"gradient_ratio/{name}/input_over_label"] = inputs / label
        if ce > 0:
            values[f"gradient_ratio/{name}/label_over_cross_entropy"] = label / ce
            values[f"gradient_ratio/{name}/input_over_cross_entropy"] = inputs / ce
        return values

    def error_bars(self, name, layer_name, record, measure_set, iteration, seed):
        """Appends (and logs) an independent fit_estimate point with its spread.

        `measure_set` is (x_measure, y_measure), the held-out samples. Skipped when the
        record already holds the point of `iteration` (a resumed run). A stop request
        interrupts the fits at once (`Interrupted`; nothing to keep).
        """
        settings = self.settings
        if not settings.estimate_restarts or any(bar["iteration"] == iteration
                                                 for bar in record["error_bars"]):
            return
        if self.verbose:
            print(f"error bars of {name} at iteration {iteration}: "
                  f"{settings.estimate_restarts} restart(s) of {settings.estimate_steps} "
                  "steps of MINE I(Y; L), then of AA-MINE I(X; L + eps)", file=sys.stderr,
                  flush=True)
        x_measure, y_measure = measure_set
        try:
            with stop_signals.immediate():
                point = error_bar_point(self.model, layer_name, x_measure, y_measure,
                                        self.num_classes, settings.noise_variance,
                                        settings.estimate_restarts, settings.estimate_steps,
                                        seed=seed, standardize=settings.estimate_standardize,
                                        verbose=int(self.verbose > 0))
        except stop_signals.Interrupted as error:
            raise stop_signals.Interrupted(
                f"{error.signal_name} received: stopped the error-bar fits of {name} at "
                f"iteration {iteration} (the checkpoint of iteration {iteration} is kept: the "
                "same command resumes there)", error.signal_number) from None
        record["error_bars"].append(dict(point, iteration=iteration))
        if self.writer is not None:
            self.writer.scalars({f"info_plane_fit/{name}/I_X_L_noise_bits": point["I_X_bits"],
                                 f"info_plane_fit/{name}/I_Y_L_bits": point["I_Y_bits"]},
                                iteration)

    def stop(self, objects, history, stage, iteration, name):
        """A stop request: a checkpoint of (stage, iteration), stage not done; raises
        `stop_signals.Interrupted` naming it."""
        path = self.save(objects, history, stage, iteration, total=None)
        received = stop_signals.requested()
        where = f"saved {path}" if path is not None else "no log_dir, nothing saved"
        raise stop_signals.Interrupted(
            f"{received.name} received: stopped IB training of {name} at iteration "
            f"{iteration} ({where}); run the same command again to resume", received)

    def save(self, objects, history, stage, iteration, total):
        """A checkpoint at (stage, iteration); the last iteration marks the stage done."""
        if self.checkpoints is None:
            return None
        done = total is not None and iteration >= total
        progress = {"layer": stage + 1 if done else stage,
                    "iteration": 0 if done else iteration,
                    "phase": "pretrain" if done else "layer", "history": history}
        return self.checkpoints.save(objects, progress, stage=stage, iteration=iteration)


def new_record(**fields):
    """The history entry of one stage."""
    return dict({"pretraining": None, "trajectory": [], "losses": [], "error_bars": [],
                 "gradient_norms": []},
                **fields)


def _next_multiple(value, step):
    return (value // step + 1) * step

"""Critic pretraining of an IB stage: train the critics alone until their held-out
estimate stops improving, then say how it ended beside independent fits.

P3 (Elad et al.) appendix C pretrains the MINE critics "until convergence" before each
layer is trained; `pretrain_until_converged` (`infodl.training.ib_heldout`) is the
stopping rule, `CriticPretraining` (an object the trainers are given, or build from
their settings) wires it into the trainers: the hold-out rows, the optional
input map of the critics, the learning rate while they train alone, the moving average of
their weights that the rule reads and the IB iterations start from (each critic's batch
is the loop's, `IBTrainerSettings.pretrain_batch_size` and `pretrain_label_batch_size`),
the progress bar, the TensorBoard scalars `ib_pretraining/<stage>/...` and the check that
puts the training critics' estimate beside the first error-bar fit (`history.json`
`layers/<stage>/pretraining/check`, one log line).
"""

import sys
import time

import numpy as np
from tqdm.auto import tqdm

from infodl import stop_signals
from infodl.training.ib_critics import NATS_PER_BIT
from infodl.training.ib_heldout import HeldOutEstimate, pretrain_until_converged

PRETRAIN_HOLDOUT_FRACTION, PRETRAIN_HOLDOUT_MAX = 0.1, 1000
# Examples per forward pass when the input map of the critics is computed.
FORWARD_BATCH = 2048


class CriticPretraining:
    """Critic pretraining of the IB stages, with its progress bar, scalars and check.

    Args:
        settings: the `IBTrainerSettings` (critic_pretrain_steps, critic_eval_every,
            critic_patience, critic_pretrain_tolerance, critic_pretrain_learning_rate,
            critic_learning_rate, critic_standardize, verbose).
        writer: a `SummaryWriter` for the `ib_pretraining/<stage>/...` scalars, or None.

    Attributes:
        seconds: stage name -> wall time of its critic pretraining.

    Reference: P3 (Elad et al.), appendix C (critics pretrained until convergence).
    """

    def __init__(self, settings, writer=None):
        self.settings = settings
        self.writer = writer
        self.verbose = settings.verbose
        self.seconds = {}

    def pretrain_critics(self, name, features_fn, loop, critics, inputs, labels, seed):
        """Critic pretraining with a held-out part of the training inputs (its last rows).

        With `critic_standardize` (not "none") the critics' input map is first fitted to L on the
        training rows (`IBCritics.adapt`); the critics then train alone at Adam lr
        `critic_pretrain_learning_rate` until the stopping rule or the cap, and go back
        to `critic_learning_rate` for the IB iterations. When the loop keeps an average of
        the critics' weights (`pretrain_average_decay` > 0), the held-out estimates and
        the stopping rule read the averaged critics, and the IB iterations start from
        them. Returns the record's "pretraining" dict: steps, curve, stopped_by,
        holdout, learning_rate, average_decay and the "input_map" (`restore_critics`
        sets it again on resume); the wall time goes to
        `seconds[name]` and the scalar `ib_pretraining/<name>/seconds`.
        """
        started = time.perf_counter()
        holdout = int(min(max(round(PRETRAIN_HOLDOUT_FRACTION * len(inputs)), 2),
                          PRETRAIN_HOLDOUT_MAX, len(inputs) - 2))
        estimate = HeldOutEstimate(critics, features_fn, inputs[-holdout:], labels[-holdout:],
                                   seed=seed)
        settings = self.settings
        if settings.critic_standardize != "none":
            critics.adapt(np.concatenate([
                np.asarray(features_fn(inputs[i:min(i + FORWARD_BATCH, len(inputs) - holdout)],
                                       training=False)).reshape(-1, critics.feature_dim)
                for i in range(0, len(inputs) - holdout, FORWARD_BATCH)]))
        loop.pool_size.assign(len(inputs) - holdout)
        critics.optimizer.learning_rate = settings.critic_pretrain_learning_rate
        bar = tqdm(total=settings.critic_pretrain_steps, disable=not self.verbose,
                   unit="step", desc=f"critic pretraining {name}", mininterval=1.0)

        def on_evaluation(step, label_nats, input_nats):
            """Progress: the bar (step, held-out estimate) and the events, flushed."""
            bar.update(step - bar.n)
            bar.set_postfix(I_X_bits=f"{input_nats / NATS_PER_BIT:.3f}",
                            I_Y_bits=f"{label_nats / NATS_PER_BIT:.3f}", refresh=False)
            if self.writer is not None:
                self.writer.scalars({
                    f"ib_pretraining/{name}/heldout_I_Y_L_bits": label_nats / NATS_PER_BIT,
                    f"ib_pretraining/{name}/heldout_I_X_L_noise_bits":
                        input_nats / NATS_PER_BIT}, step)
                self.writer.flush()

        averaged = bool(loop.pretrain_average_decay)
        if averaged:
            critics.start_average()

        def evaluate():
            """The held-out estimate of the critics the pretraining keeps (the average)."""
            if not averaged:
                return estimate()
            critics.swap_average()
            try:
                return estimate()
            finally:
                critics.swap_average()

        try:
            result = pretrain_until_converged(
                loop, evaluate, max_steps=settings.critic_pretrain_steps,
                eval_every=settings.critic_eval_every, patience=settings.critic_patience,
                tolerance=settings.critic_pretrain_tolerance, on_evaluation=on_evaluation)
        except stop_signals.Interrupted as error:
            raise stop_signals.Interrupted(
                f"{error.signal_name} received: stopped the critic pretraining of {name} "
                "(not checkpointed: the same command runs it again)",
                error.signal_number) from None
        finally:
            bar.close()
            critics.optimizer.learning_rate = settings.critic_learning_rate
        if averaged:  # the IB iterations start from the averaged critics
            critics.load_average()
        loop.pool_size.assign(len(inputs))
        # The wall time goes to the log line and TensorBoard, not into the history (which
        # a resumed run must reproduce exactly).
        self.seconds[name] = time.perf_counter() - started
        if self.writer is not None:
            self.writer.scalars({f"ib_pretraining/{name}/seconds": self.seconds[name]},
                                result["steps"])
        return dict(result, holdout=holdout,
                    learning_rate=settings.critic_pretrain_learning_rate,
                    average_decay=loop.pretrain_average_decay, input_map=critics.input_map())

    @staticmethod
    def restore_critics(critics, record):
        """On resume: the input map the stage's pretraining fitted (identity for a run
        from before the map, whose record holds none)."""
        if critics is not None and record.get("pretraining"):
            critics.set_input_map(record["pretraining"].get("input_map"))

    def check_pretraining(self, name, record):
        """Says how the critic pretraining of a stage ended, beside independent fits.

        Stores in `record["pretraining"]["check"]`: "stopped_by" ("rule" or "cap", see
        `pretrain_until_converged`), the steps, the training critics' held-out estimate at
        iteration 0 (the first trajectory point) and, when error bars were fitted at
        iteration 0, the independent `fit_estimate` values (bits); prints it in one line.
        """
        pretraining = record.get("pretraining")
        if not pretraining or "check" in pretraining:
            return
        check = {"stopped_by": pretraining.get("stopped_by"), "steps": pretraining["steps"],
                 "critic_I_X_L_noise_bits": None, "critic_I_Y_L_bits": None,
                 "fit_I_X_L_noise_bits": None, "fit_I_Y_L_bits": None,
                 "fit_I_X_L_noise_std_bits": None, "fit_I_Y_L_std_bits": None,
                 "within_fit_std": None}
        if record["trajectory"] and record["trajectory"][0][0] == 0:
            _, check["critic_I_X_L_noise_bits"], check["critic_I_Y_L_bits"] = \
                record["trajectory"][0]
        fits = [bar for bar in record["error_bars"] if bar["iteration"] == 0]
        if fits:
            for key, bar_key in (("I_X_L_noise", "I_X"), ("I_Y_L", "I_Y")):
                check[f"fit_{key}_bits"] = fits[0][f"{bar_key}_bits"]
                check[f"fit_{key}_std_bits"] = fits[0][f"{bar_key}_std_bits"]
            check["within_fit_std"] = within_fit_std(check)
        pretraining["check"] = check
        if self.writer is not None:
            self.writer.scalars({f"ib_pretraining/{name}/stopped_by_cap":
                                 float(check["stopped_by"] == "cap")}, 0)
        if self.verbose:
            print(pretraining_line(name, check, self.seconds.get(name)),
                  file=sys.stderr, flush=True)


def within_fit_std(check):
    """Whether each training critic's estimate lies within one standard deviation of the
    mean of the independent fits: {"I_X": bool, "I_Y": bool}, or None without a spread
    (fewer than 2 fits, or no critic estimate at iteration 0).

    It reads "the training critics' estimates within the spread of independent fits" as
    one std either side of the fits' mean: with k = 3 restarts the expected range of the
    fits is 1.69 std (about +-0.85 std), so one std either side is a little wider.
    """
    pairs = {"I_X": ("critic_I_X_L_noise_bits", "fit_I_X_L_noise_bits",
                     "fit_I_X_L_noise_std_bits"),
             "I_Y": ("critic_I_Y_L_bits", "fit_I_Y_L_bits", "fit_I_Y_L_std_bits")}
    if any(check.get(key) is None for keys in pairs.values() for key in keys):
        return None
    return {name: bool(abs(check[critic] - check[mean]) <= check[std])
            for name, (critic, mean, std) in pairs.items()}


def pretraining_line(name, check, seconds=None):
    """One line: how pretraining ended (and its wall time) and the critics' estimate
    beside the fits."""
    def bits(value):
        return "-" if value is None else f"{value:.3f}"

    def spread(key):
        std = check.get(f"fit_{key}_std_bits")
        return bits(check[f"fit_{key}_bits"]) + ("" if std is None else f" +- {std:.3f}")

    fitted = (f"independent fits I(X; L+eps) {spread('I_X_L_noise')}, "
              f"I(Y; L) {spread('I_Y_L')} bits"
              if check["fit_I_Y_L_bits"] is not None else
              "no independent fit (estimate_restarts=0)")
    within = check.get("within_fit_std")
    if within is not None:
        keys = {"I_X": "I_X_L_noise", "I_Y": "I_Y_L"}

        def verdict(name, inside):
            if inside:
                return f"{name} yes"
            above = check[f"critic_{keys[name]}_bits"] > check[f"fit_{keys[name]}_bits"]
            return f"{name} no ({'above' if above else 'below'})"
        fitted += "; within one std: " + ", ".join(
            verdict(name, inside) for name, inside in within.items())
    return (f"critic pretraining of {name}: stopped by the {check['stopped_by']} after "
            f"{check['steps']} steps{'' if seconds is None else f' ({seconds:.1f} s)'}; "
            "training critics I(X; L+eps) "
            f"{bits(check['critic_I_X_L_noise_bits'])}, I(Y; L) "
            f"{bits(check['critic_I_Y_L_bits'])} bits; {fitted}")

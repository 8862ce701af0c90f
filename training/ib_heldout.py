"""Held-out estimates of I(Y; L) and I(X; L + eps) with the training critics, and the
stopping rule of critic pretraining.

`HeldOutEstimate` evaluates the current critics D_y, D_x of `IBCritics` on a fixed set of
samples the critics never train on, with fixed noise and fixed marginal pairings (so two
evaluations differ only by the critics and the network): the information-plane points of
IB training and the signal that critic pretraining has converged.
"""

import numpy as np
import tensorflow as tf
from keras import ops

from infodl import checks, stop_signals
from infodl.training.ib_blocks import flatten_features
from infodl.training.ib_critics import NATS_PER_BIT, heldout_pairings
from infodl.training.ib_settings import IB_DEFAULTS

# Marginal pairs per held-out evaluation: enough pairings that S * n is about this.
TARGET_MARGINAL_PAIRS = 4096
# The smallest rise (nats) of a held-out estimate that counts as progress in pretraining:
# with 1e-3 a critic still creeping up by 2e-4 nats per evaluation never stopped by the
# rule (docs/ib_training.md); 0.02 nats over `patience` evaluations is a plateau.
PRETRAIN_TOLERANCE = IB_DEFAULTS.critic_pretrain_tolerance


class HeldOutEstimate:
    """DV values of the training critics on fixed held-out samples.

    Args:
        critics: the `IBCritics`.
        features_fn: `f(inputs, training) -> representation L` (current network).
        inputs: (n, ...) held-out inputs of `features_fn`, n >= 2.
        labels: (n,) their integer labels.
        seed: seed of the fixed noise and pairings.

    Returns:
        Called: (I(Y; L), I(X; L + eps)) in nats as Python floats.

    Example:
        >>> from infodl.training.ib_critics import IBCritics
        >>> from infodl.training.ib_heldout import HeldOutEstimate
        >>> from infodl.training.ib_settings import IBTrainerSettings
        >>> critics = IBCritics(2, 2, IBTrainerSettings(critic_hidden_units=(32,)), seed=0)
        >>> x_test = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
        >>> y_test = (x_test[:, 0] > 0).astype(int)
        >>> layer = keras.layers.Dense(2)  # the trained block: L = layer(x)
        >>> estimate = HeldOutEstimate(critics, layer, x_test, y_test, seed=0)
        >>> i_y_nats, i_x_nats = estimate()  # the same pairs and noise at every call
        >>> estimate() == (i_y_nats, i_x_nats)
        True

    Reference: Belghazi et al. 2018 §3.2 (estimate on held-out samples); P3 Fig. 4.
    """

    def __init__(self, critics, features_fn, inputs, labels, seed=0):
        inputs = np.asarray(inputs, "float32")
        if len(inputs) < 2:
            raise ValueError(f"Expected at least 2 held-out samples. Received: {len(inputs)}")
        self.critics = critics
        self.features_fn = features_fn
        self.inputs = tf.Variable(inputs, trainable=False, name="heldout_inputs")
        one_hot = np.eye(critics.num_classes, dtype="float32")[np.asarray(labels, "int64")]
        self.labels = tf.constant(one_hot)
        num_shuffles = int(np.clip(TARGET_MARGINAL_PAIRS // len(inputs), 4, len(inputs) - 1))
        noise, marginal_noise, permutations = heldout_pairings(
            len(inputs), critics.feature_dim, critics.noise_std, num_shuffles, seed)
        self.noise = tf.constant(noise)
        self.marginal_noise = tf.Variable(marginal_noise, trainable=False)
        self.permutations = tf.constant(permutations)
        self._evaluate = tf.function(self._values)

    def _values(self):
        features = flatten_features(self.features_fn(self.inputs, training=False))
        return ops.stack(self.critics.heldout_bounds(
            self.labels, features, self.noise, self.marginal_noise, self.permutations))

    def __call__(self):
        label_nats, input_nats = (float(v) for v in self._evaluate().numpy())
        return label_nats, input_nats

    def bits(self):
        """(I(X; L + eps), I(Y; L)) in bits: the information-plane point (x, y)."""
        label_nats, input_nats = self()
        return input_nats / NATS_PER_BIT, label_nats / NATS_PER_BIT


def pretrain_until_converged(loop, estimate, max_steps, eval_every, patience,
                             min_steps=None, tolerance=PRETRAIN_TOLERANCE, on_evaluation=None):
    """Trains the critics alone until their held-out estimate stops improving.

    Every `eval_every` critic steps both held-out values are computed; training stops
    after `patience` evaluations in a row in which neither value rose by more than
    `tolerance` nats above its best so far (never before `min_steps`, default
    2 * eval_every), or at `max_steps`. A value creeping up by r nats per evaluation
    stops the rule when r < tolerance / patience.

    Args:
        loop: the `IBIterationLoop` (its `pretrain(n)` runs n critic steps).
        estimate: `() -> (I_y, I_x)` nats on samples the loop does not draw (a
            `HeldOutEstimate`, or one of averaged critics).
        max_steps, eval_every, patience: integers >= 1.
        min_steps: no stop before this many steps.
        tolerance: the smallest rise (nats) that counts as an improvement.
        on_evaluation: optional f(step, I_y nats, I_x nats) called at every evaluation
            (progress output).

    Returns:
        dict: "steps" run, "curve" [[step, I_y nats, I_x nats], ...] and "stopped_by":
        "rule" (no rise for `patience` evaluations), "cap" (`max_steps` reached first:
        the critics may not have converged) or "non_finite" (an estimate was NaN/inf).

    Raises:
        stop_signals.Interrupted: SIGINT/SIGTERM arrived (the chunk ends at once; the
            pretraining of this stage starts again on resume).
    """
    max_steps = checks.check_integer(max_steps, "critic_pretrain_steps", minimum=0)
    eval_every = checks.check_integer(eval_every, "critic_eval_every")
    patience = checks.check_integer(patience, "critic_patience")
    tolerance = checks.check_non_negative(tolerance, "critic_pretrain_tolerance")
    min_steps = 2 * eval_every if min_steps is None else min_steps
    best, waited, step, curve, stopped_by = np.full(2, -np.inf), 0, 0, [], "cap"
    while step < max_steps:
        chunk = min(eval_every, max_steps - step)
        loop.pretrain(tf.constant(chunk))
        stop_signals.check("critic pretraining")
        step += chunk
        values = np.asarray(estimate())
        curve.append([step, float(values[0]), float(values[1])])
        if on_evaluation is not None:
            on_evaluation(step, float(values[0]), float(values[1]))
        if not np.all(np.isfinite(values)):
            stopped_by = "non_finite"
            break
        if np.any(values > best + tolerance):
            best, waited = np.maximum(best, values), 0
        else:
            waited += 1
        if step >= min_steps and waited >= patience:
            stopped_by = "rule"
            break
    return {"steps": step, "curve": curve, "stopped_by": stopped_by}

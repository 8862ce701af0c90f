"""Gradients of Keras variables under the TensorFlow and the JAX backend (tests only)."""

import keras
import numpy as np


def gradients(function, variables):
    """d function() / d variables as NumPy arrays (zeros where unconnected).

    TensorFlow: a GradientTape. JAX: jax.grad of `function` run in a StatelessScope
    that maps each variable to a traced value (assignments inside are discarded).
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        with tf.GradientTape() as tape:
            value = function()
        grads = tape.gradient(value, variables)
        return [np.zeros(v.shape) if g is None else np.asarray(g)
                for g, v in zip(grads, variables, strict=True)]
    if keras.backend.backend() == "jax":
        import jax

        def pure(values):
            with keras.StatelessScope(state_mapping=list(zip(variables, values, strict=True))):
                return function()

        return [np.asarray(g) for g in jax.grad(pure)([v.value for v in variables])]
    raise NotImplementedError(f"gradients() under backend {keras.backend.backend()}")


class BatchLogRecorder(keras.callbacks.Callback):
    """Per-batch values of a running-mean metric, recovered from its running means."""

    def __init__(self, name="mi_nats"):
        super().__init__()
        self.name, self.means = name, []

    def on_test_batch_end(self, batch, logs=None):
        self.means.append(float(logs[self.name]))

    def on_train_batch_end(self, batch, logs=None):
        self.means.append(float(logs[self.name]))

    def values(self):
        means = np.asarray(self.means, dtype=np.float64)
        counts = np.arange(1, len(means) + 1)
        return means * counts - np.concatenate([[0.0], means[:-1] * counts[:-1]])

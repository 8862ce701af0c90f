"""A tiny chain network and an easy blob task shared by the IB training tests."""

import keras
import numpy as np


def tiny_model(seed=0, input_dim=5, widths=(6,), classes=3):
    """A chain net inputs -> hidden_1.. (ReLU) -> features (linear) -> logits (linear)."""
    inputs = keras.Input((input_dim,), name="image")
    hidden = inputs
    for index, width in enumerate(widths):
        hidden = keras.layers.Dense(width, activation="relu", name=f"hidden_{index + 1}",
                                    kernel_initializer=keras.initializers.GlorotUniform(
                                        seed + index))(hidden)
    hidden = keras.layers.Dense(classes, name="features", kernel_initializer=keras.
                                initializers.GlorotUniform(seed + 50))(hidden)
    logits = keras.layers.Dense(classes, name="logits", kernel_initializer=keras.
                                initializers.GlorotUniform(seed + 60))(hidden)
    return keras.Model(inputs, logits)


def blobs(num=120, input_dim=5, classes=3, seed=0, spread=0.3):
    """Well separated Gaussian blobs: an easy classification task."""
    rng = np.random.default_rng(seed)
    labels = np.arange(num) % classes
    centres = rng.normal(0.0, 2.0, (classes, input_dim))
    inputs = centres[labels] + rng.normal(0.0, spread, (num, input_dim))
    return inputs.astype("float32"), labels.astype("int64")

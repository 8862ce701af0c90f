"""A tiny chain network and an easy blob task shared by the IB training tests."""

import dataclasses

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


# How the IB tests build trainers, critics and loops from flat keyword arguments: the
# `IBTrainerSettings` fields go into one settings value, the rest to the constructor.
_CRITIC_NAMES = {"hidden_units": "critic_hidden_units", "ema_decay": "critic_ema_decay",
                 "learning_rate": "critic_learning_rate", "standardize": "critic_standardize"}


def _settings_and_rest(kwargs):
    from infodl.training.ib_settings import IBTrainerSettings

    names = {field.name for field in dataclasses.fields(IBTrainerSettings)}
    settings = IBTrainerSettings(**{k: v for k, v in kwargs.items() if k in names})
    return settings, {k: v for k, v in kwargs.items() if k not in names}


def make_ib_trainer(trainer_class, model, num_classes, **kwargs):
    """`trainer_class(model, num_classes, IBTrainerSettings(...), **the others)`."""
    settings, rest = _settings_and_rest(kwargs)
    return trainer_class(model, num_classes, settings, **rest)


def make_critics(feature_dim, num_classes, seed=0, **kwargs):
    """`IBCritics` with the critic settings named as IBCritics named them before
    (hidden_units, ema_decay, learning_rate, standardize; noise_variance)."""
    from infodl.training.ib_critics import IBCritics
    from infodl.training.ib_settings import IBTrainerSettings

    settings = IBTrainerSettings(**{_CRITIC_NAMES.get(k, k): v for k, v in kwargs.items()})
    return IBCritics(feature_dim, num_classes, settings, seed=seed)


def make_loop(features_fn, variables, critics, inputs, labels, num_classes, *,
              ce_weight=0.0, label_weight=1.0, input_weight=0.0, seed=0, jit_compile=False,
              share_features=None, pretrain_batch_size=None, pretrain_label_batch_size=None,
              pretrain_average_decay=0.0, **kwargs):
    """`IBIterationLoop` from the loop's former keyword arguments: pretraining batches of
    batch_size and no averaging unless given, D_y's batch that of D_x unless given."""
    from infodl.training.ib_iteration import IBIterationLoop
    from infodl.training.ib_settings import IBLossWeights, IBTrainerSettings

    batch_size = kwargs.get("batch_size", 256)
    pretrain_batch_size = pretrain_batch_size or batch_size
    settings = IBTrainerSettings(
        critic_pretrain_batch_size=pretrain_batch_size,
        critic_pretrain_label_batch_size=pretrain_label_batch_size or pretrain_batch_size,
        critic_pretrain_average=pretrain_average_decay, **kwargs)
    return IBIterationLoop(features_fn, variables, critics, inputs, labels, num_classes,
                           settings, IBLossWeights(ce=ce_weight, label=label_weight,
                                                   input=input_weight),
                           seed=seed, jit_compile=jit_compile, share_features=share_features)

"""The three measurement callbacks on a plain Keras model that is not from this project.

    python -m examples.plain_keras_callbacks [--log_dir /tmp/plain_keras_callbacks]

The model is a small functional MLP with one hand-made residual pair,
y = stem + branch(stem) (an `Add` of a Dense "stem" and a two-layer "branch"), a Dense
"features" layer F(x) and a Dense "logits" layer w. It trains for a few steps on
synthetic 4-class data with

- `BlockRatioLogger`, given the pair explicitly as (shortcut, branch) layer names,
  because the model has no project `ResidualUnit`;
- `ClassifierStatsLogger`, which reads the layers named "features" and "logits";
- `InformationConstraintLogger`, which scores held-out data.

The callbacks put their scalars in the epoch `logs` (so `History` has them) and write
TensorBoard summaries to `--log_dir` (`tensorboard --logdir <log_dir>`). The script
prints the values logged at the end of each epoch.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

from infodl.callbacks import BlockRatioLogger, ClassifierStatsLogger, InformationConstraintLogger

NUM_INPUTS = 16
NUM_CLASSES = 4


def build_model(width=32, feature_dim=12):
    """x → stem → stem + branch(stem) → features (ReLU) → logits."""
    inputs = keras.Input((NUM_INPUTS,), name="x")
    stem = keras.layers.Dense(width, name="stem")(inputs)
    hidden = keras.layers.Dense(width, activation="tanh", name="branch_hidden")(stem)
    branch = keras.layers.Dense(width, name="branch")(hidden)
    merged = keras.layers.Add(name="residual_add")([stem, branch])
    features = keras.layers.Dense(feature_dim, activation="relu", name="features")(merged)
    logits = keras.layers.Dense(NUM_CLASSES, name="logits")(features)
    return keras.Model(inputs, logits, name="plain_residual_mlp")


def make_data(num_examples, rng):
    """Gaussian inputs; the label is the largest of the first NUM_CLASSES coordinates."""
    x = rng.normal(size=(num_examples, NUM_INPUTS)).astype("float32")
    return x, np.argmax(x[:, :NUM_CLASSES], axis=1).astype("int32")


def main(log_dir=None, epochs=3, steps_per_epoch=8, batch_size=16, every_n_steps=4,
         seed=0, verbose=True):
    """Trains the model with the three callbacks; returns what a caller may check.

    Returns:
        A dict with the trained `model`, the `history` dict of `fit()`, the three
        `callbacks`, the `probe` batch and the `held_out` (inputs, labels).
    """
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x_train, y_train = make_data(steps_per_epoch * batch_size, rng)
    x_held, y_held = make_data(200, rng)
    probe = x_held[:32]

    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    callbacks = [
        BlockRatioLogger(probe, every_n_steps=every_n_steps,
                         layer_pairs={"residual": ("stem", "branch")}, log_dir=log_dir),
        InformationConstraintLogger(x_held, y_held, every_n_steps=every_n_steps,
                                    log_dir=log_dir),
        ClassifierStatsLogger(probe, every_n_steps=every_n_steps, log_dir=log_dir),
    ]
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
                        callbacks=callbacks, shuffle=False, verbose=0)
    if verbose:
        keys = [key for key in history.history
                if key.split("/")[0] in ("block_ratio", "info", "classifier")]
        for epoch in range(epochs):
            print(f"epoch {epoch + 1} (step {(epoch + 1) * steps_per_epoch}):")
            for key in keys:
                print(f"  {key:40s} {history.history[key][epoch]:.5f}")
        if log_dir is not None:
            print(f"TensorBoard summaries in {log_dir}")
    return dict(model=model, history=history.history, callbacks=callbacks, probe=probe,
                held_out=(x_held, y_held))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log_dir", default=None,
                        help="TensorBoard folder (default: no summaries)")
    parser.add_argument("--epochs", type=int, default=3)
    main(log_dir=parser.parse_args().log_dir, epochs=parser.parse_args().epochs)

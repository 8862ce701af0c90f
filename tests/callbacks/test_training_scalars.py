"""TrainingScalars: every tag is written, also when an epoch ends between summary steps."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from infodl.callbacks.training_scalars import TrainingScalars


def read_scalars(log_dir):
    values = {}
    for path in sorted(log_dir.glob("events.out.tfevents.*")):
        events = EventAccumulator(str(path), size_guidance={"tensors": 0})
        events.Reload()
        for tag in events.Tags()["tensors"]:
            values.setdefault(tag, []).extend(
                (e.step, float(tf.make_ndarray(e.tensor_proto))) for e in events.Tensors(tag))
    return values


def test_epoch_end_writes_train_test_and_learning_rate(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(keras.optimizers.SGD(0.05),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    scalars = TrainingScalars(tmp_path, every_n_steps=100)  # never reached by batches
    history = model.fit(x, y, batch_size=4, epochs=3, validation_data=(x, y),
                        callbacks=[scalars], verbose=0)
    values = read_scalars(tmp_path)
    assert values["train/learning_rate"] == [(2, pytest.approx(0.05)), (4, pytest.approx(0.05)),
                                             (6, pytest.approx(0.05))]
    assert [v for _, v in values["loss/total"]] == pytest.approx(history.history["loss"])
    assert [v for _, v in values["test/accuracy"]] == pytest.approx(
        history.history["val_accuracy"])
    best = np.maximum.accumulate(history.history["val_accuracy"])
    assert [v for _, v in values["test/best_accuracy"]] == pytest.approx(best)
    assert scalars.best_accuracy == pytest.approx(best[-1])

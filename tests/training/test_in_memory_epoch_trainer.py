"""Tests of InMemoryEpochTrainer: same updates as fit(), step counts, callback timing."""

import keras
import numpy as np
import pytest

from infodl.training.in_memory_epoch_trainer import InMemoryEpochTrainer


def _task(num_examples=200, seed=0):
    generator = np.random.default_rng(seed)
    inputs = generator.normal(size=(num_examples, 3)).astype("float32")
    labels = (inputs @ np.array([1.0, -1.0, 0.5]) > 0).astype("int32")
    return inputs, labels


def _model(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                             keras.layers.Dense(2, activation="softmax")])


def test_full_batch_training_equals_keras_fit():
    inputs, labels = _task()
    reference, ours = _model(0), _model(0)
    reference.compile(keras.optimizers.SGD(0.5), "sparse_categorical_crossentropy")
    reference.fit(inputs, labels, batch_size=len(labels), epochs=7, shuffle=False, verbose=0)
    trainer = InMemoryEpochTrainer(ours, keras.optimizers.SGD(0.5), batch_size=len(labels))
    history = trainer.fit(inputs, labels, epochs=7, verbose=0)
    for got, want in zip(ours.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, atol=2e-5)
    # the reported loss is the mean loss of the last epoch's step (before the update)
    assert history["epoch"] == [7]
    assert 0.0 < history["loss"][-1] < 0.7


class _Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def scheduled_epochs(self, num_epochs):
        return [0, 3, 9, num_epochs + 5]

    def on_train_begin(self, logs=None):
        self.calls.append(("begin", self.params["epochs"], self.params["steps"]))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append((epoch, round(logs["accuracy"], 6), "val_accuracy" in logs))


def test_minibatch_step_count_callbacks_and_accuracy():
    inputs, labels = _task(200)
    model = _model(1)
    optimizer = keras.optimizers.Adam(0.05)
    recorder = _Recorder()
    trainer = InMemoryEpochTrainer(model, optimizer, batch_size=64, seed=3)
    history = trainer.fit(inputs, labels, epochs=12, callbacks=[recorder],
                          report_epochs=[5], validation_data=(inputs, labels), verbose=0)
    # ceil(200 / 64) = 4 steps per epoch
    assert int(optimizer.iterations.numpy()) == 12 * 4
    assert recorder.calls[0] == ("begin", 12, 4)
    assert [call[0] for call in recorder.calls[1:]] == [2, 4, 8, 11]
    assert history["epoch"] == [3, 5, 9, 12]
    predicted = np.argmax(model.predict(inputs, verbose=0), axis=1)
    assert history["val_accuracy"][-1] == pytest.approx(np.mean(predicted == labels))
    assert history["val_accuracy"][-1] > 0.9


def test_same_seed_same_weights_and_bad_arguments():
    inputs, labels = _task(100)
    weights = []
    for _ in range(2):
        model = _model(2)
        InMemoryEpochTrainer(model, keras.optimizers.SGD(0.1), batch_size=16,
                             seed=5).fit(inputs, labels, epochs=3, verbose=0)
        weights.append(model.get_weights())
    for first, second in zip(*weights, strict=True):
        np.testing.assert_array_equal(first, second)
    with pytest.raises(ValueError, match="batch_size"):
        InMemoryEpochTrainer(_model(0), keras.optimizers.SGD(0.1), batch_size=0)
    with pytest.raises(ValueError, match="Optimizer"):
        InMemoryEpochTrainer(_model(0), "sgd")
    with pytest.raises(ValueError, match="epochs"):
        InMemoryEpochTrainer(_model(0), keras.optimizers.SGD(0.1)).fit(inputs, labels, 0)

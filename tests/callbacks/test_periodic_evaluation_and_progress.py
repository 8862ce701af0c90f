"""PeriodicEvaluation cycles through its test windows; the run's bar counts the run's steps."""

import keras
import numpy as np
import pytest

from infodl.callbacks.periodic_evaluation import PeriodicEvaluation
from infodl.callbacks.step_progress import StepProgressBar
from infodl.callbacks.stop_at_step import StopAtStep


def tiny_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.1),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    return model


def test_evaluations_cycle_through_the_windows_and_fill_the_logs():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 3)).astype("float32"), rng.integers(0, 2, 40)
    windows = [(x[:20], y[:20]), (x[20:], y[20:])]
    model = tiny_model()
    evaluation = PeriodicEvaluation([w for w in windows], [20, 20], first_index=1)
    seen = []

    class Spy(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            index = (1 + epoch) % 2  # first_index=1: windows 1, 0, 1
            expected = self.model.evaluate(*windows[index], verbose=0, return_dict=True)
            seen.append((logs["val_accuracy"], expected["accuracy"], logs["val_num_examples"]))

    model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[evaluation, Spy()])
    assert [(pytest.approx(b), n) for _, b, n in seen] == [(a, 20) for a, _, _ in seen]
    assert evaluation.evaluations == 4 and len(evaluation.history) == 3


def test_progress_bar_total_is_the_runs_last_step(capsys):
    """Issue: a 50-step run of 1000-step epochs showed 50/1000, then 1000/1000."""
    model = tiny_model()
    x, y = np.ones((8, 3), "float32"), np.zeros(8, int)
    model.fit(x, y, batch_size=1, epochs=3, steps_per_epoch=1000, verbose=0,
              callbacks=[StopAtStep(5), StepProgressBar(5, refresh_seconds=0)])
    output = capsys.readouterr().err
    assert "5/5" in output and "/1000" not in output


def test_the_epoch_line_names_the_test_split_as_the_results_do(capsys):
    """Issue 34: the line printed `val_accuracy` where results.json and TensorBoard say
    test accuracy; the logs keep `val_accuracy` (the resume logic reads it)."""
    model = tiny_model()
    x, y = np.ones((8, 3), "float32"), np.zeros(8, int)
    seen = []

    class Spy(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(dict(logs))

    model.fit(x, y, batch_size=4, epochs=1, verbose=0,
              callbacks=[PeriodicEvaluation([(x, y)], [8]),
                         StepProgressBar(2, refresh_seconds=0), Spy()])
    printed = capsys.readouterr()
    line = [text for text in (printed.out + printed.err).splitlines() if "step 2:" in text]
    assert len(line) == 1 and f"test_accuracy={seen[0]['val_accuracy']:.4f}" in line[0], line
    assert "val_" not in line[0]

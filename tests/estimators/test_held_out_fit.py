"""`HeldOutMonitor`'s critic selection: each held-out half keeps the critic (and the
step) with the highest value it has seen, and `restore(half)` puts that one back."""

import types

import keras
import numpy as np
import pytest

from infodl.estimators.held_out_fit import HeldOutMonitor


class _Critic:
    def __init__(self):
        self.weights = [np.zeros(1)]

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [w.copy() for w in weights]


class _Estimator:
    """Two critics; `estimate_each_critic` gives the values scripted per (step, half)."""

    def __init__(self, script):
        self.critics = [_Critic(), _Critic()]
        self.selected_critic = keras.Variable(0.0)
        self.script, self.step, self.halves = script, 0, None

    def estimate_each_critic(self, s, t, num_shuffles=None, seed=None):
        half = 0 if s is self.halves[0][0] else 1
        return list(self.script[self.step][half])


def test_each_half_keeps_its_best_critic_and_step():
    # step 5: half A prefers critic 1 (0.7), half B critic 0 (0.6); step 10: A's best
    # is 0.9 (critic 0, a new best), B's 0.5 (no gain: B keeps step 5's critic 0)
    script = {5: ([0.1, 0.7], [0.6, 0.2]), 10: ([0.9, 0.3], [0.5, 0.4])}
    estimator = _Estimator(script)
    halves = ((np.zeros((4, 1)), np.zeros((4, 1))), (np.ones((4, 1)), np.ones((4, 1))))
    estimator.halves = halves
    monitor = HeldOutMonitor(estimator, halves, steps=10, eval_every=5, patience=5,
                             min_steps=0, verbose=0, seed=0)
    monitor.set_model(types.SimpleNamespace(stop_training=False))
    for step in (5, 10):
        estimator.step = step
        for critic in estimator.critics:  # the weights of this step
            critic.weights = [np.full(1, float(step))]
        monitor.on_train_batch_end(step - 1)
    assert monitor.best_critic == [0, 0] and monitor.best_step == [10, 5]
    assert monitor.best_values == [0.9, 0.6]
    assert [mean for _, mean in monitor.curve] == pytest.approx([0.65, 0.7])  # halves' best
    monitor.restore(1)
    assert float(estimator.selected_critic) == 0.0
    assert [float(c.weights[0][0]) for c in estimator.critics] == [5.0, 5.0]
    monitor.restore(0)
    assert [float(c.weights[0][0]) for c in estimator.critics] == [10.0, 10.0]
    assert monitor.done

"""Tests of LangevinSGD: random-walk variance, the step schedule, Keras integration."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from infodl.training.langevin_sgd import LangevinSGD

NUM_WEIGHTS = 20000


def _walk(optimizer, num_steps, gradient_value=0.0, compiled=False, record_at=()):
    variable = keras.Variable(np.zeros(NUM_WEIGHTS, "float32"))
    optimizer.build([variable])
    gradient = tf.fill([NUM_WEIGHTS], gradient_value)

    def step():
        optimizer.apply([gradient], [variable])

    step = tf.function(step) if compiled else step
    snapshots = {}
    for t in range(1, num_steps + 1):
        step()
        if t in record_at:
            snapshots[t] = variable.numpy().copy()
    return variable.numpy(), snapshots


@pytest.mark.parametrize("compiled", [False, True])
def test_zero_gradient_gives_gaussian_random_walk(compiled):
    num_steps, noise_scale = 40, 0.5
    optimizer = LangevinSGD(learning_rate=1.0, noise_scale=noise_scale, seed=1)
    final, snapshots = _walk(optimizer, num_steps, compiled=compiled, record_at=(20,))
    # b_t = noise_scale / sqrt(t): Var(w_T) = noise_scale^2 * sum_{t<=T} 1/t
    expected = noise_scale**2 * sum(1.0 / t for t in range(1, num_steps + 1))
    # sample variance of 20000 normals: relative std sqrt(2/20000) = 1 %
    assert np.var(final) == pytest.approx(expected, rel=0.05)
    assert abs(np.mean(final)) < 4 * np.sqrt(expected / NUM_WEIGHTS)
    # independent increments: the second half's variance is the tail of the sum
    increment = final - snapshots[20]
    expected_tail = noise_scale**2 * sum(1.0 / t for t in range(21, num_steps + 1))
    assert np.var(increment) == pytest.approx(expected_tail, rel=0.05)
    assert abs(np.corrcoef(snapshots[20], increment)[0, 1]) < 0.03
    # Gaussian: kurtosis 3
    standardized = (final - final.mean()) / final.std()
    assert np.mean(standardized**4) == pytest.approx(3.0, abs=0.15)


def test_noise_free_steps_follow_the_learning_rate_schedule():
    optimizer = LangevinSGD(learning_rate=0.3, noise_scale=0.0, decay_steps=4.0,
                            learning_rate_power=1.0)
    final, _ = _walk(optimizer, 10, gradient_value=2.0)
    # a_t = 0.3 / (1 + (t-1)/4); w_T = -2 * sum a_t
    expected = -2.0 * sum(0.3 / (1 + (t - 1) / 4.0) for t in range(1, 11))
    np.testing.assert_allclose(final, expected, rtol=1e-5)
    a_5, b_5 = (float(v) for v in optimizer.step_sizes(5))
    assert a_5 == pytest.approx(0.15, rel=1e-6) and b_5 == 0.0


def test_default_schedule_is_one_over_t_and_one_over_sqrt_t():
    optimizer = LangevinSGD(learning_rate=2.0, noise_scale=3.0)
    for t in (1, 4, 100):
        a_t, b_t = (float(v) for v in optimizer.step_sizes(t))
        assert a_t == pytest.approx(2.0 / t, rel=1e-6)
        assert b_t == pytest.approx(3.0 / np.sqrt(t), rel=1e-6)


def test_same_seed_same_noise_and_config_round_trip():
    first, _ = _walk(LangevinSGD(noise_scale=1.0, seed=7), 3)
    second, _ = _walk(LangevinSGD(noise_scale=1.0, seed=7), 3)
    other, _ = _walk(LangevinSGD(noise_scale=1.0, seed=8), 3)
    np.testing.assert_array_equal(first, second)
    assert not np.allclose(first, other)
    optimizer = LangevinSGD(learning_rate=0.2, noise_scale=0.1, decay_steps=50.0,
                            learning_rate_power=0.5, noise_power=0.25, seed=3)
    config = optimizer.get_config()
    restored = LangevinSGD.from_config(config)
    for key in ("noise_scale", "decay_steps", "learning_rate_power", "noise_power", "seed"):
        assert getattr(restored, key) == getattr(optimizer, key)
    assert config["learning_rate"] == pytest.approx(0.2)
    assert keras.optimizers.deserialize(keras.optimizers.serialize(optimizer)).seed == 3


def test_fits_a_separable_task_in_model_fit():
    generator = np.random.default_rng(0)
    inputs = generator.normal(size=(512, 4)).astype("float32")
    labels = (inputs @ np.array([1.0, -2.0, 0.5, 1.0]) > 0).astype("int32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=LangevinSGD(learning_rate=0.5, noise_scale=1e-3,
                                        decay_steps=200.0, seed=0),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(inputs, labels, batch_size=64, epochs=15, verbose=0)
    assert history.history["accuracy"][-1] > 0.95


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": 0.0}, "learning_rate"),
    ({"noise_scale": -1.0}, "noise_scale"),
    ({"decay_steps": 0.0}, "decay_steps"),
    ({"noise_power": float("nan")}, "noise_power"),
    ({"learning_rate_power": -0.5}, "learning_rate_power"),
    ({"seed": "x"}, "seed"),
])
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LangevinSGD(**kwargs)

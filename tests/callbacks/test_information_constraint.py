"""InformationConstraintLogger: I(X;Ŷ), I(Y;Ŷ), constraint and running mean vs NumPy."""

import glob
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from infodl.callbacks.information_constraint import InformationConstraintLogger


def read_scalars(log_dir):
    """{tag: {step: value}} of every scalar summary in the event files of `log_dir`."""
    scalars = {}
    for path in glob.glob(os.path.join(log_dir, "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                scalars.setdefault(value.tag, {})[event.step] = float(
                    tf.make_ndarray(value.tensor))
    return scalars


def entropy(p, axis=-1):
    p = np.asarray(p, np.float64)
    return -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=axis)


def numpy_information(logits, labels):
    """Entropy forms: I(X;Ŷ) = H(p̂) - mean_k H(p_k), I(Y;Ŷ) = H(p̂) - Σ_y p̂(y) H(p̄_y)."""
    logits = np.asarray(logits, np.float64)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    marginal_entropy = entropy(probs.mean(axis=0))
    input_info = marginal_entropy - entropy(probs).mean()
    conditional = sum(np.mean(labels == y) * entropy(probs[labels == y].mean(axis=0))
                      for y in np.unique(labels))
    return input_info, marginal_entropy - conditional


def dense_classifier(num_classes=4):
    inputs = keras.Input((5,))
    hidden = keras.layers.Dense(16, activation="relu", name="features")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(num_classes, name="logits")(hidden))
    model.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def make_data(num_examples, seed=0, num_classes=4):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(num_examples, 5)).astype("float32")
    y = (np.argmax(x[:, :num_classes], axis=1)).astype("int32")
    return x, y


def test_epoch_values_and_running_mean_equal_numpy(tmp_path):
    model = dense_classifier()
    x, y = make_data(48)
    x_held, y_held = make_data(30, seed=1)
    logger = InformationConstraintLogger(x_held, y_held, log_dir=str(tmp_path))
    history = model.fit(x, y, batch_size=8, epochs=3, callbacks=[logger], verbose=0)

    assert [step for step, _ in logger.history] == [6, 12, 18]
    input_info, label_info = numpy_information(model.predict(x_held, verbose=0), y_held)
    scalars = read_scalars(str(tmp_path))
    assert scalars["info/I_X_Yhat_nats"][18] == pytest.approx(input_info, abs=1e-5)
    assert scalars["info/I_Y_Yhat_nats"][18] == pytest.approx(label_info, abs=1e-5)
    assert scalars["info/constraint_nats"][18] == pytest.approx(
        input_info - label_info, abs=1e-5)
    constraints = [scalars["info/constraint_nats"][step] for step in (6, 12, 18)]
    assert scalars["info/constraint_running_mean_nats"][18] == pytest.approx(
        np.mean(constraints), abs=1e-6)
    assert scalars["info/constraint_running_mean_nats"][6] == pytest.approx(
        constraints[0], abs=1e-6)
    assert history.history["info/I_Y_Yhat_nats"][-1] == pytest.approx(label_info, abs=1e-5)
    assert label_info > 0.3  # the easy task is learnt: the prediction informs about Y
    assert history.history["info/constraint_nats"] == pytest.approx(constraints, abs=1e-6)


def test_every_n_steps_with_dict_inputs_and_optional_label():
    image = keras.Input((5,), name="image")
    label = keras.Input((), dtype="int32", name="label", optional=True)
    logits = keras.layers.Dense(3, name="logits")(image)
    model = keras.Model({"image": image, "label": label}, logits)
    model.compile(optimizer="sgd",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = make_data(16, num_classes=3)
    logger = InformationConstraintLogger({"image": x[:9], "label": None}, y[:9],
                                         every_n_steps=2)
    model.fit({"image": x, "label": y}, y, batch_size=4, epochs=1, callbacks=[logger],
              verbose=0)
    assert [step for step, _ in logger.history] == [0, 2, 4]
    input_info, label_info = numpy_information(
        model.predict({"image": x[:9], "label": None}, verbose=0), y[:9])
    assert logger.latest["info/I_X_Yhat_nats"] == pytest.approx(input_info, abs=1e-5)
    assert logger.latest["info/I_Y_Yhat_nats"] == pytest.approx(label_info, abs=1e-5)


def test_softmax_model_with_uniform_marginal():
    inputs = keras.Input((5,))
    model = keras.Model(inputs, keras.layers.Dense(4, activation="softmax")(inputs))
    x, y = make_data(12)
    logger = InformationConstraintLogger(x, y, from_logits=False, marginal="uniform")
    logger.set_model(model)
    values = logger.measure_now(step=0)
    probs = np.asarray(model.predict(x, verbose=0), np.float64)
    probs /= probs.sum(axis=1, keepdims=True)
    expected = np.mean(np.log(4) - entropy(probs))
    assert values["info/I_X_Yhat_nats"] == pytest.approx(expected, abs=1e-5)


def test_single_held_out_example_gives_zeros():
    model = dense_classifier()
    x, y = make_data(1)
    logger = InformationConstraintLogger(x, y)
    logger.set_model(model)
    # One example: p̂(ŷ) = p(ŷ|x) and π̂_y+ = 1, so every log ratio is log 1 (up to
    # float64 rounding, ~1e-16).
    assert logger.measure_now(step=0) == pytest.approx({
        "info/I_X_Yhat_nats": 0.0, "info/I_Y_Yhat_nats": 0.0, "info/constraint_nats": 0.0,
        "info/constraint_running_mean_nats": 0.0}, abs=1e-12)


def test_logits_read_as_probabilities_or_bad_labels_raise_at_measure_time():
    model = dense_classifier()
    x, y = make_data(6)
    as_probabilities = InformationConstraintLogger(x, y, from_logits=False)
    as_probabilities.set_model(model)
    with pytest.raises(ValueError, match="InformationConstraintLogger: Expected"):
        as_probabilities.measure_now(step=0)
    too_many_classes = InformationConstraintLogger(x, np.full(6, 7))
    too_many_classes.set_model(model)
    with pytest.raises(ValueError, match=r"labels in \[0, 4\)"):
        too_many_classes.measure_now(step=0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(labels=np.zeros(5, "int32")), r"labels of length 6"),
    (dict(labels=np.full(6, 0.5, "float32")), "integer class labels"),
    (dict(batch_size=0), "batch_size"),
    (dict(every_n_steps=0), "every_n_steps"),
    (dict(marginal="flat"), "marginal"),
])
def test_bad_arguments_raise(kwargs, message):
    arguments = dict(inputs=np.ones((6, 5)), labels=np.zeros(6, "int32"))
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        InformationConstraintLogger(**arguments)


def test_all_zero_classifier_gives_zero_information_in_logs():
    model = dense_classifier()
    logits = model.get_layer("logits")
    logits.set_weights([np.zeros_like(w) for w in logits.get_weights()])
    model.compile(optimizer=keras.optimizers.SGD(0.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = make_data(12)
    logger = InformationConstraintLogger(x[:7], y[:7])
    history = model.fit(x, y, batch_size=4, epochs=1, callbacks=[logger], verbose=0)
    # w = 0 (and lr 0): every prediction is uniform, p(ŷ|x) = p̂(ŷ) = 1/4, so both
    # informations vanish.
    for key in ("info/I_X_Yhat_nats", "info/I_Y_Yhat_nats", "info/constraint_nats",
                "info/constraint_running_mean_nats"):
        assert history.history[key] == [pytest.approx(0.0, abs=1e-7)], key

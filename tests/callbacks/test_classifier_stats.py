"""ClassifierStatsLogger: norms, sparsity, histograms and heat-map of w vs NumPy (P2 Fig. 4)."""

import glob
import os

import keras
import matplotlib
import numpy as np
import pytest
import tensorflow as tf

from infodl.callbacks.classifier_stats import ClassifierStatsLogger, weight_heatmap


def read_summaries(log_dir):
    """{tag: {step: (plugin name, ndarray)}} of every summary in `log_dir`."""
    summaries = {}
    for path in glob.glob(os.path.join(log_dir, "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                summaries.setdefault(value.tag, {})[event.step] = (
                    value.metadata.plugin_data.plugin_name, tf.make_ndarray(value.tensor))
    return summaries


def feature_model():
    inputs = keras.Input((5,))
    features = keras.layers.Dense(6, activation="relu", name="features")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(3, name="logits")(features))
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    return model


def numpy_statistics(model, probe):
    kernel, bias = model.get_layer("features").get_weights()
    features = np.maximum(probe @ kernel + bias, 0.0)
    w = model.get_layer("logits").get_weights()[0]
    return features, w, {
        "classifier/feature_norm_mean": np.mean(np.sqrt(np.sum(features ** 2, axis=1))),
        "classifier/weight_column_norm_mean": np.mean(np.sqrt(np.sum(w ** 2, axis=0))),
        "classifier/weight_zero_fraction": np.count_nonzero(w == 0) / w.size,
    }


def test_fit_logs_statistics_histograms_and_heatmap_equal_to_numpy(tmp_path):
    model = feature_model()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 5)), rng.normal(size=(16, 3))
    probe = x[:5]
    logger = ClassifierStatsLogger(probe, every_n_steps=4, log_dir=str(tmp_path))
    history = model.fit(x, y, batch_size=4, epochs=2, callbacks=[logger], verbose=0)
    assert [step for step, _ in logger.history] == [0, 4, 8]
    # Zero part of w (as the proximal ℓ1 step does) and log once more at step 9.
    w = model.get_layer("logits").get_weights()
    w[0][:2] = 0.0
    model.get_layer("logits").set_weights(w)
    model.optimizer.iterations.assign(9)
    logger.measure_now()
    logger.on_train_end()

    features, kernel, expected = numpy_statistics(model, probe)
    assert expected["classifier/weight_zero_fraction"] == pytest.approx(2 / 6)
    summaries = read_summaries(str(tmp_path))
    for tag, value in expected.items():
        assert summaries[tag][9] == ("scalars", pytest.approx(value, rel=1e-5))
        assert logger.latest[tag] == pytest.approx(value, rel=1e-5)
    for tag, values in (("classifier/weights", kernel), ("classifier/features", features)):
        plugin, buckets = summaries[tag][9]
        assert plugin == "histograms"
        assert buckets[:, 2].sum() == values.size
        assert buckets[0, 0] == pytest.approx(values.min(), abs=1e-6)
        assert buckets[-1, 1] == pytest.approx(values.max(), abs=1e-6)
    plugin, encoded = summaries["classifier/weights_heatmap"][9]
    image = tf.io.decode_png(encoded[2]).numpy()
    assert plugin == "images" and image.shape == (6 * 42, 3 * 85, 3)
    white = np.round(np.array(matplotlib.colormaps["RdBu_r"](0.5)[:3]) * 255)
    assert np.all(image[:2 * 42] == white)  # the zeroed rows of w
    row, column = np.unravel_index(np.argmax(np.abs(kernel)), kernel.shape)
    extreme = 1.0 if kernel[row, column] > 0 else 0.0
    assert np.all(image[row * 42, column * 85] == np.round(
        np.array(matplotlib.colormaps["RdBu_r"](extreme)[:3]) * 255))
    epoch_two = logger.history[2][1]["classifier/weight_column_norm_mean"]
    assert history.history["classifier/weight_column_norm_mean"][-1] == epoch_two


def test_all_zero_features_and_weights_give_defined_values(tmp_path):
    model = feature_model()
    for name in ("features", "logits"):
        model.get_layer(name).set_weights(
            [np.zeros_like(w) for w in model.get_layer(name).get_weights()])
    logger = ClassifierStatsLogger(np.ones((1, 5)), log_dir=str(tmp_path))
    logger.set_model(model)
    assert logger.measure_now(step=0) == {
        "classifier/feature_norm_mean": 0.0, "classifier/weight_column_norm_mean": 0.0,
        "classifier/weight_zero_fraction": 1.0}
    assert np.all(weight_heatmap(np.zeros((4, 2))) == weight_heatmap(np.zeros((4, 2)))[0, 0])


def test_nested_feature_tensor_and_custom_layer_names():
    inputs = keras.Input((4, 4, 2))
    conv = keras.layers.Conv2D(3, 3, padding="same", name="conv_features")(inputs)
    flat = keras.layers.Flatten()(conv)
    model = keras.Model(inputs, keras.layers.Dense(2, name="head")(flat))
    probe = np.random.default_rng(1).normal(size=(3, 4, 4, 2))
    logger = ClassifierStatsLogger(probe, feature_layer="conv_features", logits_layer="head")
    logger.set_model(model)
    values = logger.measure_now(step=0)
    conv_out = keras.ops.convert_to_numpy(
        keras.Model(inputs, conv)(probe.astype("float32"))).reshape(3, -1)
    assert values["classifier/feature_norm_mean"] == pytest.approx(
        np.mean(np.linalg.norm(conv_out, axis=1)), rel=1e-5)


def test_missing_layers_kernel_or_finite_values_raise():
    model = feature_model()
    for kwargs, message in ((dict(feature_layer="nope"), "layer named 'nope'"),
                            (dict(logits_layer="nope"), "layer named 'nope'")):
        logger = ClassifierStatsLogger(np.ones((2, 5)), **kwargs)
        logger.set_model(model)
        with pytest.raises(ValueError, match=message):
            logger.measure_now(step=0)
    inputs = keras.Input((5,))
    features = keras.layers.Dense(4, name="features")(inputs)
    no_kernel = keras.Model(inputs, keras.layers.Activation("softmax", name="logits")(features))
    logger = ClassifierStatsLogger(np.ones((2, 5)))
    logger.set_model(no_kernel)
    with pytest.raises(ValueError, match="2-D `kernel`"):
        logger.measure_now(step=0)
    weights = model.get_layer("logits").get_weights()
    model.get_layer("logits").set_weights([np.full_like(weights[0], np.inf), weights[1]])
    logger = ClassifierStatsLogger(np.ones((2, 5)))
    logger.set_model(model)
    with pytest.raises(ValueError, match="finite classifier weights"):
        logger.measure_now(step=0)
    with pytest.raises(ValueError, match="expected a model"):
        ClassifierStatsLogger(np.ones((2, 5))).measure_now()


@pytest.mark.parametrize("kwargs, message", [
    (dict(every_n_steps=-3), "every_n_steps"),
    (dict(every_n_steps=2.5), "every_n_steps"),
    (dict(feature_layer=""), "feature_layer"),
    (dict(logits_layer=None), "logits_layer"),
    (dict(probe_inputs=np.ones((0, 5))), "batch size >= 1"),
])
def test_bad_arguments_raise(kwargs, message):
    arguments = dict(probe_inputs=np.ones((2, 5)))
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        ClassifierStatsLogger(**arguments)


def test_sequential_model_and_subclassed_model_error():
    sequential = keras.Sequential([
        keras.Input((5,)), keras.layers.Dense(6, activation="relu", name="features"),
        keras.layers.Dense(3, name="logits")])
    probe = np.random.default_rng(3).normal(size=(4, 5))
    logger = ClassifierStatsLogger(probe)
    logger.set_model(sequential)
    features, w, expected = numpy_statistics(sequential, probe)
    assert logger.measure_now(step=0) == pytest.approx(expected, rel=1e-5)

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__(name="subclassed")
            self.features = keras.layers.Dense(6, name="features")
            self.logits = keras.layers.Dense(3, name="logits")

        def call(self, inputs):
            return self.logits(self.features(inputs))

    model = Subclassed()
    model(probe)
    logger = ClassifierStatsLogger(probe)
    logger.set_model(model)
    with pytest.raises(ValueError, match="functional or Sequential model.*'subclassed'"):
        logger.measure_now(step=0)

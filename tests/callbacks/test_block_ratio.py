"""BlockRatioLogger: logged ||L(x)||/||x|| and ||L(x)||/||s(x)|| re-computed with NumPy,
read back from TensorBoard (the train-batch source: test_block_ratio_train_batch.py)."""

import glob
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from infodl.callbacks.block_ratio import BlockRatioLogger
from infodl.models.residual_unit import ResidualUnit
from infodl.models.resnet import build_resnet


def read_scalars(log_dir):
    """{tag: {step: value}} of every scalar summary in the event files of `log_dir`."""
    scalars = {}
    for path in glob.glob(os.path.join(log_dir, "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == "scalars":
                    scalars.setdefault(value.tag, {})[event.step] = float(
                        tf.make_ndarray(value.tensor))
    return scalars


def leaky(x, slope=0.1):
    return np.where(x >= 0, x, slope * x)


def batch_norm_inference(x, bn):
    gamma, beta, mean, variance = [np.asarray(w, np.float64) for w in bn.get_weights()]
    return (x - mean) / np.sqrt(variance + bn.epsilon) * gamma + beta


def option_a(x, strides, out_channels):
    if strides > 1:
        n, h, w, c = x.shape
        x = x.reshape(n, h // strides, strides, w // strides, strides, c).mean(axis=(2, 4))
    half = (out_channels - x.shape[-1]) // 2
    return np.pad(x, [(0, 0), (0, 0), (0, 0), (half, half)])


def numpy_unit_ratios(unit, x, y, denominator="input"):
    """Per-example ||L||/||x|| (or ||L||/||s||) with s from NumPy and L = y - s.

    x is the unit's input and y its output.
    """
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    norms = lambda t: np.sqrt(np.sum(t.reshape(len(t), -1) ** 2, axis=1))  # noqa: E731
    if not unit.use_shortcut:
        return norms(y) / norms(x)
    start = leaky(batch_norm_inference(x, unit.bn1)) if unit.activate_before_residual else x
    shortcut = option_a(start, unit.strides, unit.filters)
    return norms(y - shortcut) / norms(x if denominator == "input" else shortcut)


def batch_norms(model):
    """The model's BatchNormalization layers, top-level and inside residual units."""
    for layer in model.layers:
        inner = [layer.bn1, layer.bn2] if isinstance(layer, ResidualUnit) else [layer]
        yield from (bn for bn in inner if isinstance(bn, keras.layers.BatchNormalization))


def randomize_batch_norms(model, seed):
    rng = np.random.default_rng(seed)
    for layer in batch_norms(model):
        shape = layer.gamma.shape
        layer.set_weights([rng.uniform(0.5, 1.5, shape), rng.normal(0, 0.3, shape),
                           rng.normal(0, 0.3, shape), rng.uniform(0.5, 2.0, shape)])


def unit_model(use_shortcut=True, name="tiny"):
    image = keras.Input((4, 4, 4))
    x = ResidualUnit(4, activate_before_residual=True, use_shortcut=use_shortcut,
                     stage=1, unit=0, name="unit_1_0")(image)
    x = ResidualUnit(8, strides=2, use_shortcut=use_shortcut, stage=2, unit=0,
                     name="unit_2_0")(x)
    features = keras.layers.GlobalAveragePooling2D(name="features")(x)
    return keras.Model(image, keras.layers.Dense(3, name="logits")(features), name=name)


@pytest.mark.parametrize("denominator, root", [("input", "block_ratio"),
                                               ("shortcut", "block_ratio_vs_shortcut")])
def test_resnet32_logs_fifteen_blocks_equal_to_numpy(tmp_path, denominator, root):
    model = build_resnet("resnet32", num_classes=10, input_shape=(8, 8, 3))
    randomize_batch_norms(model, seed=1)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.optimizer.iterations.assign(7)
    probe = np.random.default_rng(0).normal(size=(4, 8, 8, 3)).astype("float32")
    logger = BlockRatioLogger(probe, log_dir=str(tmp_path), denominator=denominator)
    logger.set_model(model)
    logger.measure_now()
    logger.on_train_end()

    scalars = read_scalars(str(tmp_path))
    names = [f"stage{s}_unit{u}" for s in (1, 2, 3) for u in range(5)]
    expected_tags = {f"{root}/{n}/{k}" for n in names for k in ("mean", "max")}
    assert set(scalars) == expected_tags | {f"{root}/max"}
    units = [layer for layer in model.layers if isinstance(layer, ResidualUnit)]
    io_model = keras.Model(model.input, [[u.input, u.output] for u in units])
    io = io_model({"image": probe, "label": None}, training=False)
    maxima, by_name = [], {}
    for name, unit, (x, y) in zip(names, units, io, strict=True):
        ratios = numpy_unit_ratios(unit, x, y, denominator)
        assert scalars[f"{root}/{name}/mean"] == {7: pytest.approx(ratios.mean(), rel=1e-4)}
        assert scalars[f"{root}/{name}/max"] == {7: pytest.approx(ratios.max(), rel=1e-4)}
        maxima.append(ratios.max())
        by_name[name] = (ratios, numpy_unit_ratios(unit, x, y, "input"),
                         numpy_unit_ratios(unit, x, y, "shortcut"))
    assert scalars[f"{root}/max"][7] == pytest.approx(max(maxima), rel=1e-4)
    assert logger.latest[f"{root}/max"] == pytest.approx(max(maxima), rel=1e-4)
    # stride-2 units: the option-A shortcut averages 2x2 pixels, so ||s(x)|| < ||x|| and
    # the shortcut ratio is the larger one; identity units: the two coincide
    for name in ("stage2_unit0", "stage3_unit0"):
        _, over_input, over_shortcut = by_name[name]
        assert np.all(over_shortcut > over_input)
    _, over_input, over_shortcut = by_name["stage2_unit1"]
    np.testing.assert_allclose(over_input, over_shortcut, rtol=1e-6)


def fit_unit_model(log_dir, seed, every_n_steps, epochs):
    """SGD on 20 random examples (5 steps an epoch), the logger probing the first 3.

    Returns (model, x, logger, history)."""
    model = unit_model()
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(20, 4, 4, 4)), rng.normal(size=(20, 3))
    logger = BlockRatioLogger(x[:3], every_n_steps=every_n_steps, log_dir=str(log_dir))
    history = model.fit(x, y, batch_size=4, epochs=epochs, callbacks=[logger], verbose=0)
    return model, x, logger, history


def test_fit_logs_at_optimizer_steps_and_fills_logs(tmp_path):
    model, x, logger, history = fit_unit_model(tmp_path, seed=2, every_n_steps=5, epochs=2)

    # due steps 0, 5, 10 and the final step 10 (already measured): no repeat
    assert [step for step, _ in logger.history] == [0, 5, 10]
    scalars = read_scalars(str(tmp_path))
    assert sorted(scalars["block_ratio/stage2_unit0/max"]) == [0, 5, 10]
    io = keras.Model(model.input, [[u.input, u.output] for u in model.layers[1:3]])(
        x[:3].astype("float32"))
    for (unit_x, unit_y), unit, name in zip(io, model.layers[1:3], ("stage1_unit0",
                                                                    "stage2_unit0"), strict=True):
        ratios = numpy_unit_ratios(unit, unit_x, unit_y)
        assert scalars[f"block_ratio/{name}/mean"][10] == pytest.approx(ratios.mean(), rel=1e-4)
        assert history.history[f"block_ratio/{name}/max"][-1] == pytest.approx(
            ratios.max(), rel=1e-4)
    # epoch ends at steps 5 and 10: both measured there, so History has both, current
    assert history.history["block_ratio/max"] == [logger.history[1][1]["block_ratio/max"],
                                                  logger.history[2][1]["block_ratio/max"]]


def assert_one_example_ratios_equal_numpy(model, probe, rel):
    """Both units' mean and max on a one-example probe equal the NumPy ratio."""
    logger = BlockRatioLogger(probe)
    logger.set_model(model)
    values = logger.measure_now(step=0)
    io = keras.Model(model.input, [[u.input, u.output] for u in model.layers[1:3]])(probe)
    names = ("stage1_unit0", "stage2_unit0")
    for (x, y), unit, name in zip(io, model.layers[1:3], names, strict=True):
        ratio = numpy_unit_ratios(unit, x, y)[0]
        assert values[f"block_ratio/{name}/mean"] == pytest.approx(ratio, rel=rel)
        assert values[f"block_ratio/{name}/max"] == values[f"block_ratio/{name}/mean"]


def test_plain_units_divide_by_the_unit_input():
    model = unit_model(use_shortcut=False, name="plain")
    probe = np.random.default_rng(4).normal(size=(1, 4, 4, 4)).astype("float32")
    assert_one_example_ratios_equal_numpy(model, probe, rel=1e-4)


def dense_residual_model(stem_bias=True):
    inputs = keras.Input((6,))
    stem = keras.layers.Dense(8, use_bias=stem_bias, name="stem")(inputs)
    inner = keras.layers.Dense(8, activation="tanh", name="inner")(stem)
    branch = keras.layers.Dense(8, name="branch")(inner)
    added = keras.layers.Add(name="add")([stem, branch])
    return keras.Model(inputs, keras.layers.Dense(3, name="logits")(added))


def test_explicit_layer_pairs_equal_numpy(tmp_path):
    model = dense_residual_model()
    probe = np.random.default_rng(5).normal(size=(6, 6))
    logger = BlockRatioLogger(probe, layer_pairs={"block_a": ("stem", "branch")},
                              log_dir=str(tmp_path))
    logger.set_model(model)
    logger.measure_now(step=3)
    logger.on_train_end()
    w = {name: model.get_layer(name).get_weights() for name in ("stem", "inner", "branch")}
    stem = probe @ w["stem"][0] + w["stem"][1]
    branch = np.tanh(stem @ w["inner"][0] + w["inner"][1]) @ w["branch"][0] + w["branch"][1]
    ratios = np.linalg.norm(branch, axis=1) / np.linalg.norm(stem, axis=1)
    scalars = read_scalars(str(tmp_path))
    assert scalars["block_ratio/block_a/mean"] == {3: pytest.approx(ratios.mean(), rel=1e-5)}
    assert scalars["block_ratio/block_a/max"] == {3: pytest.approx(ratios.max(), rel=1e-5)}
    assert scalars["block_ratio/max"] == {3: pytest.approx(ratios.max(), rel=1e-5)}
    listed = BlockRatioLogger(probe, layer_pairs=[("stem", "branch")])
    listed.set_model(model)
    assert listed.measure_now(step=0)["block_ratio/branch/mean"] == pytest.approx(
        ratios.mean(), rel=1e-5)


def test_zero_probe_gives_zero_ratios_not_nan():
    model = unit_model()
    logger = BlockRatioLogger(np.zeros((2, 4, 4, 4)))
    logger.set_model(model)
    values = logger.measure_now(step=0)
    assert values and all(value == 0.0 for value in values.values())


def test_zero_shortcut_with_nonzero_branch_gives_inf():
    model = dense_residual_model(stem_bias=False)
    model.get_layer("stem").set_weights([np.zeros((6, 8))])
    model.get_layer("branch").set_weights([np.zeros((8, 8)), np.ones(8)])
    logger = BlockRatioLogger(np.ones((2, 6)), layer_pairs=[("stem", "branch")])
    logger.set_model(model)
    assert logger.measure_now(step=0)["block_ratio/max"] == np.inf


def test_model_without_residual_units_raises_clear_error():
    inputs = keras.Input((6,))
    model = keras.Model(inputs, keras.layers.Dense(3)(inputs), name="flat")
    model.compile(optimizer="sgd", loss="mse")
    logger = BlockRatioLogger(np.ones((2, 6)))
    with pytest.raises(ValueError, match="no residual units"):
        model.fit(np.ones((4, 6)), np.ones((4, 3)), callbacks=[logger], verbose=0)
    bad_name = BlockRatioLogger(np.ones((2, 6)), layer_pairs=[("stem", "nope")])
    bad_name.set_model(dense_residual_model())
    with pytest.raises(ValueError, match="layer named 'nope'"):
        bad_name.measure_now(step=0)


def test_diverged_model_raises_instead_of_logging_nan():
    model = dense_residual_model()
    kernel, bias = model.get_layer("branch").get_weights()
    model.get_layer("branch").set_weights([np.full_like(kernel, np.nan), bias])
    logger = BlockRatioLogger(np.ones((2, 6)), layer_pairs=[("stem", "branch")])
    logger.set_model(model)
    with pytest.raises(ValueError, match="finite activations"):
        logger.measure_now(step=0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(probe_inputs=np.ones((2, 6)), every_n_steps=0), "every_n_steps"),
    (dict(probe_inputs=np.ones((2, 6)), every_n_steps=None), "every_n_steps"),
    (dict(probe_inputs=None), "probe_inputs"),
    (dict(probe_inputs={"a": np.ones((2, 3)), "b": np.ones((3, 3))}), "batch size"),
    (dict(probe_inputs=np.full((2, 6), np.nan)), "finite"),
    (dict(probe_inputs=np.ones((2, 6)), layer_pairs=[("stem",)]), "layer_pairs entries"),
])
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BlockRatioLogger(**kwargs)


def test_single_example_probe_through_shortcut_units_equals_numpy():
    model = unit_model(name="one_example")
    randomize_batch_norms(model, seed=6)
    probe = np.random.default_rng(6).normal(size=(1, 4, 4, 4)).astype("float32")
    assert_one_example_ratios_equal_numpy(model, probe, rel=1e-5)


def test_sequential_model_of_residual_units_equals_numpy():
    model = keras.Sequential([
        keras.Input((4, 4, 4)),
        ResidualUnit(4, activate_before_residual=True, stage=1, unit=0, name="u10"),
        ResidualUnit(8, strides=2, stage=2, unit=0, name="u20"),
        keras.layers.GlobalAveragePooling2D(name="features"),
        keras.layers.Dense(3, name="logits")], name="sequential_units")
    randomize_batch_norms(model, seed=8)
    probe = np.random.default_rng(8).normal(size=(3, 4, 4, 4)).astype("float32")
    logger = BlockRatioLogger(probe)
    logger.set_model(model)
    values = logger.measure_now(step=0)
    units = model.layers[:2]
    io = keras.Model(model.inputs[0], [[u.input, u.output] for u in units])(probe)
    for (x, y), unit, name in zip(io, units, ("stage1_unit0", "stage2_unit0"), strict=True):
        ratios = numpy_unit_ratios(unit, x, y)
        assert values[f"block_ratio/{name}/mean"] == pytest.approx(ratios.mean(), rel=1e-5)
        assert values[f"block_ratio/{name}/max"] == pytest.approx(ratios.max(), rel=1e-5)


def test_subclassed_model_raises_clear_error():
    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__(name="subclassed")
            self.unit = ResidualUnit(4, stage=1, unit=0)

        def call(self, inputs):
            return self.unit(inputs)

    model = Subclassed()
    probe = np.ones((2, 4, 4, 4), "float32")
    model(probe)
    logger = BlockRatioLogger(probe)
    logger.set_model(model)
    with pytest.raises(ValueError, match="Expected a functional or Sequential Keras model"
                                         ".*'subclassed'"):
        logger.measure_now(step=0)


def test_logs_hold_a_value_only_where_measured_and_the_end_is_measured(tmp_path):
    """Issue: a 50-step run showed the step-0 ratio beside the step-50 metrics."""
    model, x, logger, history = fit_unit_model(tmp_path, seed=3, every_n_steps=100,
                                               epochs=5)
    # measured before the first step and once more on the final weights (step 25)
    assert [step for step, _ in logger.history] == [0, 25]
    assert "block_ratio/max" not in history.history  # no epoch end was a measured step
    final = BlockRatioLogger(x[:3])
    final.set_model(model)
    assert logger.latest == pytest.approx(final.measure_now(step=25))
    assert sorted(read_scalars(str(tmp_path))["block_ratio/max"]) == [0, 25]


def test_resnet_accepts_a_plain_image_array_as_probe():
    model = build_resnet("resnet20", num_classes=10, input_shape=(8, 8, 3))
    probe = np.random.default_rng(6).normal(size=(2, 8, 8, 3)).astype("float32")
    plain, as_dict = BlockRatioLogger(probe), BlockRatioLogger({"image": probe, "label": None})
    for logger in (plain, as_dict):
        logger.set_model(model)
    assert plain.measure_now(step=0) == as_dict.measure_now(step=0)

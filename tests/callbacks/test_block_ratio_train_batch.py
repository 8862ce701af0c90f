"""BlockRatioLogger(source="train_batch"), P1's measurement: the whole training batch in
training mode, inside the training step, changing nothing in training."""

import keras
import numpy as np
import pytest

from infodl.callbacks.block_ratio import BlockRatioLogger
from infodl.models.architectures import ARCHITECTURES, Architecture
from infodl.models.residual_unit import ResidualUnit
from infodl.models.resnet import build_resnet


def test_train_batch_source_changes_nothing_and_equals_the_training_forward_pass(
        tmp_path, monkeypatch):
    """P1's measurement: whole training batch, training mode, inside the training step.

    On resnet20's widths with two units per stage, which holds every kind of unit of
    ResNet-20 (the first with its activation before the split, two with a stride-2
    shortcut, three with the identity): three trainings of its 9 units checked the same
    code in more time."""
    monkeypatch.setitem(ARCHITECTURES, "resnet20", Architecture(2, (16, 16, 32, 64)))

    def trained(with_logger, learning_rate):
        keras.utils.set_random_seed(0)
        model = build_resnet("resnet20", num_classes=3, input_shape=(8, 8, 3),
                             track_block_ratio=with_logger)
        model.compile(optimizer=keras.optimizers.SGD(learning_rate, momentum=0.9),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        rng = np.random.default_rng(1)
        images = rng.normal(size=(8, 8, 8, 3)).astype("float32")
        labels = rng.integers(0, 3, size=8)
        callbacks = []
        if with_logger:
            callbacks = [BlockRatioLogger(every_n_steps=1, source="train_batch",
                                          log_dir=str(tmp_path / f"lr{learning_rate}"))]
        model.fit({"image": images, "label": labels}, labels, batch_size=8, epochs=3,
                  callbacks=callbacks, verbose=0, shuffle=False)
        return model, images, labels, callbacks

    plain, _, _, _ = trained(False, 0.05)
    logged, images, labels, (logger,) = trained(True, 0.05)
    tracked = {v.path for v in logged.variables if "training_batch_norms" in v.path}
    assert len(tracked) == 6  # one per unit, nothing else is added
    kept = [v for v in logged.variables if v.path not in tracked]
    assert [v.path for v in kept] == [v.path for v in plain.variables]
    for ours, theirs in zip(kept, plain.variables, strict=True):  # weights, BN statistics, seeds
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=ours.path)
    for ours, theirs in zip(logged.optimizer.variables, plain.optimizer.variables, strict=True):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert [step for step, _ in logger.history] == [1, 2, 3]
    assert set(logger.latest) == {f"block_ratio_train_batch/stage{s}_unit{u}"
                                  for s in (1, 2, 3) for u in range(2)} | {
        "block_ratio_train_batch/max"}
    # with lr = 0 every step sees the same weights: the logged value is ||L(X)|| / ||X||
    # of the whole batch X in training mode (batch statistics in batch norm)
    frozen, images, labels, (logger,) = trained(True, 0.0)
    units = [layer for layer in frozen.layers if isinstance(layer, ResidualUnit)]
    unit_inputs = keras.Model(frozen.input, [u.input for u in units])(
        {"image": images, "label": None}, training=True)
    for unit, x in zip(units, unit_inputs, strict=True):
        _, branch = unit.residual_parts(x, training=True)
        expected = np.linalg.norm(np.ravel(branch)) / np.linalg.norm(np.ravel(x))
        tag = f"block_ratio_train_batch/stage{unit.stage}_unit{unit.unit}"
        assert logger.latest[tag] == pytest.approx(expected, rel=1e-4)


def test_train_batch_source_needs_tracking_units():
    model = build_resnet("resnet20", num_classes=3, input_shape=(8, 8, 3))
    logger = BlockRatioLogger(source="train_batch")
    logger.set_model(model)
    with pytest.raises(ValueError, match="track_block_ratio=True"):
        logger.measure_now(step=1)

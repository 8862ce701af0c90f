"""Atomic step checkpoints: resume state, keep-N, skip after NaN, refuse corrupt files."""

import dataclasses
import inspect

import keras
import numpy as np
import pytest

from infodl.callbacks.step_checkpoint import StepCheckpoint
from infodl.experiments.common_settings import RunFolderSettings
from infodl.run_folder.checkpoints import (
    KEEP_CHECKPOINTS,
    latest_checkpoint,
    list_checkpoints,
    restore_checkpoint,
    save_checkpoint,
)
from infodl.training.ib_checkpoint import IBCheckpoints
from infodl.training.ib_settings import IB_DEFAULTS


def test_one_keep_n_policy_for_both_formats_the_configs_and_the_trainers():
    def default(function, name):
        return inspect.signature(function).parameters[name].default

    fields = {f.name: f.default for f in dataclasses.fields(RunFolderSettings)}
    assert KEEP_CHECKPOINTS == 3
    assert (default(save_checkpoint, "keep") == default(StepCheckpoint, "keep")
            == default(IBCheckpoints, "keep") == fields["keep_checkpoints"]
            == IB_DEFAULTS.keep_checkpoints == KEEP_CHECKPOINTS)


def small_model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), "mse")
    return model


def test_save_restore_round_trips_weights_and_optimizer_state(tmp_path):
    model = small_model()
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 2), "float32")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)  # 2 steps
    path = save_checkpoint(model, tmp_path, step=2)
    assert path.name == "ckpt-00000002.keras"
    assert not list(tmp_path.glob(".partial-*"))

    fresh = small_model(seed=1)
    assert restore_checkpoint(fresh, path) == 2
    for a, b in zip(model.get_weights(), fresh.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    momenta = [v.numpy() for v in model.optimizer.variables if "momentum" in v.path]
    restored = [v.numpy() for v in fresh.optimizer.variables if "momentum" in v.path]
    assert momenta and all(np.array_equal(a, b) for a, b in zip(momenta, restored, strict=True))


def test_only_the_newest_are_kept_and_partial_files_are_ignored(tmp_path):
    model = small_model()
    for step in (10, 20, 30, 40):
        save_checkpoint(model, tmp_path, step, keep=2)
    (tmp_path / ".partial-ckpt-00000050.keras").write_bytes(b"half a zip")
    assert [step for step, _ in list_checkpoints(tmp_path)] == [30, 40]
    assert latest_checkpoint(tmp_path).name == "ckpt-00000040.keras"
    assert latest_checkpoint(tmp_path / "missing") is None


def test_corrupt_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / "ckpt-00000001.keras"
    path.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="Cannot restore checkpoint"):
        restore_checkpoint(small_model(), path)


def test_step_checkpoint_skips_non_finite_logs(tmp_path):
    model = small_model()
    callback = StepCheckpoint(tmp_path, keep=3)
    callback.set_model(model)
    callback.on_epoch_end(0, {"loss": 0.5})
    callback.on_epoch_end(1, {"loss": float("nan")})
    callback.on_epoch_end(2, {"loss": 0.4, "val_loss": float("inf")})
    assert len(list_checkpoints(tmp_path)) == 1
    # an infinite measurement (block ratio over a zero shortcut) does not stop saving
    model.optimizer.iterations.assign(7)
    callback.on_epoch_end(3, {"loss": 0.3, "block_ratio/max": float("inf")})
    assert [step for step, _ in list_checkpoints(tmp_path)] == [0, 7]
    with pytest.raises(ValueError, match="keep >= 1"):
        StepCheckpoint(tmp_path, keep=0)

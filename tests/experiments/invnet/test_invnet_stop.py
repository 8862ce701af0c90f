"""A stop request during an InvNet run saves the step it stopped at and resumes there."""

import json
import signal

import keras
import numpy as np
import pytest

from infodl import stop_signals
from infodl.callbacks.proximal_l1 import ProximalL1
from infodl.experiments.invnet import experiment
from infodl.experiments.invnet.config import InvNetConfig
from infodl.run_folder.checkpoints import list_checkpoints

STEPS_PER_EPOCH = -(-1438 // 64)  # digits: 1438 training images (80 %), batch 64
STOP_STEP = 30  # mid-epoch (23 steps per epoch) and a proximal l1 step (l1_every=30)


def _config(log_dir):
    return InvNetConfig(dataset="digits", epochs=2, batch_size=64, log_dir=str(log_dir),
                        analyze=False, measurements=False, verbose=0)


class _SigtermAtStep(ProximalL1):
    """The run's ProximalL1, plus a SIGTERM that arrives during step STOP_STEP."""

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if int(self.model.optimizer.iterations.numpy()) == STOP_STEP:
            signal.raise_signal(signal.SIGTERM)


def _weights(log_dir, step):
    model = keras.saving.load_model(log_dir / "checkpoints" / f"ckpt-{step:08d}.keras",
                                    compile=False)
    return [np.asarray(w) for w in model.weights]


def test_sigterm_saves_the_stop_step_and_the_resume_continues_the_stream(
        tmp_path, monkeypatch):
    whole = tmp_path / "whole"
    experiment.run(_config(whole))
    stopped = tmp_path / "stopped"
    with monkeypatch.context() as patch:
        patch.setattr(experiment, "ProximalL1", _SigtermAtStep)
        with pytest.raises(stop_signals.Interrupted, match="at step 30") as raised:
            experiment.run(_config(stopped))
    assert raised.value.signal_number == signal.SIGTERM
    steps = [s for s, _ in list_checkpoints(stopped / "checkpoints")]
    assert steps == [STEPS_PER_EPOCH, STOP_STEP]  # the epoch end and the stop step
    partial = json.loads((stopped / "results.json").read_text())
    assert partial["stopped_at_step"] == STOP_STEP and partial["train_seconds"] > 0

    resumed = experiment.run(_config(stopped))
    assert resumed["resumed_from"] == STOP_STEP and resumed["step"] == 2 * STEPS_PER_EPOCH
    assert "stopped_at_step" not in resumed
    # the checkpoints of the uninterrupted run's grid, and its final weights: the same
    # batches in the same order after the stop (stateless per-epoch permutations)
    steps = [s for s, _ in list_checkpoints(stopped / "checkpoints")]
    assert steps[-1] == 2 * STEPS_PER_EPOCH and STEPS_PER_EPOCH in steps
    last = 2 * STEPS_PER_EPOCH
    for a, b in zip(_weights(whole, last), _weights(stopped, last), strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_stream_from_step_s_is_the_whole_stream_after_s_batches():
    images = np.arange(10 * 2 * 2, dtype=np.uint8).reshape(10, 2, 2, 1)
    labels = np.arange(10)
    whole = experiment._pipeline(images, labels, 4, seed=3)  # 3 batches per epoch: 4, 4, 2
    whole = [y.numpy().tolist() for _, y in whole.take(9)]
    assert [len(batch) for batch in whole] == [4, 4, 2] * 3
    assert sorted(sum(whole[:3], [])) == list(range(10))  # each epoch a permutation
    assert whole[:3] != whole[3:6]  # a new order every epoch
    for start in (1, 3, 5):
        later = experiment._pipeline(images, labels, 4, seed=3, start_step=start)
        assert [y.numpy().tolist() for _, y in later.take(9 - start)] == whole[start:]

"""The NaN guard speaks before a measurement of NaN activations (issue 30, case 12)."""

import keras
import numpy as np
import pytest

from infodl.callbacks.interval_logger import NonFiniteMeasurementError
from infodl.callbacks.nan_guard import NaNGuard


def test_non_finite_weights_are_the_divergence_a_measurement_ran_into():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(np.ones((4, 2)), np.zeros(4), batch_size=2, verbose=0)  # 2 steps
    guard = NaNGuard()
    assert not guard.explains(model) and guard.diverged_at_step is None  # finite: re-raise
    kernel, bias = model.layers[0].get_weights()
    model.layers[0].set_weights([kernel * np.inf, bias])
    assert guard.explains(model)
    assert (guard.diverged_at_step, guard.diverged) == (2, "the weights")
    other = NaNGuard()  # finite weights whose activations overflowed (lr 1e4)
    model.layers[0].set_weights([kernel, bias])
    assert other.explains(model, NonFiniteMeasurementError("expected finite activations"))
    assert (other.diverged_at_step, other.diverged) == (2, "the activations")


@pytest.mark.slow  # a ResNet-20 in this process: about 30 s
def test_a_diverging_resnet_run_reports_the_divergence_not_the_block_ratio(tmp_path):
    from infodl.experiments.resnet.config import ResNetConfig
    from infodl.experiments.resnet.experiment import run
    from infodl.training.errors import TrainingDivergedError

    config = ResNetConfig(model="resnet20", dataset="synthetic", synthetic_sizes=(64, 32),
                          batch_size=8, train_steps=20, eval_every=10,
                          lr_values=(1e4, 1e4, 1e4), block_ratio_every=1, info_every=0,
                          classifier_stats_every=0, verbose=0, log_dir=str(tmp_path / "r"))
    with pytest.raises(TrainingDivergedError,
                       match=r"training stopped: the (activations|weights|loss) became "
                             r"NaN/inf at step \d+; last good checkpoint: "
                             r"(none|.*ckpt-\d+\.keras)$"):
        run(config)

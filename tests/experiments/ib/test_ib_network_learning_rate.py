"""--learning_rate of the IB experiments reaches the network's Adam optimizer (issue 20.3).

The CE baseline's sensitivity row (batch × lr at the same step budget) needs the network
learning rate of `--experiment=ib_layerwise --method=cross_entropy` and of
`--experiment=ib_end_to_end` as a flag; these tests read the learning rate of the
optimizer each path really builds (its public `learning_rate`).
"""

import pytest
from absl import flags

from infodl.experiments.cli import flags as experiment_flags
from infodl.experiments.ib import end_to_end as ib_end_to_end
from infodl.experiments.ib import layerwise as ib_layerwise
from infodl.experiments.ib.end_to_end_config import IBEndToEndConfig
from infodl.experiments.ib.layerwise_config import IBLayerwiseConfig
from infodl.experiments.registry import EXPERIMENTS
from infodl.training import ib_end_to_end_trainer, ib_layerwise_trainer
from infodl.training.ib_iteration import IBIterationLoop
from infodl.training.in_memory_epoch_trainer import InMemoryEpochTrainer

TINY = dict(dataset="digits", critic_steps=2, critic_hidden_units=(8,), batch_size=32,
            critic_pretrain_steps=4, critic_eval_every=2, critic_patience=1,
            info_examples=50, verbose=0)


class _Built(Exception):
    """Raised by a spy right after the optimizer is built: nothing is trained."""


def _config(argv):
    flag_values = flags.FlagValues()
    owners = experiment_flags.define_flags(EXPERIMENTS, flag_values)
    flag_values(["run.py", *argv])
    return experiment_flags.config_from_flags(EXPERIMENTS[flag_values.experiment], owners,
                                              flag_values)


@pytest.mark.parametrize("argv, expected", [
    (["--experiment=ib_layerwise", "--method=cross_entropy"], 1e-3),
    (["--experiment=ib_layerwise", "--method=cross_entropy", "--learning_rate=1e-4"], 1e-4),
    (["--experiment=ib_layerwise", "--learning_rate=0.02"], 0.02),
    (["--experiment=ib_end_to_end"], 1e-3),
    (["--experiment=ib_end_to_end", "--beta=0", "--gamma=0", "--learning_rate=1e-4"], 1e-4),
])
def test_the_flag_sets_the_config_with_default_1e_3(argv, expected):
    assert _config(argv).learning_rate == expected


@pytest.mark.parametrize("value", ["0", "-1e-3"])
def test_a_non_positive_learning_rate_is_one_error_line(value):
    with pytest.raises(ValueError, match=r"^Expected learning_rate > 0.*Received: "
                                         r"learning_rate=-?0"):
        _config(["--experiment=ib_end_to_end", f"--learning_rate={value}"])


def _spy_loop(monkeypatch, module, seen):
    class Spy(IBIterationLoop):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(self)
            raise _Built

    monkeypatch.setattr(module, "IBIterationLoop", Spy)


def test_cross_entropy_baseline_adam_uses_the_flag(monkeypatch, tmp_path):
    seen = []

    class Spy(InMemoryEpochTrainer):
        def __init__(self, model, optimizer, **kwargs):
            super().__init__(model, optimizer, **kwargs)
            seen.append(self)
            raise _Built

    monkeypatch.setattr(ib_layerwise, "InMemoryEpochTrainer", Spy)
    config = IBLayerwiseConfig(method="cross_entropy", train_steps=2, learning_rate=2.5e-4,
                               log_dir=str(tmp_path), **TINY).validate()
    with pytest.raises(_Built):
        ib_layerwise._train_cross_entropy(config, 0, str(tmp_path / "seed_0"))
    assert float(seen[0].optimizer.learning_rate) == pytest.approx(2.5e-4, rel=1e-6)


def test_layerwise_layer_step_adam_uses_the_flag(monkeypatch, tmp_path):
    seen = []
    _spy_loop(monkeypatch, ib_layerwise_trainer, seen)
    config = IBLayerwiseConfig(iterations_per_layer=2, learning_rate=3e-4,
                               log_dir=str(tmp_path), **TINY).validate()
    with pytest.raises(_Built):
        ib_layerwise._train_ib(config, 0, str(tmp_path / "seed_0"))
    assert float(seen[0].optimizer.learning_rate) == pytest.approx(3e-4, rel=1e-6)


@pytest.mark.parametrize("beta, gamma", [(0.0, 0.0), (1.0, 1e-3)])
def test_end_to_end_network_step_adam_uses_the_flag(monkeypatch, tmp_path, beta, gamma):
    seen = []
    _spy_loop(monkeypatch, ib_end_to_end_trainer, seen)
    config = IBEndToEndConfig(train_steps=2, beta=beta, gamma=gamma, learning_rate=4e-4,
                              log_dir=str(tmp_path), **TINY).validate()
    with pytest.raises(_Built):
        ib_end_to_end._train_seed(config, 0, str(tmp_path / "seed_0"))
    assert float(seen[0].optimizer.learning_rate) == pytest.approx(4e-4, rel=1e-6)

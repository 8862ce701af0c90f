"""User-facing ResNet and sweep settings reach the objects they configure (in-process,
no training): --recipe=zagoruyko's defaults, --nesterov, --eval_batch_size,
--block_ratio_source / --block_ratio_denominator and their tags, --sweep_workers > 1
running its runs side by side (issue 29.4)."""

import json
import math
import pathlib
import sys
import time

import numpy as np
import pytest

from infodl.callbacks.block_ratio import BlockRatioLogger
from infodl.callbacks.graceful_stop import GracefulStop
from infodl.callbacks.proximal_l1 import ProximalL1
from infodl.data import load_dataset
from infodl.experiments.registry import EXPERIMENTS
from infodl.experiments.resnet.callbacks import measurement_callbacks, run_callbacks
from infodl.experiments.resnet.config import ResNetConfig
from infodl.experiments.resnet.experiment import build_compiled_model, evaluation_sets
from infodl.experiments.sweeps import plan as sweep
from infodl.models.model_probe import residual_units


def test_zagoruyko_recipe_fills_the_wrn_papers_schedule():
    """200 epochs of 50 000 images, lr 0.1 x 0.2 at epochs 60/120/160, wd 5e-4,
    Nesterov, dropout 0.3 (Zagoruyko & Komodakis 2016); what the user sets stays."""
    config = ResNetConfig(model="wrn28_10", recipe="zagoruyko", batch_size=128).validate()
    epoch = math.ceil(50_000 / 128)  # 391 steps
    assert config.train_steps == 200 * epoch == 78_200
    assert config.lr_boundaries == (60 * epoch, 120 * epoch, 160 * epoch)
    assert config.lr_values == pytest.approx((0.1, 0.02, 0.004, 0.0008))
    assert (config.weight_decay, config.nesterov, config.dropout_rate) == (5e-4, True, 0.3)
    own = ResNetConfig(recipe="zagoruyko", batch_size=64, nesterov=False, dropout_rate=0.0)
    assert own.nesterov is False and own.dropout_rate == 0.0
    assert own.train_steps == 200 * math.ceil(50_000 / 64)
    original = ResNetConfig().validate()
    assert (original.train_steps, original.lr_boundaries, original.nesterov,
            original.weight_decay) == (80_000, (40_000, 60_000), False, 2e-4)


@pytest.mark.parametrize("nesterov", [True, False])
def test_recipe_settings_reach_the_optimizer_and_the_units(nesterov):
    config = ResNetConfig(model="resnet20", recipe="zagoruyko", batch_size=100,
                          nesterov=nesterov, dataset="synthetic").validate()
    model = build_compiled_model(config, 10, (8, 8, 3))
    assert model.optimizer.nesterov is nesterov and model.optimizer.momentum == 0.9
    epoch = 500  # 50 000 / 100
    rates = []
    for step in (0, 60 * epoch - 1, 60 * epoch + 1, 160 * epoch + 1):
        model.optimizer.iterations.assign(step)
        rates.append(float(model.optimizer.learning_rate))
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.02, 0.0008], rtol=1e-6)
    assert {unit.dropout_rate for unit in residual_units(model)} == {0.3}


def _batch_sizes(pipeline):
    return [int(images["image"].shape[0]) for images, _ in pipeline]


def test_eval_batch_size_sets_the_evaluation_batches():
    dataset = load_dataset("synthetic", synthetic_sizes=(16, 40), seed=0)
    config = ResNetConfig(model="resnet20", dataset="synthetic", batch_size=8,
                          eval_batch_size=16).validate()
    ((pipeline, count),) = evaluation_sets(config, dataset)
    assert count == 40 and _batch_sizes(pipeline) == [16, 16, 8]
    default = ResNetConfig(model="resnet20", batch_size=8).validate()
    assert default.eval_batch_size == 8  # the training batch, unless set
    assert ResNetConfig(model="resnet32_wenxinxu").validate().eval_batch_size == 250


@pytest.mark.parametrize("source, denominator, tag_root", [
    ("probe", "input", "block_ratio"),
    ("train_batch", "input", "block_ratio_train_batch"),
    ("probe", "shortcut", "block_ratio_vs_shortcut"),
    ("train_batch", "shortcut", "block_ratio_train_batch_vs_shortcut"),
])
def test_block_ratio_flags_reach_the_logger_and_the_units(tmp_path, source, denominator,
                                                          tag_root):
    dataset = load_dataset("synthetic", synthetic_sizes=(16, 16), seed=0)
    config = ResNetConfig(model="resnet20", dataset="synthetic", batch_size=8,
                          block_ratio_every=1, block_ratio_source=source,
                          block_ratio_denominator=denominator, info_every=0,
                          classifier_stats_every=0, probe_size=4,
                          log_dir=str(tmp_path)).validate()
    (logger,) = measurement_callbacks(config, dataset)
    assert isinstance(logger, BlockRatioLogger)
    assert (logger.source, logger.denominator, logger.tag_root) == (source, denominator,
                                                                    tag_root)
    assert logger.every_n_steps == 1 and logger.log_dir == str(tmp_path)
    assert logger.probe_size == (0 if source == "train_batch" else 4)
    model = build_compiled_model(config, 10, dataset.image_shape)
    tracking = {unit.track_block_ratio for unit in residual_units(model)}
    assert tracking == {source == "train_batch"}  # P1's measurement needs the units' norms


def test_sweep_workers_run_side_by_side(tmp_path, monkeypatch):
    """--sweep_workers=2 with four runs of a stand-in command (each holds 1.5 s): two run
    at any time, never more, and each run's flags reach its process."""
    stand_in = tmp_path / "stand_in.py"
    stand_in.write_text(
        "import json, os, sys, time\n"
        "flags = dict(a[2:].split('=', 1) for a in sys.argv[1:])\n"
        "os.makedirs(flags['log_dir'], exist_ok=True)\n"
        "start = time.time(); time.sleep(1.5)\n"
        "json.dump({'start': start, 'end': time.time(), 'alpha2': flags['alpha2']},\n"
        "          open(os.path.join(flags['log_dir'], 'times.json'), 'w'))\n"
        "json.dump({'complete': True}, open(os.path.join(flags['log_dir'], 'results.json'),"
        " 'w'))\n")
    monkeypatch.setattr(sweep, "run_command", lambda: [sys.executable, str(stand_in)])
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text("experiment: resnet\nflags: {dataset: synthetic}\n"
                          "grid:\n  alpha2: [0, 0.05]\nseeds: [0, 1]\n")
    started = time.time()
    results = sweep.run_sweep(str(sweep_file), str(tmp_path / "grid"), 2, EXPERIMENTS,
                              verbose=0)
    assert len(results["trained"]) == 4 and not results["failed"]
    times = [json.loads((pathlib.Path(run["folder"]) / "times.json").read_text())
             for run in results["trained"]]
    assert sorted(float(t["alpha2"]) for t in times) == [0.0, 0.0, 0.05, 0.05]
    events = sorted([(t["start"], 1) for t in times] + [(t["end"], -1) for t in times])
    running = np.cumsum([change for _, change in events])
    assert running.max() == 2  # side by side, --sweep_workers at a time
    assert time.time() - started < 4 * 1.5  # not one after another



def test_a_stop_request_saves_after_the_proximal_step_of_its_step(tmp_path):
    """The stop's checkpoint is written after every callback that changes the weights at
    the end of a step: saved before the proximal l1 step of the stop step, a resumed run
    started from weights the uninterrupted run never had (119 of 159 arrays differed)."""
    config = ResNetConfig(model="resnet20", dataset="synthetic", synthetic_sizes=(16, 8),
                          batch_size=8, train_steps=3, measurements=False,
                          log_dir=str(tmp_path), verbose=0)
    dataset = load_dataset("synthetic", synthetic_sizes=(16, 8), seed=0)
    model = build_compiled_model(config, dataset.num_classes, dataset.image_shape)
    callbacks = run_callbacks(config, model, dataset, evaluation_sets(config, dataset), [],
                              tmp_path, write_files=False).callbacks
    kinds = [type(callback) for callback in callbacks]
    assert kinds.index(ProximalL1) < kinds.index(GracefulStop)

"""Tests of the ib_layerwise / ib_end_to_end experiments on the 8x8 digits (tiny settings)."""

import json
import subprocess
import sys

import keras
import pytest

from infodl.experiments.ib.end_to_end_config import IBEndToEndConfig
from infodl.experiments.ib.layerwise_config import IBLayerwiseConfig
from infodl.experiments.ib.layerwise_table import table

TINY_CRITICS = dict(critic_steps=2, critic_hidden_units=(8,), batch_size=32,
                    critic_pretrain_steps=4, critic_eval_every=2, critic_patience=1,
                    info_examples=50, verbose=0)


def test_cross_entropy_baseline_results_model_and_reuse(tmp_path):
    from infodl.experiments.ib import layerwise as ib_layerwise

    config = IBLayerwiseConfig(method="cross_entropy", dataset="digits", train_steps=60,
                               weight_decay=1e-4, num_seeds=2, batch_size=64,
                               log_dir=str(tmp_path / "ce"), verbose=0)
    results = ib_layerwise.run(config)
    assert results["trained_seeds"] == [0, 1] and len(results["runs"]) == 2
    run = results["runs"][0]
    assert run["steps"] == 60 and run["num_test"] == 359 and 0.5 < run["test_accuracy"] <= 1
    model = keras.saving.load_model(run["model_path"])
    assert [layer.name for layer in model.layers][-3:] == ["hidden_1", "hidden_2", "logits"]
    saved = json.loads((tmp_path / "ce" / "results.json").read_text())
    assert saved["test_accuracy_mean"] == pytest.approx(results["test_accuracy_mean"])
    again = ib_layerwise.run(config)
    assert again["reused_seeds"] == [0, 1] and again["trained_seeds"] == []
    assert "cross-entropy: test accuracy" in ib_layerwise.summary(again)[0]
    # the doc table reads the folder
    lines = table(str(tmp_path), (("CE", ("ce",), 86.48, 97.73), ("IB", ("x",), 1.0, 2.0)),
                  share=1)
    assert lines[2].startswith("| CE | **") and "86.48" in lines[2]
    assert "not run" in lines[3]


def test_end_to_end_ib_run_writes_information_and_model(tmp_path):
    from infodl.experiments.ib import end_to_end as ib_end_to_end

    config = IBEndToEndConfig(dataset="digits", train_steps=4, log_every=2,
                              checkpoint_every=2, log_dir=str(tmp_path / "e2e"),
                              **TINY_CRITICS)
    results = ib_end_to_end.run(config)
    run = results["runs"][0]
    assert set(run["final_information_bits"]) == {"I_X_Yhat_noise", "I_Y_Yhat"}
    history = json.loads(open(run["history_path"]).read())
    assert [p[0] for p in history["layers"]["logits"]["trajectory"]] == [0, 2, 4]
    assert keras.saving.load_model(run["model_path"]).layers[-1].name == "logits"
    assert "CE − 1·I(Y;Ŷ) + 0.001·I(X;Ŷ+ε)" in ib_end_to_end.summary(results)[0]


def test_small_layerwise_ib_run_scores_its_saved_model(tmp_path):
    """The default suite's layer-wise IB run (the slow test below adds error bars): 3
    IB iterations per layer with tiny critics (not pretrained) on the 8x8 digits, then
    10 epochs of the post-trained linear layer on the 10 frozen features. Its
    results.json is the saved model's accuracy on the 359 test digits, above chance
    (seed 0 gave 0.67)."""
    import numpy as np

    from infodl.data import load_dataset
    from infodl.experiments.ib import layerwise as ib_layerwise

    config = IBLayerwiseConfig(dataset="digits", iterations_per_layer=3, log_every=3,
                               checkpoint_every=3, posttrain_steps=450,
                               log_dir=str(tmp_path / "ib"),
                               **dict(TINY_CRITICS, critic_pretrain_steps=0))
    results = ib_layerwise.run(config)
    (run,) = results["runs"]
    assert run["layers"] == ["hidden_1", "hidden_2", "features"] and run["num_test"] == 359
    digits = load_dataset("digits", seed=config.seed)
    model = keras.saving.load_model(run["model_path"])
    predicted = np.argmax(model.predict(digits.x_test, verbose=0), axis=-1)
    accuracy = float(np.mean(predicted == digits.y_test))
    saved = json.loads((tmp_path / "ib" / "results.json").read_text())
    assert saved["test_accuracy_mean"] == run["test_accuracy"] == pytest.approx(accuracy)
    assert accuracy > 0.4  # chance: 0.1
    # one information-plane point per layer at iterations 0 and 3, finite, and the
    # held-out lower bound on I(Y; L) below H(Y) of the test labels
    counts = np.bincount(digits.y_test) / len(digits.y_test)
    label_entropy_bits = float(-np.sum(counts * np.log2(counts)))
    history = json.loads(open(run["history_path"]).read())
    for layer in run["layers"]:
        points = np.array(history["layers"][layer]["trajectory"], dtype=float)
        assert points[:, 0].tolist() == [0, 3], layer
        assert np.all(np.isfinite(points)) and np.all(points[:, 2] < label_entropy_bits), layer


@pytest.mark.slow
def test_layerwise_ib_run_with_error_bars(tmp_path):
    from infodl.experiments.ib import layerwise as ib_layerwise

    config = IBLayerwiseConfig(dataset="digits", iterations_per_layer=4, log_every=2,
                               checkpoint_every=2, posttrain_steps=20, estimate_restarts=2,
                               estimate_steps=20, log_dir=str(tmp_path / "ib"), **TINY_CRITICS)
    results = ib_layerwise.run(config)
    run = results["runs"][0]
    assert run["layers"] == ["hidden_1", "hidden_2", "features"]
    model = keras.saving.load_model(run["model_path"])
    assert [layer.name for layer in model.layers][-4:] == ["hidden_1", "hidden_2", "features",
                                                            "logits"]
    history = json.loads(open(run["history_path"]).read())
    bars = history["layers"]["hidden_2"]["error_bars"]
    assert [bar["iteration"] for bar in bars] == [0, 4]
    assert all(bar["I_Y_std_bits"] is not None for bar in bars)
    assert (tmp_path / "ib" / "seed_0" / "info_plane.png").stat().st_size > 10_000


@pytest.mark.parametrize("argv, message", [
    (["--experiment=ib_layerwise", "--beta=-1"], "Expected beta >= 0"),
    (["--experiment=ib_layerwise", "--train_steps=5"], "Expected train_steps=None with"),
    (["--experiment=ib_end_to_end", "--alpha=0", "--beta=0", "--gamma=0"],
     "Expected alpha, beta or gamma > 0"),
    (["--experiment=ib_end_to_end", "--iterations_per_layer=3"], "does not apply to"),
    (["--experiment=ib_layerwise", "--critic_hidden_units=10,x"], "Expected integers"),
    (["--experiment=ib_layerwise", "--noise_variance=0"], "noise_variance > 0"),
    (["--experiment=ib_end_to_end", "--estimate_standardize=rank"],
     "Expected estimate_standardize in ('auto', 'whiten', 'scale', 'global', 'gaussianize', "
     "'none')"),
])
def test_bad_flags_end_in_one_error_line(argv, message):
    result = subprocess.run([sys.executable, "run.py", *argv], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and message in lines[0]


def test_config_defaults_follow_the_paper():
    layerwise = IBLayerwiseConfig().validate()
    assert (layerwise.network, layerwise.beta, layerwise.noise_variance,
            layerwise.critic_steps, layerwise.iterations_per_layer,
            layerwise.critic_hidden_units, layerwise.learning_rate,
            layerwise.critic_learning_rate) == ("mlp_512_512", 1e-3, 2.0, 10, 5000,
                                                (1500, 1500), 1e-3, 1e-4)
    assert IBLayerwiseConfig(dataset="cifar10").network == "convnet_16"
    cifar = IBEndToEndConfig(dataset="cifar10")
    assert (cifar.network, cifar.train_steps) == ("convnet_48_96_192", 20000)
    assert IBEndToEndConfig().train_steps == 5000 and IBEndToEndConfig().gamma == 1e-3

"""Critic pretraining converges (issue 20.2): on a Gaussian layer with a closed-form
I(X; L + eps), the trainers' `CriticPretraining` (Adam lr 1e-3, tolerance 0.02 nats;
with an offset in L, the input map `critic_standardize="global"`) reaches the closed form
and stops by its rule; the old pretraining (P3's lr 1e-4, tolerance 1e-3) does neither
within the same step budget."""

import keras
import numpy as np
import pytest

from infodl.training.ib_critic_pretraining import CriticPretraining
from infodl.training.ib_critics import IBCritics
from infodl.training.ib_heldout import HeldOutEstimate, pretrain_until_converged
from infodl.training.ib_iteration import IBIterationLoop
from infodl.training.ib_settings import IBLossWeights, IBTrainerSettings
from tests.training.ib_problems import make_critics

SCALE, OFFSET, DIM, NOISE_VARIANCE = 2.0, 5.0, 2, 2.0
# L = SCALE * x + OFFSET with x ~ N(0, I): L + eps ~ N, I(X; L + eps) = d/2 log(1 + c^2/s^2)
CLOSED_FORM_NATS = DIM / 2 * np.log(1.0 + SCALE ** 2 / NOISE_VARIANCE)  # log 3 = 1.0986
BUDGET = 1000


def gaussian_problem(offset, seed=0):
    """Training and measuring samples of x and y = [x_0 > 0]; the linear layer L."""
    rng = np.random.default_rng(seed)
    x_train, x_measure = (rng.normal(size=(n, DIM)).astype("float32") for n in (2000, 1000))
    layer = keras.layers.Dense(
        DIM, kernel_initializer=keras.initializers.Constant(SCALE * np.eye(DIM)),
        bias_initializer=keras.initializers.Constant(offset))
    layer.build((None, DIM))
    return layer, x_train, (x_train[:, 0] > 0).astype("int64"), x_measure, \
        (x_measure[:, 0] > 0).astype("int64")


def pretrain(offset=0.0, critic_pretrain_average=0.0, return_parts=False, **settings):
    """(pretraining record, I(Y; L) and I(X; L + eps) nats on the measuring samples)."""
    layer, x_train, y_train, x_measure, y_measure = gaussian_problem(offset)
    trainer_settings = IBTrainerSettings(
        critic_hidden_units=(32, 32), batch_size=128, critic_pretrain_steps=BUDGET,
        critic_eval_every=50, noise_variance=NOISE_VARIANCE, verbose=0, critic_steps=10,
        critic_pretrain_average=critic_pretrain_average, **settings)
    critics = IBCritics(DIM, 2, trainer_settings, seed=0)
    loop = IBIterationLoop(layer, layer.trainable_variables, critics, x_train, y_train, 2,
                           trainer_settings, IBLossWeights(), seed=0)
    record = CriticPretraining(trainer_settings).pretrain_critics(
        "gaussian", layer, loop, critics, x_train, y_train, 0)
    assert float(critics.optimizer.learning_rate) == pytest.approx(1e-4)  # P3's, for IB
    measured = HeldOutEstimate(critics, layer, x_measure, y_measure, seed=1)()
    if return_parts:
        return record, measured, (layer, critics, x_train, y_train)
    return record, measured


OLD = dict(critic_pretrain_learning_rate=1e-4, critic_pretrain_tolerance=1e-3)


@pytest.mark.parametrize("offset, settings", [(0.0, {}),
                                              (OFFSET, {"critic_standardize": "global"})])
def test_pretraining_reaches_the_closed_form_and_stops_by_its_rule(offset, settings):
    record, (label_nats, input_nats) = pretrain(offset, **settings)
    assert record["stopped_by"] == "rule" and record["steps"] < BUDGET, record["curve"]
    assert record["learning_rate"] == 1e-3
    assert input_nats == pytest.approx(CLOSED_FORM_NATS, abs=0.1)
    assert label_nats == pytest.approx(np.log(2.0), abs=0.1)  # y is a function of L
    if settings:
        np.testing.assert_allclose(record["input_map"]["shift"], OFFSET, atol=0.2)
        np.testing.assert_allclose(record["input_map"]["scale"], SCALE, rtol=0.1)


def test_averaged_pretraining_reaches_the_closed_form_and_hands_over_the_average():
    """With the default averaging of the critics' weights, pretraining still reaches the
    closed form by its rule; the rule read the averaged critics (the last curve point
    is the held-out estimate of the critics it hands to the IB iterations), and those
    critics are the average."""
    from infodl.training.ib_settings import IB_DEFAULTS

    CRITIC_PRETRAIN_AVERAGE_DECAY = IB_DEFAULTS.critic_pretrain_average

    record, (label_nats, input_nats), (layer, critics, x_train, y_train) = pretrain(
        critic_pretrain_average=CRITIC_PRETRAIN_AVERAGE_DECAY, return_parts=True)
    assert record["stopped_by"] == "rule" and record["steps"] < BUDGET, record["curve"]
    assert record["average_decay"] == CRITIC_PRETRAIN_AVERAGE_DECAY
    assert input_nats == pytest.approx(CLOSED_FORM_NATS, abs=0.1)
    assert label_nats == pytest.approx(np.log(2.0), abs=0.1)
    holdout = record["holdout"]
    handed_over = HeldOutEstimate(critics, layer, x_train[-holdout:], y_train[-holdout:],
                                  seed=0)()  # the pretraining's held-out rows and seed
    np.testing.assert_allclose(record["curve"][-1][1:], handed_over, rtol=1e-5, atol=1e-6)
    for weights, average in zip(critics.trainable_variables, critics.averaged_variables,
                                strict=True):
        np.testing.assert_array_equal(weights.numpy(), average.numpy())


@pytest.mark.slow  # a secondary check; kept out of the README's 15-minute suite
@pytest.mark.parametrize("offset, settings", [(0.0, OLD), (OFFSET, OLD)])
def test_the_old_pretraining_neither_reaches_it_nor_stops_in_the_same_budget(offset, settings):
    record, (_, input_nats) = pretrain(offset, **settings)
    assert record["stopped_by"] == "cap" and record["steps"] == BUDGET
    assert input_nats < CLOSED_FORM_NATS - 0.1  # outside the tolerance the new one meets
    assert record["input_map"]["scale"] == [1.0] * DIM  # the identity map


def test_input_map_is_affine_and_keeps_the_bounds_of_a_remapped_critic():
    """D on mapped inputs equals a critic with that map folded into its first layer: the
    values of `bounds` are those of the identity map evaluated on mapped features."""
    rng = np.random.default_rng(0)
    features = rng.normal(3.0, 0.5, (64, 4)).astype("float32")
    noise, marginal_noise = rng.normal(size=(2, 64, 4)).astype("float32")
    labels = np.eye(3, dtype="float32")[np.arange(64) % 3]
    mapped = make_critics(4, 3, hidden_units=(8,), seed=0, standardize="unit")
    mapped.adapt(features)
    plain = make_critics(4, 3, hidden_units=(8,), seed=0)
    m, s = features.mean(0), features.std(0)
    t = np.sqrt(features.var(0) + 2.0)
    joint_y, _, joint_x, marginal_x = (np.asarray(v) for v in mapped.scores(
        labels, features, features[::-1], noise, marginal_noise))
    np.testing.assert_allclose(joint_y, np.asarray(plain.label_critic(
        [labels, (features - m) / s])), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(joint_x, np.asarray(plain.input_critic(
        [(features - m) / s, (features + noise - m) / t])), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(marginal_x, np.asarray(plain.input_critic(
        [(features - m) / s, (features[::-1] + marginal_noise - m) / t])), rtol=1e-4,
        atol=1e-5)


def test_set_input_map_restores_it_and_refuses_another_width():
    critics = make_critics(3, 2, hidden_units=(4,), seed=0, standardize="unit")
    critics.adapt(np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 6.0]]))
    other = make_critics(3, 2, hidden_units=(4,), seed=0, standardize="unit")
    other.set_input_map(critics.input_map())
    assert other.input_map() == critics.input_map()
    assert critics.input_map()["scale"] == [1.0, 1.0, 2.0]  # the constant unit: 1
    with pytest.raises(ValueError, match="Expected an input map of 2 units"):
        make_critics(2, 2, hidden_units=(4,), seed=0, standardize="unit").set_input_map(
            critics.input_map())


def test_tolerance_decides_when_a_creeping_estimate_stops():
    """A value rising by 0.003 nats per evaluation: the rule stops it at tolerance 0.02
    (0.003 < 0.02 / 5) but not at 1e-3 (the old default)."""

    class Creeping:
        def __init__(self):
            self.calls = 0

        def pretrain(self, steps):
            self.calls += 1

    loop = Creeping()

    def estimate():
        return 1.0 + 0.003 * loop.calls, 0.5

    assert pretrain_until_converged(loop, estimate, 3000, 100, 5)["stopped_by"] == "rule"
    loop.calls = 0
    result = pretrain_until_converged(loop, estimate, 3000, 100, 5, tolerance=1e-3)
    assert result["stopped_by"] == "cap" and result["steps"] == 3000


@pytest.mark.slow
def test_resume_mid_layer_restores_the_input_map(tmp_path):
    """With `critic_standardize="global"` a run cut mid-layer resumes to the weights and
    history of an uninterrupted one (the map comes back from the history, not refitted)."""
    from infodl.run_folder.summary_writer import SummaryWriter
    from infodl.training.ib_layerwise_trainer import LayerwiseIBTrainer
    from tests.training.ib_problems import (
        blobs,
        make_ib_trainer,
        tiny_model,
    )
    from tests.training.resume_checks import assert_same_history, assert_same_weights

    def fit(log_dir, stop_at=None):
        model = tiny_model(seed=0)
        trainer = make_ib_trainer(
            LayerwiseIBTrainer, model, 3, beta=0.1, iterations_per_layer=6, critic_steps=2,
            critic_hidden_units=(8,), batch_size=16, critic_pretrain_steps=4,
            critic_eval_every=2, critic_patience=1, log_every=2, checkpoint_every=2,
            posttrain_steps=20, verbose=0, critic_standardize="global", log_dir=log_dir)
        x, y = blobs(60)
        history = trainer.fit(x, y, x[:20], y[:20], stop_at=stop_at)
        SummaryWriter.close_log_dir(log_dir)
        return model, history

    reference, full = fit(str(tmp_path / "full"))
    _, partial = fit(str(tmp_path / "cut"), stop_at=(1, 3))
    assert partial["stopped"]
    resumed, history = fit(str(tmp_path / "cut"))
    assert_same_weights(reference, resumed)
    for name, record in full["layers"].items():
        assert record["pretraining"]["input_map"]["scale"][0] != 1.0  # a map was fitted
        for key in ("trajectory", "pretraining"):
            assert_same_history(record[key], history["layers"][name][key], f"{name}/{key}")


def test_the_pretraining_check_says_whether_each_critic_is_within_one_fit_std():
    """`check_pretraining` keeps the fits' mean and std of iteration 0 and flags each
    training critic within one std of that mean (issue 20.2's reading of "within the
    spread"); the log line shows both."""
    from infodl.training.ib_critic_pretraining import CriticPretraining, pretraining_line

    bars = {"iteration": 0, "I_X_bits": 2.0, "I_X_std_bits": 0.17, "I_Y_bits": 2.1,
            "I_Y_std_bits": 0.08}
    record = {"pretraining": {"steps": 1200, "stopped_by": "rule"},
              "trajectory": [[0, 1.85, 2.19]], "error_bars": [bars]}
    from infodl.training.ib_settings import IBTrainerSettings

    checker = CriticPretraining(IBTrainerSettings(verbose=0))
    checker.check_pretraining("hidden_1", record)
    check = record["pretraining"]["check"]
    assert (check["fit_I_X_L_noise_std_bits"], check["fit_I_Y_L_std_bits"]) == (0.17, 0.08)
    # |1.85 - 2.0| = 0.15 <= 0.17; |2.19 - 2.1| = 0.09 > 0.08
    assert check["within_fit_std"] == {"I_X": True, "I_Y": False}
    line = pretraining_line("hidden_1", check)
    assert "I(X; L+eps) 2.000 +- 0.170" in line
    assert "within one std: I_X yes, I_Y no (above)" in line  # 2.19 > 2.1 + 0.08
    low = dict(check, critic_I_X_L_noise_bits=1.5, within_fit_std={"I_X": False, "I_Y": True})
    assert "within one std: I_X no (below), I_Y yes" in pretraining_line("hidden_1", low)
    # one fit: no spread, no verdict
    one = dict(bars, I_X_std_bits=None, I_Y_std_bits=None)
    record = {"pretraining": {"steps": 2, "stopped_by": "cap"},
              "trajectory": [[0, 1.85, 2.19]], "error_bars": [one]}
    checker.check_pretraining("hidden_1", record)
    assert record["pretraining"]["check"]["within_fit_std"] is None
    assert "within one std" not in pretraining_line("hidden_1", record["pretraining"]["check"])

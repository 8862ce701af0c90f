"""What `fit_estimate` does with its inputs and seeds, and when it says not to trust a
number: 1-D arrays, integer labels, repeatable fits, a fitted MINE on other widths,
and the `FitResult` trust flag with its one warning."""

import json
import pickle
import warnings

import keras
import numpy as np
import pytest

from infodl.estimators.fit_result import FitResult, copula_value, radius_bound
from infodl.estimators.mine import MINE
from infodl.estimators.pair_sampler import MAX_LABEL_CLASSES

SMALL = dict(steps=40, batch_size=64, eval_every=20, verbose=0)


def labelled_pairs(num=400, classes=3, seed=0):
    """s = class centre + noise, the labels y and their one-hot rows."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, num)
    s = (labels[:, None] + 0.5 * rng.standard_normal((num, 2))).astype("float32")
    return s, labels, np.eye(classes, dtype="float32")[labels]


def assert_same(first, second):
    """The same bits under JAX; under TensorFlow up to float32 rounding of its CPU
    kernels, which depends on the memory alignment of their buffers and accumulates over
    the fit's compiled calls (seen: 2.7e-6 nats apart on an estimate of 0.03)."""
    if keras.backend.backend() == "jax":
        assert first == second
    else:
        assert first == pytest.approx(second, rel=1e-4, abs=1e-5)


def quiet_estimate(mine, s, t, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return mine.fit_estimate(s, t, **{**SMALL, **kwargs})


def test_a_1d_array_is_one_feature():
    """(n,) is read as (n, 1) by the pair check `fit_estimate` and `estimate` share: a
    fit on the 1-D array scores the column the same, bit for bit."""
    s, _, _ = labelled_pairs()
    t = (s[:, 0] + np.random.default_rng(1).standard_normal(len(s))).astype("float32")
    mine = MINE(hidden_units=(8,), seed=0)
    quiet_estimate(mine, s, t)
    assert mine.estimate(s, t, seed=0) == mine.estimate(s, t[:, None], seed=0)


def test_integer_labels_give_the_estimate_of_their_one_hot_rows():
    """Labels 0..C-1 are one-hot encoded for the user (an invertible map) by the pair
    check `fit_estimate` and `estimate` share: a fit on the labels scores their one-hot
    rows and shifted ids the same, bit for bit; a float array stays one numeric feature
    (so the fitted MINE, three wide, refuses it)."""
    s, labels, one_hot = labelled_pairs()
    mine = MINE(hidden_units=(8,), seed=0)
    quiet_estimate(mine, s, labels)
    from_labels = mine.estimate(s, labels, seed=0)
    assert from_labels == mine.estimate(s, one_hot, seed=0)
    assert from_labels == mine.estimate(s, labels + 10, seed=0)  # ids 10..12
    with pytest.raises(ValueError, match=r"widths \(2, 3\).*Received: widths \(2, 1\)"):
        mine.estimate(s, labels.astype("float32"), seed=0)


def test_too_many_integer_labels_are_refused_in_one_line():
    s = np.random.default_rng(0).standard_normal((MAX_LABEL_CLASSES + 1, 1))
    counts = np.arange(MAX_LABEL_CLASSES + 1)
    with pytest.raises(ValueError, match="cast t to float") as error:
        MINE(hidden_units=(4,), seed=0).fit_estimate(s, counts, **SMALL)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("seeded", [True, False])
def test_the_same_call_gives_the_same_estimate(seeded):
    """With seed= (whatever the global state) or keras.utils.set_random_seed (seed=None:
    the run seed is drawn from NumPy's global generator): every split, shuffle, batch
    and initial weight is the same (TensorFlow: seen 1e-8 to 1e-7 nats apart within
    one process, with op determinism on or off)."""
    s, _, one_hot = labelled_pairs(seed=2)
    values = []
    for global_seed in (3, 4) if seeded else (3, 3):
        keras.utils.set_random_seed(global_seed)
        mine = MINE(hidden_units=(8,), seed=5 if seeded else None)
        values.append(quiet_estimate(mine, s, one_hot, restarts=2))
    assert_same(values[0], values[1])


def test_a_fitted_mine_refuses_other_widths_in_one_line():
    s, _, one_hot = labelled_pairs()
    mine = MINE(hidden_units=(8,), seed=0)
    quiet_estimate(mine, s, one_hot)
    for call in (lambda: mine.fit_estimate(s[:, :1], one_hot, **SMALL),
                 lambda: mine.estimate(s, one_hot[:, :2])):
        with pytest.raises(ValueError, match=r"widths \(2, 3\).*Received: widths") as error:
            call()
        assert "\n" not in str(error.value) and "new MINE" in str(error.value)
    assert np.isfinite(mine.estimate(s, one_hot))  # still usable on its own widths


def test_independent_pairs_give_an_untrusted_number_and_one_warning():
    rng = np.random.default_rng(0)
    s, t = rng.standard_normal((300, 2)), rng.standard_normal((300, 1))
    mine = MINE(hidden_units=(8,), seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = mine.fit_estimate(s, t, steps=40, batch_size=64, eval_every=20,
                                  patience=100, verbose=0)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(messages) == 1 and "may not be trusted" in messages[0]
    fit = mine.last_fit
    assert not fit.trusted and "stopping rule never fired" in fit.reason
    assert fit.stopped_early == (False,)
    assert ("negative" in fit.reason) == (value < 0)
    assert fit.value == pytest.approx(np.mean(fit.half_values[0]))
    assert not value.trusted and value.reason == fit.reason
    # the inputs of the radius and many-features rules, from these pairs
    assert fit.input_features == 3 and fit.companion
    assert fit.radius_bound == radius_bound(s, t)
    # independent pairs: the copula value near 0, NaN where it came out negative
    expected = copula_value(s, t)
    assert (np.isnan(fit.copula_value) and np.isnan(expected)) or (
        fit.copula_value == expected and abs(expected) < 0.05)


def test_the_estimate_carries_its_spread_when_restarts_were_asked_for():
    s, _, one_hot = labelled_pairs(seed=3)
    mine = MINE(hidden_units=(8,), seed=0)
    value = quiet_estimate(mine, s, one_hot, restarts=3)
    assert isinstance(value, float) and value == mine.last_fit.value
    assert value.std == pytest.approx(np.std(mine.last_fit.values, ddof=1)) and value.std > 0
    assert value.reason == mine.last_fit.reason
    single = quiet_estimate(MINE(hidden_units=(8,), seed=0), s, one_hot)
    assert np.isnan(single.std)
    again = pickle.loads(pickle.dumps(value))
    assert again == value and again.std == value.std
    assert json.loads(json.dumps({"mi": value}))["mi"] == float(value)


def test_trust_flag_reasons():
    """Negative value; restarts whose spread exceeds twice the RMS half-difference
    of their two held-out halves; a restart that ran all its steps."""
    def record(values, halves, stopped):
        return FitResult.from_restarts(values, [()] * len(values), [10] * len(values),
                                       [10] * len(values), 1.0, half_values=halves,
                                       stopped_early=stopped)
    good = record([0.50, 0.52], [(0.45, 0.55), (0.47, 0.57)], [True, True])
    assert good.trusted and good.reason == ""
    # std = 0.0141 <= 2 * 0.05: the restarts agree within the held-out noise
    negative = record([-0.1], [(-0.1, -0.1)], [True])
    assert not negative.trusted and negative.reason.startswith("the held-out estimate is")
    spread = record([0.2, 0.8], [(0.19, 0.21), (0.79, 0.81)], [True, True])
    assert "restarts disagree (std 0.424 nats)" in spread.reason  # noise 0.01 nats
    assert "negative" not in spread.reason
    unsettled = record([0.5], [(0.5, 0.5)], [False])
    assert unsettled.reason.startswith("the stopping rule never fired")
    with pytest.warns(UserWarning, match="may not be trusted: the stopping rule"):
        unsettled.warn_if_untrusted()


def test_a_fit_stopped_by_its_step_limit_on_a_flat_curve_is_not_flagged():
    """The stopping rule counts evaluations since the curve last beat its *counted* best
    by more than min_delta; a curve creeping up by just over min_delta every few
    evaluations resets that count, and the fit can reach its step limit although its
    last `patience` evaluations gained less than min_delta (the rule's own "flat"). Only
    a curve that gained more than that over its last `patience` evaluations is "still
    rising". The curve below is the first 40-task MINE-DV fit of additive noise
    eps = 0.1 (seed 0) from step 1800, rounded: +0.002 over its last five evaluations."""
    flat = [(1800, 1.537), (2000, 1.506), (2200, 1.544), (2400, 1.545), (2600, 1.554),
            (2800, 1.553), (3000, 1.558), (3200, 1.546), (3400, 1.558), (3600, 1.559),
            (3800, 1.560), (4000, 1.560)]
    rising = flat[:-1] + [(4000, 1.565)]  # +0.007 > min_delta over the last five

    def record(curve, patience=5, min_delta=0.005):
        return FitResult.from_restarts([1.585], [curve], [4000], [3900], 1.0,
                                       half_values=[(1.55, 1.62)], stopped_early=[False],
                                       patience=patience, min_delta=min_delta)
    assert record(flat).trusted and record(flat).patience == 5
    assert record(rising).reason.startswith("the stopping rule never fired")
    assert not record(flat, min_delta=0.001).trusted  # 0.0018 > 0.001
    assert not record(flat, patience=7).trusted  # +0.006 over the last seven
    assert not record(flat[-5:]).trusted  # no evaluation before the window: unknown
    assert not record(flat, patience=0).trusted  # settings unknown: as before


def _fit(value, picked=(("critic", "critic"),), features=10, companion=True,
         radius=float("nan"), copula=float("nan")):
    return FitResult.from_restarts([value], [()], [10], [10], 1.0, chosen_critics=picked,
                                   half_values=[(value, value)], stopped_early=[True],
                                   input_features=features, companion=companion,
                                   radius_bound=radius, copula_value=copula)


def test_trust_flag_gaussian_copula_value_above_by_more_than_the_band():
    """Flagged when the value is below the copula value by more than max(0.1 nats, 10 %)
    of it: the band's margin, absolute below 1 nat, relative above."""
    quad = (("quadratic_companion", "quadratic_companion"),)
    low = _fit(1.30, quad, copula=1.62)  # the dense 50 x 50 Gaussian: 0.32 below
    assert low.reason.startswith("the Gaussian-copula estimate 1.62 nats")
    assert _fit(1.47, quad, copula=1.62).trusted  # 0.15 below 1.62: within 10 %
    assert not _fit(1.45, quad, copula=1.62).trusted  # 0.17 below: beyond 10 %
    assert _fit(0.31, quad, copula=0.40).trusted  # 0.09 below: within 0.1 nats
    assert not _fit(0.29, quad, copula=0.40).trusted
    assert _fit(0.30, quad).trusted  # not computed (NaN)
    assert _fit(2.0, quad, copula=0.5).trusted  # above the copula value: fine


def test_copula_value_of_the_pairs_or_nan_where_it_is_not_trusted():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3000, 4))
    y = 0.8 * x + 0.6 * rng.standard_normal((3000, 4))  # I = -2 log 0.36 = 2.04 nats
    assert abs(copula_value(x, np.exp(y)) + 2.0 * np.log(0.36)) < 0.08
    assert np.isnan(copula_value(x, np.maximum(y, 0.0)))  # rectified: mostly tied
    assert np.isnan(copula_value(x[:8], y[:8]))  # 8 pairs, 8 features: undefined
    assert copula_value(x, y, max_pairs=1000) != copula_value(x, y)  # a subset


def test_trust_flag_radius_bound_below_and_mlp_alone_in_many_features():
    """The value more than 0.1 nats below the radius bound; the MLP critic picked on
    every held-out half with >= 7 input features in all and a companion trained, on a
    value more than 0.1 nats above the radius bound (or none)."""
    quad = (("quadratic_companion", "quadratic_companion"),)
    assert _fit(0.05, quad, radius=0.30).reason.startswith("the radius bound 0.3 nats")
    assert _fit(0.21, quad, radius=0.30).trusted  # 0.09 below: within the margin
    assert _fit(0.50, quad).trusted  # no radius bound computed (NaN)
    assert "MLP critic carries it alone in 10 input features" in _fit(0.5).reason
    assert "MLP critic carries it alone in 7 input" in _fit(0.5, features=7).reason
    assert _fit(0.5, features=6).trusted  # the 3 x 3 tasks: fits straddle the band
    assert _fit(0.5, features=0).trusted  # unknown (AA-MINE)
    assert _fit(0.5, companion=False).trusted  # no companion that could have won
    assert _fit(0.5, (("critic", "quadratic_companion"),)).trusted
    # A value the radius bound accounts for (at most 0.1 nats above it): the t's
    # dependence, which the log radius hands the MLP; beyond it, flagged.
    assert _fit(0.30, radius=0.30).trusted and _fit(0.39, radius=0.30).trusted
    assert "MLP critic carries it alone" in _fit(0.41, radius=0.30).reason
    two = FitResult.from_restarts([0.5, 0.5], [(), ()], [10, 10], [10, 10], 1.0,
                                  chosen_critics=[("critic",) * 2, ("critic", "quadratic_"
                                                                    "companion")],
                                  half_values=[(0.5, 0.5)] * 2, stopped_early=[True] * 2,
                                  input_features=10, companion=True)
    assert two.trusted  # the companion won one half of one restart
    below = _fit(0.05, radius=0.3)  # below the bound: its own cause, not the MLP's
    assert below.reason.count("; ") == 0 and below.reason.startswith("the radius bound")
    both = _fit(-0.05)  # negative, and the MLP alone with no radius bound
    assert both.reason.count("; ") == 1 and not both.trusted


def test_radius_bound_is_the_mi_of_a_shared_t_scale_and_a_lower_bound_elsewhere():
    """A multivariate t (identity dispersion) depends on its sides only through their
    radii: the bound is I itself (Student-t 5 x 5, nu = 3: 0.299 nats). For correlated
    Gaussian pairs it is far below I; for independent pairs near 0."""
    rng = np.random.default_rng(0)
    n = 5000
    scale = np.sqrt(3.0 / rng.chisquare(3.0, (n, 1)))
    s, t = rng.standard_normal((n, 5)) * scale, rng.standard_normal((n, 5)) * scale
    assert abs(radius_bound(s, t) - 0.299) < 0.05
    x = rng.standard_normal((n, 1))
    y = 0.8 * x + 0.6 * rng.standard_normal((n, 1))  # I = 0.511 nats
    assert radius_bound(x, y) < 0.511 - 0.2
    assert abs(radius_bound(rng.standard_normal((n, 3)), rng.standard_normal((n, 2)))) < 0.03
    # at most max_pairs pairs: a subset, the same for the same seed
    assert radius_bound(s, t, max_pairs=1000) == radius_bound(s, t, max_pairs=1000)
    assert radius_bound(s, t, max_pairs=1000) != radius_bound(s, t)

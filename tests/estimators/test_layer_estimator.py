"""MINELayerEstimator: MINE's information plane of a layer, against the closed form and
against the MINE fits it wraps."""

import warnings

import keras
import numpy as np
import pytest

from infodl.estimators import MINE, MINELayerEstimator, mine_fit

# X uniform on 4 one-hot codes; the layer T is a bijection of X (2 units of ±1), and Y
# (2 balanced classes) a function of T: I(X;T) = H(X) = log 4, I(T;Y) = H(Y) = log 2.
IDS = np.repeat(np.arange(4), 100)
INPUTS = np.eye(4, dtype=np.float32)[IDS]
LAYER = np.stack([IDS % 2, IDS // 2], axis=1).astype(np.float32) * 2 - 1
LABELS = IDS % 2
SETTINGS = dict(steps=300, seed=3, hidden_units=(32, 32), batch_size=128)


def test_matches_closed_form_and_the_mine_fits_it_wraps():
    estimator = MINELayerEstimator(INPUTS, learning_rate=1e-3, **SETTINGS)
    keras.utils.set_random_seed(0)
    plane = estimator.information_per_layer([LAYER], LABELS)
    assert plane.shape == (1, 2) and estimator.units == "nats"
    # Held-out lower bounds: within 0.15 nats below log 4 and log 2, never far above.
    np.testing.assert_array_less(plane[0], [np.log(4) + 0.05, np.log(2) + 0.05])
    np.testing.assert_array_less([np.log(4) - 0.15, np.log(2) - 0.15], plane[0])

    keras.utils.set_random_seed(0)
    direct = []
    for s, t in ((INPUTS, LAYER), (LAYER, np.eye(2, dtype=np.float32)[LABELS])):
        mine = MINE(hidden_units=SETTINGS["hidden_units"], seed=SETTINGS["seed"])
        direct.append(max(0.0, mine.fit_estimate(s, t, steps=SETTINGS["steps"],
                                                 batch_size=SETTINGS["batch_size"],
                                                 verbose=0, learning_rate=1e-3)))
    # Same fits up to float32 reduction order across threads (seen: 3e-4 relative); fits
    # with another seed differ by 0.02-0.07 nats here.
    np.testing.assert_allclose(plane[0], direct, rtol=0, atol=3e-3)


@pytest.mark.parametrize("kwargs, message", [
    (dict(steps=0), r"Expected steps >= 1"),
    (dict(hidden_units=(32, 0)), r"hidden_units"),
    (dict(learning_rate=0.0), r"learning_rate > 0"),
    (dict(standardize="rank"), r"standardize in"),
    (dict(fit_settings={"eval_evry": 5}),
     r"^Expected fit_settings keys among \(steps, batch_size, .*, fit_call_steps\)\. "
     r"Received: fit_settings=\{'eval_evry': 5\}$"),
    (dict(fit_settings={"patience": 2, "steps": 50}),
     r"^Expected fit_settings without steps \(set by their own arguments\)\. Received"),
    (dict(fit_settings={"eval_every": 0}),
     r"^Expected eval_every >= 1 \(an integer\)\. Received: eval_every=0$"),
    (dict(fit_settings=[("eval_every", 5)]), r"^Expected fit_settings a dict"),
])
def test_bad_arguments_are_one_line_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MINELayerEstimator(INPUTS, **kwargs)


def test_activations_of_other_examples_are_refused():
    estimator = MINELayerEstimator(INPUTS, **SETTINGS)
    with pytest.raises(ValueError, match="Expected activations of the 400 inputs.*10 rows"):
        estimator.information(LAYER[:10], LABELS)
    with pytest.raises(ValueError, match="list of per-layer activations"):
        estimator.information_per_layer(LAYER, LABELS)


def test_fit_settings_reach_the_mine_fit_and_the_config(monkeypatch):
    """Evaluations every 7 steps, no early stop before step 28: the held-out curve is
    evaluated at steps 7, 14, 21, 28, with the estimator's own steps and batch size."""
    fits = []

    def recording_fit(mine, *data, **settings):
        value = real_fit(mine, *data, **settings)
        fits.append((settings, mine.last_fit))
        return value

    real_fit = mine_fit.fit_estimate
    monkeypatch.setattr(mine_fit, "fit_estimate", recording_fit)
    fit_settings = {"eval_every": 7, "patience": 2, "min_delta": 0.0, "min_steps": 28,
                    "validation_fraction": 0.5}
    estimator = MINELayerEstimator(INPUTS, steps=28, seed=3, hidden_units=(4,),
                                   batch_size=32, fit_settings=fit_settings)
    fit_settings["patience"] = 9  # the estimator keeps its own copy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 28 steps: the curve may still rise
        estimator.fit_estimate(INPUTS, LAYER)
    (settings, fit), = fits
    assert settings == {"steps": 28, "batch_size": 32, "learning_rate": 1e-3, "verbose": 0,
                        "eval_every": 7, "patience": 2, "min_delta": 0.0, "min_steps": 28,
                        "validation_fraction": 0.5}
    assert [step for step, _ in fit.curves[0]] == [7, 14, 21, 28]
    assert (fit.patience, fit.min_delta) == (2, 0.0)

    config = estimator.get_config()
    assert config["fit_settings"] == {"eval_every": 7, "patience": 2, "min_delta": 0.0,
                                      "min_steps": 28, "validation_fraction": 0.5}
    assert MINELayerEstimator(INPUTS, **config).get_config() == config
    assert MINELayerEstimator(INPUTS).get_config()["fit_settings"] == {}

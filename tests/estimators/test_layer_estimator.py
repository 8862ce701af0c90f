"""MINELayerEstimator: MINE's information plane of a layer, against the closed form and
against the MINE fits it wraps."""

import keras
import numpy as np
import pytest

from infodl.estimators import MINE, MINELayerEstimator

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

"""Save-and-load round trip of a model, for the model tests."""

import keras
import numpy as np


def assert_reloads_with_same_outputs(model, directory, inputs, **tolerance):
    """Saves `model` as a .keras file in `directory`, loads it back, checks that both
    give the same outputs on `inputs` (np.testing.assert_allclose with `tolerance`)
    and returns the loaded model."""
    path = directory / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(inputs)), np.asarray(model(inputs)),
                               **tolerance)
    return loaded

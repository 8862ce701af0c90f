"""What "a resumed run equals an uninterrupted one" means in the IB trainers' tests.

Weights and histories are compared to float32 round-off, not bit for bit: TensorFlow's
multi-threaded CPU reductions may sum in another order from one process to the next
(CI saw a held-out estimate differ in the 7th digit while the weights were equal). A
resume bug (a lost optimizer slot, a replayed or skipped batch, a reset RNG) moves the
numbers by a learning-rate-sized step, orders of magnitude above these tolerances.
"""

import numbers

import numpy as np

RTOL, ATOL = 1e-5, 1e-7


def assert_same_weights(expected_model, got_model):
    expected, got = expected_model.get_weights(), got_model.get_weights()
    assert len(expected) == len(got)
    for want, have in zip(expected, got, strict=True):
        np.testing.assert_allclose(have, want, rtol=RTOL, atol=ATOL)


def assert_same_history(expected, got, where="history"):
    """Equal structure and non-float values; floats equal to `RTOL`/`ATOL`."""
    if isinstance(expected, dict):
        assert isinstance(got, dict) and set(got) == set(expected), where
        for key in expected:
            assert_same_history(expected[key], got[key], f"{where}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(expected), where
        for index, (want, have) in enumerate(zip(expected, got, strict=True)):
            assert_same_history(want, have, f"{where}[{index}]")
    elif isinstance(expected, numbers.Real) and not isinstance(expected, (bool, numbers.Integral)):
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, err_msg=where)
    else:
        assert got == expected, where

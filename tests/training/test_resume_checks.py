"""The resume comparison tolerates float32 round-off and nothing bigger."""

import pytest

from tests.training.resume_checks import assert_same_history

RUN = {"trajectory": [[0, -1.1346490897179726, -0.1148958], [2, -1.1227920, -0.1137619]],
       "steps": 4, "stopped": False}


def test_reduction_order_round_off_passes():
    # CI saw -1.1177093145559385 vs -1.117709400547264: a relative change of 8e-8
    got = {**RUN, "trajectory": [[0, -1.1346490897179726, -0.1148958],
                                 [2, -1.1227920 * (1 + 8e-8), -0.1137619]]}
    assert_same_history(RUN, got)


@pytest.mark.parametrize("change", [
    {"trajectory": [[0, -1.1346490897179726, -0.1148958], [2, -1.1237920, -0.1137619]]},
    {"trajectory": [[0, -1.1346490897179726, -0.1148958], [4, -1.1227920, -0.1137619]]},
    {"trajectory": [[0, -1.1346490897179726, -0.1148958]]},
    {"steps": 5},
    {"stopped": True},
])
def test_a_step_sized_change_fails(change):
    with pytest.raises(AssertionError):
        assert_same_history(RUN, {**RUN, **change})

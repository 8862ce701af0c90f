"""One mean ± std over seeds: the sample std (ddof 1), and None — never 0 — for one seed."""

import numpy as np
import pytest

from infodl.analysis.seed_statistics import mean_and_std, mean_std_text


def test_mean_and_sample_std_match_numpy():
    values = [0.9123, 0.9071, 0.9188, 0.9102]
    mean, std = mean_and_std(values)
    assert mean == pytest.approx(np.mean(values), abs=1e-15)
    assert std == pytest.approx(np.std(values, ddof=1), abs=1e-15)
    assert mean_and_std([1.0, 3.0]) == (2.0, pytest.approx(2 ** 0.5))  # ddof 1, not 1.0


def test_one_seed_has_no_spread_and_none_values_are_left_out():
    assert mean_and_std([0.75]) == (0.75, None)
    assert mean_and_std([0.75, None]) == (0.75, None)
    assert mean_and_std([None]) == (None, None) and mean_and_std([]) == (None, None)
    assert mean_and_std([1.0, None, 3.0]) == (2.0, pytest.approx(2 ** 0.5))


def test_text_of_several_seeds_one_seed_and_none():
    assert mean_std_text([0.5, 1.0, 1.5], ".1f", scale=100) == "100.0 ± 50.0"
    assert mean_std_text([0.9187], ".2f", scale=100) == "91.87 (1 seed)"
    assert mean_std_text([None, None]) == "—"
    assert mean_std_text([1e-3, 3e-3], ".1e") == "2.0e-03 ± 1.4e-03"

"""Tests of BinningEstimator: hand-computed discrete cases, np.digitize, NumPy re-computation."""

import math

import numpy as np
import pytest
import scipy.io

from infodl.estimators import binning
from infodl.estimators.binning import BinningEstimator
from tests.estimators.binning_reference import reference_information

LOG2_3 = np.log2(3.0)


def four_bins_twice():
    """8 examples, 2 units, 4 distinct bin rows each used twice."""
    rows = np.array([[-0.9, -0.9], [-0.3, 0.5], [0.2, 0.2], [0.8, -0.5]])
    return np.repeat(rows, 2, axis=0)


def test_four_distinct_bins_give_two_bits():
    activations = four_bins_twice()
    label_perfect = np.array([0, 0, 0, 0, 1, 1, 1, 1])  # bins {1,2} -> 0, {3,4} -> 1
    label_blind = np.array([0, 1, 0, 1, 0, 1, 0, 1])  # each bin holds one 0 and one 1
    estimator = BinningEstimator()
    assert estimator.information(activations, label_perfect) == pytest.approx((2.0, 1.0), abs=1e-12)
    assert estimator.information(activations, label_blind) == pytest.approx((2.0, 0.0), abs=1e-12)
    assert estimator.entropy(activations) == pytest.approx(2.0, abs=1e-12)


def test_hand_computed_partial_information():
    # T = [a, a, b, c], Y = [0, 1, 1, 1]: H(T) = 1.5, H(T|Y) = 3/4 log2 3.
    activations = np.array([[0.1], [0.1], [0.5], [0.9]])
    labels = np.array([0, 1, 1, 1])
    i_xt, i_ty = BinningEstimator().information(activations, labels)
    assert i_xt == pytest.approx(1.5, abs=1e-12)
    assert i_ty == pytest.approx(1.5 - 0.75 * LOG2_3, abs=1e-12)


@pytest.mark.parametrize("kwargs", [
    {}, {"bin_range": "adaptive"}, {"bin_width": 0.07}, {"num_bins": 1}])
def test_constant_layer_gives_zero_and_zero(kwargs):
    activations = np.full((50, 6), 0.3, dtype=np.float32)
    labels = np.arange(50) % 2
    assert BinningEstimator(**kwargs).information(activations, labels) == (0.0, 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("num_bins", [1, 2, 30, 300, 70_000, 2**20 + 1])
def test_fixed_range_indices_equal_np_digitize(dtype, num_bins):
    edges = np.linspace(-1.0, 1.0, num_bins)
    rng = np.random.default_rng(num_bins)
    on_edges = edges[::max(1, num_bins // 1000)].astype(dtype)  # every edge, or 1000
    values = np.concatenate([
        rng.uniform(-1.5, 1.5, 4000).astype(dtype), on_edges,
        np.nextafter(on_edges, dtype(-np.inf)), np.nextafter(on_edges, dtype(np.inf)),
        np.array([-1.0, 1.0, 0.0, -7.0, 50.0, 3e38, -3e38], dtype=dtype)])
    activations = values.reshape(-1, 1)
    indices = BinningEstimator(num_bins=num_bins).bin_indices(activations)
    np.testing.assert_array_equal(indices, np.digitize(activations, edges))


def test_idnns_relu_values_above_one_share_one_bin():
    relu = np.array([[1.0], [1.5], [3.0], [100.0], [7.0]])
    assert BinningEstimator().entropy(relu) == 0.0
    indices = BinningEstimator(num_bins=30).bin_indices(relu)
    np.testing.assert_array_equal(indices, 30)
    # Values below the range keep their own bin (IDNNs would wrap them to the top).
    assert BinningEstimator().entropy(np.array([[-2.0], [2.0]])) == pytest.approx(1.0)


def test_adaptive_range_splits_relu_values_evenly():
    relu = np.arange(10.0).reshape(10, 1)  # 0..9 -> 5 bins of width 1.8, two values each
    adaptive = BinningEstimator(num_bins=5, bin_range="adaptive")
    np.testing.assert_array_equal(adaptive.bin_indices(relu)[:, 0], np.arange(10) // 2)
    assert adaptive.entropy(relu) == pytest.approx(np.log2(5.0), abs=1e-12)
    # The fixed [-1, 1] range puts 1..9 in one bin: H = H(1/10, 9/10).
    expected_fixed = -(0.1 * np.log2(0.1) + 0.9 * np.log2(0.9))
    assert BinningEstimator().entropy(relu) == pytest.approx(expected_fixed, abs=1e-12)


def test_adaptive_range_is_invariant_to_affine_rescaling():
    rng = np.random.default_rng(1)
    activations = np.maximum(rng.normal(size=(500, 4)), 0.0)
    labels = rng.integers(0, 3, 500)
    estimator = BinningEstimator(num_bins=8, bin_range="adaptive")
    expected = estimator.information(activations, labels)
    rescaled = estimator.information(activations * 64.0 + 3.0, labels)
    assert rescaled == pytest.approx(expected, abs=1e-12)
    edges = np.linspace(activations.min(), activations.max(), 9)[1:-1]
    assert expected == pytest.approx(
        reference_information(np.digitize(activations, edges), labels), abs=1e-12)


def test_fixed_width_bins_are_floor_of_ratio():
    activations = np.array([[0.0], [0.069], [0.07], [0.1399], [-0.01]])  # 0, 0, 1, 1, -1
    estimator = BinningEstimator(num_bins=1, bin_range="adaptive", bin_width=0.07)
    np.testing.assert_array_equal(estimator.bin_indices(activations)[:, 0], [1, 1, 2, 2, 0])
    counts = np.array([2, 2, 1]) / 5
    assert estimator.entropy(activations) == pytest.approx(-np.sum(counts * np.log2(counts)))
    rng = np.random.default_rng(2)
    wide = rng.normal(scale=3.0, size=(300, 20))
    labels = rng.integers(0, 2, 300)
    floors = np.floor(wide / 0.07)
    assert estimator.information(wide, labels) == pytest.approx(
        reference_information(floors, labels), abs=1e-12)


@pytest.mark.parametrize("num_units,num_bins", [(3, 30), (12, 30), (300, 30), (40, 300)])
def test_matches_slow_reference_on_random_layers(num_units, num_bins):
    rng = np.random.default_rng(num_units)
    activations = np.tanh(rng.normal(scale=0.3, size=(2000, num_units))).astype(np.float32)
    labels = rng.integers(0, 4, 2000)
    edges = np.linspace(-1, 1, num_bins)
    expected = reference_information(np.digitize(activations, edges), labels)
    result = BinningEstimator(num_bins=num_bins).information(activations, labels)
    assert result == pytest.approx(expected, abs=1e-12)
    assert 0.0 <= result[1] <= result[0] <= np.log2(2000) + 1e-12


def test_hash_collisions_fall_back_to_exact_row_comparison(monkeypatch):
    rng = np.random.default_rng(3)
    activations = np.tanh(rng.normal(size=(500, 40)))
    labels = rng.integers(0, 2, 500)
    expected = reference_information(np.digitize(activations, np.linspace(-1, 1, 30)), labels)
    # All-zero multipliers hash every row to 0: only the fallback can be right.
    monkeypatch.setattr(binning, "_hash_multipliers",
                        lambda num_words: np.zeros(num_words, dtype=np.uint64))
    assert BinningEstimator().information(activations, labels) == pytest.approx(expected, abs=1e-12)


def test_units_nats_are_bits_times_ln2():
    activations, labels = four_bins_twice(), np.array([0, 0, 0, 1, 1, 1, 1, 1])
    bits = np.array(BinningEstimator(units="bits").information(activations, labels))
    nats = np.array(BinningEstimator(units="nats").information(activations, labels))
    np.testing.assert_allclose(nats, bits * np.log(2.0), rtol=1e-14)
    assert nats[0] == pytest.approx(np.log(4.0))


def test_information_per_layer_matches_each_layer_and_label_formats():
    rng = np.random.default_rng(4)
    layers = [np.tanh(rng.normal(size=(4096, width))) for width in (10, 7, 5, 4, 3, 2)]
    labels = rng.integers(0, 2, 4096)
    estimator = BinningEstimator()
    plane = estimator.information_per_layer(layers, labels)
    assert plane.shape == (6, 2)
    edges = np.linspace(-1, 1, 30)
    expected = [reference_information(np.digitize(layer, edges), labels) for layer in layers]
    np.testing.assert_allclose(plane, expected, atol=1e-12)
    one_hot = np.eye(2)[labels]
    np.testing.assert_array_equal(estimator.information_per_layer(layers, one_hot), plane)
    np.testing.assert_array_equal(
        estimator.information_per_layer(layers, labels[:, None].astype(float) + 5), plane)


def test_var_u_inputs_carry_twelve_bits(var_u_path):
    data = scipy.io.loadmat(var_u_path)
    inputs, labels = 2.0 * data["F"] - 1.0, data["y"].reshape(-1)  # +-1: 2 bins per unit
    i_xt, i_ty = BinningEstimator().information(inputs, labels)
    assert i_xt == pytest.approx(12.0, abs=1e-9)
    assert i_ty == pytest.approx(0.99916, abs=1e-5)  # = H(Y) of IDNNs' var_u.mat


def test_single_example_gives_zero_bits():
    assert BinningEstimator().information(np.array([[0.3, -0.2]]), np.array([1])) == (0.0, 0.0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_activations_raise(bad):
    activations = np.zeros((4, 3), dtype=np.float32)
    activations[2, 1] = bad
    with pytest.raises(ValueError, match="finite"):
        BinningEstimator().information(activations, np.zeros(4, dtype=int))


@pytest.mark.parametrize("labels", [np.zeros(3, dtype=int), np.zeros((5, 2)), np.array([0.5] * 4),
                                    np.array([np.nan] * 4), np.zeros((4, 1, 1))])
def test_bad_labels_raise(labels):
    with pytest.raises(ValueError, match="Expected"):
        BinningEstimator().information(np.zeros((4, 2)), labels)


@pytest.mark.parametrize("activations", [np.zeros((0, 3)), np.zeros((4, 0)), np.array(1.0),
                                         np.array([["a"]] * 4)])
def test_empty_or_non_numeric_activations_raise(activations):
    with pytest.raises(ValueError, match="Expected"):
        BinningEstimator().information(activations, np.zeros(len(np.atleast_1d(activations))))


def test_per_layer_needs_a_list():
    with pytest.raises(ValueError, match="list"):
        BinningEstimator().information_per_layer(np.zeros((4, 2)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="labels of length 3"):
        BinningEstimator().information_per_layer([np.zeros((4, 2)), np.zeros((3, 2))], np.zeros(4))


@pytest.mark.parametrize("kwargs,message", [
    ({"num_bins": 0}, "Expected num_bins >= 1 (an integer). Received: num_bins=0"),
    ({"num_bins": 2.5}, "num_bins"),
    ({"bin_width": 0.0}, "Expected bin_width > 0. Received: bin_width=0.0"),
    ({"bin_width": -0.07}, "bin_width"),
    ({"units": "bytes"}, "Expected units in ('bits', 'nats')"),
    ({"bin_range": (1.0, -1.0)}, "low < high"),
    ({"bin_range": "auto"}, "adaptive"),
    ({"bin_range": (0.0,)}, "bin_range"),
])
def test_bad_constructor_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        BinningEstimator(**kwargs)


def test_get_config_round_trips():
    estimator = BinningEstimator(num_bins=12, bin_range="adaptive", units="nats")
    assert BinningEstimator(**estimator.get_config()).get_config() == estimator.get_config()


@pytest.mark.slow
def test_wide_layer_matches_slow_reference():
    rng = np.random.default_rng(6)
    activations = np.tanh(rng.normal(scale=0.01, size=(60000, 512))).astype(np.float32)
    labels = rng.integers(0, 10, 60000)
    edges = np.linspace(-1, 1, 30)
    result = BinningEstimator().information(activations, labels)
    assert result == pytest.approx(
        reference_information(np.digitize(activations, edges), labels), abs=1e-10)
    assert 1.0 < result[0] < np.log2(60000) - 1.0  # ~75 % of the rows coincide


@pytest.mark.parametrize("kwargs", [{}, {"bin_range": "adaptive"}, {"bin_width": 0.07},
                                    {"units": "nats"}])
def test_zero_information_is_positive_zero(kwargs):
    """A single symbol has H = -1 * log 1 = -0.0 in floating point; reported as +0.0."""
    for activations, labels in ((np.full((50, 3), 0.3), np.arange(50) % 2),
                                (np.array([[0.3, -0.2]]), np.array([1]))):
        values = BinningEstimator(**kwargs).information(activations, labels)
        assert values == (0.0, 0.0)
        assert all(math.copysign(1.0, value) == 1.0 for value in values)
        assert math.copysign(1.0, BinningEstimator(**kwargs).entropy(activations)) == 1.0


def test_numpy_scalar_arguments_are_accepted():
    estimator = BinningEstimator(num_bins=np.int64(12), bin_width=None)
    assert estimator.num_bins == 12 and isinstance(estimator.num_bins, int)
    assert BinningEstimator(bin_width=np.float32(0.5)).bin_width == 0.5

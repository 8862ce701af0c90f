"""Tests of I(X;Ŷ), I(Y;Ŷ) and the constraint against hand-computed tables (P2 §2.1)."""

import math

import numpy as np
import pytest

from infodl.estimators.prediction_information import (
    information_constraint,
    input_prediction_information,
    label_prediction_information,
    prediction_information,
)


def loop_input_information(probs, uniform=False):
    """Reference I(X;Ŷ) written as the literal double sum of P2 Prop. 2.1."""
    n, c = len(probs), len(probs[0])
    marginal = [1.0 / c] * c if uniform else [sum(p[j] for p in probs) / n for j in range(c)]
    total = 0.0
    for p in probs:
        for j in range(c):
            if p[j] > 0:
                total += p[j] * math.log(p[j] / marginal[j])
    return total / n


def loop_label_information(probs, labels):
    """Reference I(Y;Ŷ) with π̂_{yŷ} = p̂(y) · mean_{k: y_k = y} p(ŷ|x_k)."""
    n, c = len(probs), len(probs[0])
    joint = [[0.0] * c for _ in range(c)]
    for y in set(labels):
        members = [k for k in range(n) if labels[k] == y]
        for j in range(c):
            joint[y][j] = len(members) / n * sum(probs[k][j] for k in members) / len(members)
    rows = [sum(joint[y]) for y in range(c)]
    cols = [sum(joint[y][j] for y in range(c)) for j in range(c)]
    return sum(joint[y][j] * math.log(joint[y][j] / (rows[y] * cols[j]))
               for y in range(c) for j in range(c) if joint[y][j] > 0)


def test_hand_built_binary_table():
    probs = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.5, 0.5]]
    labels = [0, 1, 0, 1]
    # π̂ = [[3/8, 1/8], [1/8, 3/8]], both marginals (1/2, 1/2).
    expected_x = math.log(2) / 2
    expected_y = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    assert input_prediction_information(probs) == pytest.approx(expected_x, abs=1e-12)
    assert label_prediction_information(probs, labels) == pytest.approx(expected_y, abs=1e-12)
    assert information_constraint(probs, labels) == pytest.approx(
        expected_x - expected_y, abs=1e-12)


def test_hand_built_table_with_non_uniform_marginal():
    probs = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    labels = np.array([0, 1, 1])
    # p̂(ŷ) = (2/3, 1/3, 0): I(X;Ŷ) = H(p̂) since each row is one-hot.
    entropy = -(2 / 3) * math.log(2 / 3) - (1 / 3) * math.log(1 / 3)
    assert input_prediction_information(probs) == pytest.approx(entropy, abs=1e-12)
    assert input_prediction_information(probs, marginal="uniform") == pytest.approx(
        math.log(3), abs=1e-12)
    expected_y = (2 / 3) * math.log(1.5) + (1 / 3) * math.log(0.75)
    assert label_prediction_information(probs, labels) == pytest.approx(expected_y, abs=1e-12)


def test_matches_literal_double_sums_on_random_tables():
    rng = np.random.default_rng(3)
    for num_classes in (2, 5, 10):
        logits = rng.normal(scale=2.0, size=(40, num_classes))
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        labels = rng.integers(0, num_classes, size=40)
        info = prediction_information(probs, labels)
        assert info["I_X_Yhat_nats"] == pytest.approx(loop_input_information(probs.tolist()),
                                                      abs=1e-10)
        assert info["I_Y_Yhat_nats"] == pytest.approx(
            loop_label_information(probs.tolist(), labels.tolist()), abs=1e-10)
        assert info["constraint_nats"] == pytest.approx(
            info["I_X_Yhat_nats"] - info["I_Y_Yhat_nats"], abs=1e-12)
        assert info["constraint_nats"] >= 0.0
        uniform = input_prediction_information(probs, marginal="uniform")
        assert uniform == pytest.approx(loop_input_information(probs.tolist(), True), abs=1e-10)
        # Σ_k KL(p_k || u) / n = Σ_k KL(p_k || p̂) / n + KL(p̂ || u).
        marginal = probs.mean(axis=0)
        kl_marginal_uniform = float(np.sum(marginal * np.log(num_classes * marginal)))
        assert uniform - info["I_X_Yhat_nats"] == pytest.approx(kl_marginal_uniform, abs=1e-10)
        from_logits = prediction_information(logits, labels, from_logits=True)
        for key, value in info.items():
            assert from_logits[key] == pytest.approx(value, abs=1e-10)


def test_forms_agree_under_a_uniform_marginal():
    rng = np.random.default_rng(0)
    row = rng.dirichlet(np.ones(6))
    probs = np.stack([np.roll(row, shift) for shift in range(6)])  # column means = 1/6
    empirical = input_prediction_information(probs)
    assert empirical > 0.05
    assert input_prediction_information(probs, marginal="uniform") == pytest.approx(
        empirical, abs=1e-12)
    assert empirical == pytest.approx(math.log(6) + np.sum(row * np.log(row)), abs=1e-12)


def test_constant_predictor_carries_no_information():
    row = np.array([0.7, 0.2, 0.1])
    probs = np.tile(row, (9, 1))
    labels = np.arange(9) % 3
    info = prediction_information(probs, labels)
    assert info == {"I_X_Yhat_nats": 0.0, "I_Y_Yhat_nats": 0.0, "constraint_nats": 0.0}
    # The uniform form measures the distance to 1/C instead: log C - H(row).
    assert input_prediction_information(probs, marginal="uniform") == pytest.approx(
        math.log(3) + np.sum(row * np.log(row)), abs=1e-12)


def test_perfect_one_hot_predictor_reaches_label_entropy():
    labels = np.array([0, 0, 0, 1, 2, 2, 3, 3])
    probs = np.eye(5)[labels]  # class 4 never occurs
    counts = np.bincount(labels) / len(labels)
    label_entropy = -float(np.sum(counts * np.log(counts)))
    assert label_prediction_information(probs, labels) == pytest.approx(label_entropy, abs=1e-12)
    assert input_prediction_information(probs) == pytest.approx(label_entropy, abs=1e-12)
    assert information_constraint(probs, labels) == pytest.approx(0.0, abs=1e-12)


def test_single_example_gives_zero():
    info = prediction_information([[0.2, 0.8]], [1])
    assert info == {"I_X_Yhat_nats": 0.0, "I_Y_Yhat_nats": 0.0, "constraint_nats": 0.0}


def test_labels_as_column_and_float_integers_are_accepted():
    probs = [[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]]
    reference = label_prediction_information(probs, [0, 1, 1])
    assert label_prediction_information(probs, [[0], [1], [1]]) == reference
    assert label_prediction_information(probs, np.array([0.0, 1.0, 1.0])) == reference


@pytest.mark.parametrize("probs, labels, message", [
    ([[0.5, 0.5], [0.5, 0.5]], [0, 1, 1], r"labels of length 2"),
    ([0.5, 0.5], [0], r"shape \(num_examples, num_classes\)"),
    ([[0.6, 0.6], [0.5, 0.5]], [0, 1], "sum to 1"),
    ([[1.2, -0.2], [0.5, 0.5]], [0, 1], "probabilities >= 0"),
    ([[np.nan, 0.5], [0.5, 0.5]], [0, 1], "finite"),
    ([[1.0], [1.0]], [0, 0], "at least 2 classes"),
    (np.zeros((0, 3)), [], "at least 1 example"),
    ([[0.5, 0.5], [0.5, 0.5]], [0, 2], r"labels in \[0, 2\)"),
    ([[0.5, 0.5], [0.5, 0.5]], [0, 0.5], "integer class labels"),
])
def test_bad_inputs_raise_clear_errors(probs, labels, message):
    with pytest.raises(ValueError, match=message):
        prediction_information(probs, labels)


def test_bad_marginal_and_non_finite_logits_raise():
    with pytest.raises(ValueError, match="marginal in"):
        input_prediction_information([[0.5, 0.5]], marginal="flat")
    with pytest.raises(ValueError, match="finite logits"):
        input_prediction_information([[np.inf, 0.0]], from_logits=True)


def test_one_hot_labels_give_the_same_values_as_indices():
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(4), size=40)
    labels = rng.integers(0, 4, 40)
    one_hot = np.eye(4)[labels]
    assert prediction_information(probs, one_hot) == prediction_information(probs, labels)
    assert label_prediction_information(probs, one_hot.astype("float32")) == \
        label_prediction_information(probs, labels)


def test_uniform_label_marginal_matches_its_closed_form_and_the_balanced_case():
    """P2 Lemma B.1: pi_{y yhat} = (1/C) (1/n_y) sum_{k: y_k = y} p(yhat | x_k)."""
    rng = np.random.default_rng(4)
    probs = rng.dirichlet(np.ones(3), size=30)
    unbalanced = np.array([0] * 5 + [1] * 10 + [2] * 15)
    joint = np.stack([probs[unbalanced == y].mean(axis=0) / 3 for y in range(3)])
    expected = np.sum(joint * np.log(joint / np.outer(joint.sum(1), joint.sum(0))))
    value = label_prediction_information(probs, unbalanced, label_marginal="uniform")
    assert value == pytest.approx(expected, abs=1e-12)
    assert value != pytest.approx(label_prediction_information(probs, unbalanced), abs=1e-3)
    balanced = np.arange(30) % 3
    assert label_prediction_information(probs, balanced, label_marginal="uniform") == \
        pytest.approx(label_prediction_information(probs, balanced), abs=1e-12)
    info = prediction_information(probs, unbalanced, label_marginal="uniform")
    assert info["I_Y_Yhat_nats"] == pytest.approx(expected, abs=1e-12)
    assert information_constraint(probs, unbalanced, label_marginal="uniform") == \
        pytest.approx(max(0.0, info["I_X_Yhat_nats"] - expected), abs=1e-12)
    with pytest.raises(ValueError, match="label_marginal in"):
        label_prediction_information(probs, balanced, label_marginal="flat")


def test_labels_of_every_accepted_shape_become_one_vector():
    from infodl.checks import check_class_labels
    np.testing.assert_array_equal(check_class_labels([[0], [2.0]], 2), [0, 2])
    np.testing.assert_array_equal(check_class_labels(np.eye(3)[[2, 0]], 2), [2, 0])

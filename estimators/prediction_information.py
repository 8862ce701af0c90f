"""Information carried by a classifier's prediction: I(X;Ŷ), I(Y;Ŷ) and their gap.

All functions take the softmax outputs p(ŷ|x_k) of n examples (or the logits, with
`from_logits=True`) and return Python floats in nats, computed in float64 NumPy.

Reference: P2 (Information Regularized Neural Networks), Prop. 2.1 (eq. 10-15),
Prop. 2.2 (eq. 16-17, 34) and Table 1 ("Constrain" = I(X;Ŷ) - I(Y;Ŷ)).
"""

import numpy as np

from infodl import checks
from infodl.choices import MARGINALS

# Rows of `probabilities` must sum to 1 within this absolute tolerance.
SUM_TOLERANCE = 1e-3


def _softmax(logits):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / np.sum(exp, axis=1, keepdims=True)


def _check_probabilities(probabilities, from_logits):
    values = np.asarray(probabilities, dtype=np.float64)
    what = "logits" if from_logits else "probabilities"
    if values.ndim != 2:
        raise ValueError(
            f"Expected {what} of shape (num_examples, num_classes). "
            f"Received: shape={values.shape}")
    num_examples, num_classes = values.shape
    if num_examples < 1:
        raise ValueError(
            f"Expected at least 1 example. Received: {what} of shape {values.shape}")
    if num_classes < 2:
        raise ValueError(
            "Expected at least 2 classes (a single class carries no information). "
            f"Received: {what} of shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"Expected finite {what}. Received: NaN or inf entries")
    if from_logits:
        return _softmax(values)
    if np.min(values) < 0.0:
        raise ValueError(
            "Expected probabilities >= 0 (pass from_logits=True for logits). "
            f"Received: min={np.min(values):.6g}")
    row_sums = np.sum(values, axis=1)
    worst = int(np.argmax(np.abs(row_sums - 1.0)))
    if abs(row_sums[worst] - 1.0) > SUM_TOLERANCE:
        raise ValueError(
            "Expected each row of probabilities to sum to 1 (pass from_logits=True "
            f"for logits). Received: row {worst} sums to {row_sums[worst]:.6g}")
    return values / row_sums[:, None]


def _check_labels(labels, num_examples, num_classes):
    return checks.check_class_labels(labels, num_examples, num_classes)


def _sum_p_log_ratio(p, q):
    """Sum of p * log(p / q) over the entries with p > 0 (0 log 0 = 0)."""
    positive = p > 0
    return float(np.sum(p[positive] * (np.log(p[positive]) - np.log(q[positive]))))


def _input_information(probs, marginal):
    num_examples, num_classes = probs.shape
    if marginal == "uniform":
        reference = np.full_like(probs, 1.0 / num_classes)
    else:
        reference = np.broadcast_to(np.mean(probs, axis=0), probs.shape)
    # A mean of KL divergences: >= 0 up to rounding, which is clipped.
    return max(0.0, _sum_p_log_ratio(probs, reference) / num_examples)


def _label_information(probs, labels, label_marginal="empirical"):
    num_examples, num_classes = probs.shape
    one_hot = np.eye(num_classes)[labels]
    counts = np.sum(one_hot, axis=0)                  # n_y
    if label_marginal == "uniform":                   # p(y) = 1/C' on present classes
        present = counts > 0
        weights = np.where(present, 1.0 / (np.count_nonzero(present) * np.maximum(counts, 1)),
                           0.0)
    else:                                             # p̂(y) = n_y / n
        weights = np.full(num_classes, 1.0 / num_examples)
    joint = (one_hot * weights).T @ probs             # π̂_{yŷ} = p(y) (1/n_y) Σ p(ŷ|x_k)
    label_marginal = np.sum(joint, axis=1)            # π̂_{y+} = p(y)
    prediction_marginal = np.sum(joint, axis=0)       # π̂_{+ŷ} = p̂(ŷ)
    independent = np.outer(label_marginal, prediction_marginal)
    return max(0.0, _sum_p_log_ratio(joint, independent))


def _check_marginal(marginal, name="marginal"):
    return checks.check_choice(marginal, name, MARGINALS)


def input_prediction_information(probabilities, marginal="empirical", from_logits=False):
    """I(X;Ŷ): information the prediction keeps about the input, in nats.

    With p̂(ŷ) = (1/n) Σ_k p(ŷ|x_k) (`marginal="empirical"`) or p̂(ŷ) = 1/C
    (`marginal="uniform"`, P2's assumption, which gives Σ p log(C·p)):

        I(X;Ŷ) ≈ (1/n) Σ_k Σ_ŷ p(ŷ|x_k) log( p(ŷ|x_k) / p̂(ŷ) ).

    The two forms agree when the empirical marginal is uniform; the empirical one is
    0 for a constant predictor and at most log C.

    Args:
        probabilities: array (n, C) of softmax outputs, rows summing to 1 (within
            1e-3; they are renormalised), or logits when `from_logits=True`.
        marginal: "empirical" (default) or "uniform".
        from_logits: whether `probabilities` holds logits.

    Returns:
        float, I(X;Ŷ) in nats (>= 0).

    Example:
        >>> from infodl.estimators import input_prediction_information
        >>> input_prediction_information([[1.0, 0.0], [0.0, 1.0]])  # log 2
        0.6931471805599453

    Reference: P2, Prop. 2.1, eq. (10) and (15).
    """
    _check_marginal(marginal)
    probs = _check_probabilities(probabilities, from_logits)
    return _input_information(probs, marginal)


def label_prediction_information(probabilities, labels, from_logits=False,
                                 label_marginal="empirical"):
    """I(Y;Ŷ): information the prediction carries about the label, in nats.

        π̂_{yŷ} = p̂(y) · (1/n_y) Σ_{k: y_k = y} p(ŷ|x_k),
        I(Y;Ŷ) = Σ_{y,ŷ} π̂_{yŷ} log( π̂_{yŷ} / (π̂_{y+} π̂_{+ŷ}) ),

    with p̂(y) = n_y / n (`label_marginal="empirical"`) or p̂(y) = 1/C
    (`label_marginal="uniform"`, P2 Lemma B.1's assumption; C counts the classes
    present in `labels`). The two agree when the labels are balanced.
    Equals H(Y) (empirical label entropy) for a perfect one-hot predictor, 0 for a
    constant one; classes absent from `labels` contribute nothing.

    Args:
        probabilities: array (n, C) of softmax outputs (or logits, `from_logits=True`).
        labels: class indices (n,) or (n, 1) in [0, C), or one-hot rows (n, C).
        from_logits: whether `probabilities` holds logits.
        label_marginal: p̂(y): "empirical" (default) or "uniform".

    Returns:
        float, I(Y;Ŷ) in nats (>= 0).

    Example:
        >>> from infodl.estimators import label_prediction_information
        >>> label_prediction_information([[1.0, 0.0], [0.0, 1.0]], [0, 1])  # H(Y)
        0.6931471805599453

    Reference: P2, Prop. 2.2, eq. (17) and (34), Lemma B.1 (eq. 18).
    """
    _check_marginal(label_marginal, "label_marginal")
    probs = _check_probabilities(probabilities, from_logits)
    label_ids = _check_labels(labels, *probs.shape)
    return _label_information(probs, label_ids, label_marginal)


def prediction_information(probabilities, labels, marginal="empirical", from_logits=False,
                           label_marginal="empirical"):
    """I(X;Ŷ), I(Y;Ŷ) and the constraint I(X;Ŷ) - I(Y;Ŷ) in one pass, in nats.

    The constraint is the "irrelevant information" that P2's regularizer compresses.

    Args:
        probabilities: array (n, C) of softmax outputs (or logits, `from_logits=True`).
        labels: class indices (n,) or (n, 1) in [0, C), or one-hot rows (n, C).
        marginal: p̂(ŷ) used in I(X;Ŷ): "empirical" (default) or "uniform".
        from_logits: whether `probabilities` holds logits.
        label_marginal: p̂(y) used in I(Y;Ŷ): "empirical" (default) or "uniform".

    Returns:
        dict with float values (nats) under "I_X_Yhat_nats", "I_Y_Yhat_nats" and
        "constraint_nats".

    Example:
        >>> from infodl.estimators.prediction_information import prediction_information
        >>> info = prediction_information([[0.9, 0.1], [0.2, 0.8]], [0, 1])
        >>> round(info["constraint_nats"], 4)
        0.0

    Reference: P2, Prop. 2.1-2.2 and Table 1 ("Constrain").
    """
    _check_marginal(marginal)
    _check_marginal(label_marginal, "label_marginal")
    probs = _check_probabilities(probabilities, from_logits)
    label_ids = _check_labels(labels, *probs.shape)
    input_information = _input_information(probs, marginal)
    label_information = _label_information(probs, label_ids, label_marginal)
    return {
        "I_X_Yhat_nats": input_information,
        "I_Y_Yhat_nats": label_information,
        # >= 0 by convexity of the KL divergence; clipped against rounding.
        "constraint_nats": max(0.0, input_information - label_information),
    }


def information_constraint(probabilities, labels, marginal="empirical", from_logits=False,
                           label_marginal="empirical"):
    """The constraint I(X;Ŷ) - I(Y;Ŷ) in nats (see `prediction_information`).

    Args:
        probabilities: array (n, C) of softmax outputs (or logits, `from_logits=True`).
        labels: class indices (n,) or (n, 1) in [0, C), or one-hot rows (n, C).
        marginal: "empirical" (default) or "uniform" p̂(ŷ) in I(X;Ŷ).
        from_logits: whether `probabilities` holds logits.
        label_marginal: "empirical" (default) or "uniform" p̂(y) in I(Y;Ŷ).

    Returns:
        float, I(X;Ŷ) - I(Y;Ŷ) in nats.

    Example:
        >>> from infodl.estimators import information_constraint
        >>> information_constraint([[0.5, 0.5], [0.5, 0.5]], [0, 1])
        0.0

    Reference: P2, Table 1 and Section 2.2.
    """
    info = prediction_information(probabilities, labels, marginal, from_logits,
                                  label_marginal)
    return info["constraint_nats"]

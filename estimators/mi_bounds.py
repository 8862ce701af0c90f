"""Variational lower bounds on mutual information and checks of sample pairs.

Pure functions of critic scores (all values in nats, backend-agnostic `keras.ops`),
shared by `MINE`, `ArchitectureAwareMINE` and the IB trainers:

- Donsker-Varadhan:  I >= E_P[D] - log E_Q[e^D]
- NWJ (f-divergence): I >= E_P[D] - E_Q[e^(D - 1)]
- InfoNCE:           I >= (1/n) sum_i [D(s_i, t_i) - log (1/n) sum_j e^D(s_i, t_j)]
  (never above log n)

P is the joint distribution of (s, t), Q = P_S x P_T the product of marginals.
From an n x n matrix of scores D(s_i, t_j) (a separable critic gives it in one
matrix product) the n(n - 1) off-diagonal entries are samples of Q:
`log_mean_exp_off_diagonal` averages over all of them.

Example:
    >>> from infodl.estimators.mi_bounds import donsker_varadhan
    >>> joint, marginal = np.array([1.0, 2.0]), np.array([0.0, 0.0])
    >>> float(donsker_varadhan(joint, marginal))
    1.5

Reference: Belghazi et al. 2018 (MINE), eq. 10; Poole et al. 2019, eq. 9 and 12.
"""

import math

import keras
import numpy as np
from keras import ops


def log_mean_exp(values, axis=None):
    """log((1/n) sum_k e^(values_k)), computed with log-sum-exp (no overflow).

    Args:
        values: tensor of scores.
        axis: axis to average over (None = all entries).

    Returns:
        Tensor: the log of the mean of the exponentials.
    """
    values = ops.convert_to_tensor(values)
    count = ops.size(values) if axis is None else ops.shape(values)[axis]
    count = ops.cast(count, values.dtype)
    return ops.logsumexp(values, axis=axis) - ops.log(count)


def log_mean_exp_off_diagonal(score_matrix):
    """log of the mean of e^(M_ij) over the n(n - 1) entries i != j of a square M.

    The diagonal is masked with -inf inside the log-sum-exp (no overflow, and the
    joint pairs on the diagonal never enter the marginal average).

    Args:
        score_matrix: n x n tensor, n >= 2.

    Returns:
        Tensor: log (1 / (n(n - 1))) sum_{i != j} e^(M_ij).
    """
    score_matrix = ops.convert_to_tensor(score_matrix)
    num = ops.shape(score_matrix)[0]
    eye = ops.eye(num, dtype=score_matrix.dtype)
    masked = ops.where(eye > 0, ops.full_like(score_matrix, -np.inf), score_matrix)
    count = ops.cast(num * (num - 1), score_matrix.dtype)
    return ops.logsumexp(masked) - ops.log(count)


def donsker_varadhan(joint_scores, marginal_scores):
    """Donsker-Varadhan bound mean(D_P) - log mean(e^D_Q), in nats."""
    return ops.mean(joint_scores) - log_mean_exp(marginal_scores)


def nguyen_wainwright_jordan(joint_scores, marginal_scores):
    """NWJ (f-divergence) bound mean(D_P) - mean(e^(D_Q - 1)), in nats."""
    return ops.mean(joint_scores) - ops.exp(log_mean_exp(marginal_scores) - 1.0)


def info_nce(score_matrix):
    """InfoNCE bound of an n x n matrix score_matrix[i, j] = D(s_i, t_j), in nats.

    The diagonal holds the joint pairs; the value is at most log n.
    """
    diagonal = ops.diagonal(score_matrix)
    return ops.mean(diagonal - log_mean_exp(score_matrix, axis=1))


def update_log_moving_average(log_average, log_batch_mean, decay):
    """One moving-average step kept in log space.

    log(decay * A + (1 - decay) * m) from log A and log m, via log-add-exp.

    Args:
        log_average: log of the current average A.
        log_batch_mean: log of the new batch mean m.
        decay: weight of the old average, in [0, 1).

    Returns:
        Tensor: log of the updated average.
    """
    if decay == 0:
        return ops.convert_to_tensor(log_batch_mean)
    return ops.logaddexp(math.log(decay) + log_average,
                         math.log1p(-decay) + log_batch_mean)


def dv_training_surrogate(joint_scores, log_marginal, log_average, started, decay):
    """One bias-corrected Donsker-Varadhan step's surrogate and moving average.

    The gradient of mean(D_P) - e^(log mean e^(D_Q) - log A) is the DV bound's gradient
    with the batch mean of e^(D_Q) in its denominator replaced by the moving average A
    (Belghazi et al. 2018 §3.2), which removes the bias of the minibatch gradient.

    Args:
        joint_scores: D on joint pairs; log_marginal: log mean e^(D_Q) of the batch.
        log_average: log A before this step; started: whether A holds a value (else A
            starts at this batch's mean).
        decay: weight of the old average (`update_log_moving_average`).

    Returns:
        (surrogate, log A after this step): maximize the first; store the second.
    """
    log_batch_mean = ops.stop_gradient(log_marginal)
    log_updated = ops.where(started, update_log_moving_average(
        log_average, log_batch_mean, decay), log_batch_mean)
    ratio = ops.exp(log_marginal - ops.stop_gradient(log_updated))
    return ops.mean(joint_scores) - ratio, log_updated


def check_samples(values, name, any_rank=False):
    """Validates one sample array and returns it as float32 NumPy.

    1-D inputs are read as n samples of one dimension; with any_rank=False the
    result is 2-D (num_samples, dim), otherwise any rank >= 2 is kept (images).

    Raises:
        ValueError: for None, a wrong rank, or NaN/inf entries.
    """
    if values is None:
        raise ValueError(f"Expected an array for {name}. Received: {name}=None")
    array = np.asarray(values, dtype="float32")
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim < 2 or (array.ndim > 2 and not any_rank):
        raise ValueError(
            f"Expected {name} of shape (num_samples, dim) or (num_samples,). "
            f"Received: {name}.shape={array.shape}")
    bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
    if bad:
        raise ValueError(
            f"Expected finite values in {name}. Received: {bad} NaN/inf entries")
    return array


def check_pairs(s, t, first_name="s", second_name="t", first_any_rank=False):
    """Validates paired samples and returns them as float32 NumPy arrays.

    Raises:
        ValueError: for mismatched lengths, fewer than 2 samples, a wrong rank,
            or NaN/inf entries.
    """
    s = check_samples(s, first_name, any_rank=first_any_rank)
    t = check_samples(t, second_name)
    if len(s) != len(t):
        raise ValueError(
            f"Expected {first_name} and {second_name} with the same number of samples. "
            f"Received: len({first_name})={len(s)}, len({second_name})={len(t)}")
    if len(s) < 2:
        raise ValueError(
            "Expected at least 2 sample pairs (marginal pairs need a shuffle). "
            f"Received: {len(s)} sample(s)")
    return s, t


def flatten_samples(values):
    """(n, ...) tensor -> (n, features); (n,) -> (n, 1)."""
    values = ops.convert_to_tensor(values)
    if len(values.shape) == 2:
        return values
    if len(values.shape) == 1:
        return ops.expand_dims(values, -1)
    return ops.reshape(values, (ops.shape(values)[0], -1))


def unpack_pairs(data):
    """Keras batch -> (first, second); second is None when only one array is given."""
    x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
    if y is None and isinstance(x, (list, tuple)):
        if len(x) != 2:
            raise ValueError(f"Expected data (s, t). Received: a tuple of {len(x)} items")
        return x[0], x[1]
    return x, y


def _finite_tensor(values, name):
    """A tensor of `values`; NumPy / list input is checked for NaN/inf first.

    Backend tensors are passed through unchecked: inside a compiled step (tf.function,
    jax.jit) their values are unknown, and an eager check would cost a host sync.
    """
    if ops.is_tensor(values) or keras.backend.is_keras_tensor(values):
        return values
    array = np.asarray(values, dtype="float32")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"Expected finite values in {name}. Received: NaN/inf entries")
    return ops.convert_to_tensor(array)


def check_pair_tensors(s, t):
    """Static length checks of a batch of pairs, and NaN/inf checks of NumPy input.

    Returns:
        (s, t) as tensors.

    Raises:
        ValueError: different static lengths, fewer than 2 pairs, or NaN/inf in
            NumPy (not tensor) input.
    """
    s, t = _finite_tensor(s, "s"), _finite_tensor(t, "t")
    num_s, num_t = s.shape[0], t.shape[0]
    if num_s is not None and num_t is not None:
        if num_s != num_t:
            raise ValueError("Expected s and t with the same number of samples. "
                             f"Received: len(s)={num_s}, len(t)={num_t}")
        if num_s < 2:
            raise ValueError("Expected at least 2 sample pairs (marginal pairs need a "
                             f"shuffle). Received: {num_s} sample(s)")
    return s, t

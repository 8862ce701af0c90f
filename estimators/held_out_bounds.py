"""The bounds of one critic on held-out pairs, computed eagerly in a few large calls.

DV / NWJ: the joint term over every pair (s_i, t_i); the marginal term over the
n(n - 1) pairs i != j when the critic's pair matrix is cheap (`critic.separable`),
else over k derangements: s of a random order against t of the same order shifted
by k distinct offsets (no s_i meets its own t_i). InfoNCE: the mean of the bound
over equal blocks that cover the pairs.

Example:
    >>> from keras import ops
    >>> from infodl.estimators.held_out_bounds import critic_bound, marginal_order
    >>> rng = np.random.default_rng(0)
    >>> s = rng.normal(size=(1000, 1)).astype("float32")
    >>> t = s + rng.normal(size=(1000, 1)).astype("float32")  # I(s; t) = log(2) / 2 = 0.35
    >>> critic = lambda pair: ops.sum(pair[0] * pair[1], axis=-1) / 2  # D(s, t) = s·t / 2
    >>> order, shifts = marginal_order(1000, 8, seed=0, seed_generator=None)
    >>> round(critic_bound(critic, "dv", s, t, order, shifts), 2)  # a lower bound
    0.13

Reference: Belghazi et al. 2018 (MINE), eq. 10; Poole et al. 2019, eq. 9 and 12.
"""

import math

import keras
import numpy as np
from keras import ops

from infodl.estimators import mi_bounds

# Rows per eager call: through the network (AA-MINE features) / through the critic.
FEATURE_CHUNK = 4096
SCORE_CHUNK = 16384
# Largest block of the held-out InfoNCE score matrix of a separable critic.
SEPARABLE_INFONCE_BLOCK = 4096


def pairwise_scores(critic, first, second):
    """The (n, n) matrix D(s_i, t_j): `critic.pairwise_scores`, else n^2 passes."""
    if hasattr(critic, "pairwise_scores"):
        return critic.pairwise_scores(first, second)
    num = ops.shape(first)[0]
    rows = ops.repeat(first, num, axis=0)
    columns = ops.tile(second, [num, 1])
    return ops.reshape(critic([rows, columns]), (num, num))


def marginal_order(num, count, seed, seed_generator):
    """A random order of the n samples and `count` distinct shifts in [1, n - 1].

    seed None draws them from `seed_generator` (Keras random); an integer fixes them.
    """
    if seed is None:
        order = np.asarray(keras.random.shuffle(ops.arange(num), seed=seed_generator))
        shifts = np.asarray(keras.random.shuffle(ops.arange(1, num),
                                                 seed=seed_generator))[:count]
    else:
        rng = np.random.default_rng(seed)
        order, shifts = rng.permutation(num), rng.permutation(np.arange(1, num))[:count]
    return order.astype("int64"), [int(shift) for shift in shifts]


def critic_bound(critic, bound, features, targets, order, shifts, batch_size=None,
                 infonce_batch_size=512):
    """The `bound` ("dv", "nwj", "infonce") of one critic on held-out (standardized)
    features and targets, a float in nats.

    Args:
        critic: a critic layer.
        bound: "dv", "nwj" or "infonce".
        features, targets: (n, d_s) and (n, d_t) critic inputs.
        order, shifts: from `marginal_order` (DV / NWJ derangements; InfoNCE blocks).
        batch_size: rows per critic call (default 16384), or the InfoNCE block size
            (default 4096 for a separable critic, else `infonce_batch_size`).
        infonce_batch_size: InfoNCE block of a critic without cheap pair scores.
    """
    num = int(ops.shape(features)[0])
    separable = getattr(critic, "separable", False)
    if bound == "infonce":
        default = SEPARABLE_INFONCE_BLOCK if separable else infonce_batch_size
        block = min(num, batch_size or default)
        block = num // -(-num // block)  # equal blocks that cover the samples
        features, targets = ops.take(features, order, 0), ops.take(targets, order, 0)
        values = [float(mi_bounds.info_nce(pairwise_scores(
            critic, features[i:i + block], targets[i:i + block])))
            for i in range(0, num - block + 1, block)]
        return float(np.mean(values))
    size = batch_size or SCORE_CHUNK
    joint = _scores(critic, features, targets, size)
    if separable:
        log_marginal = _log_mean_exp_off_diagonal(critic, features, targets)
    else:  # all derangements in one stack of rows: few large critic calls
        first_rows = np.tile(order, len(shifts))
        second_rows = np.concatenate([np.roll(order, -shift) for shift in shifts])
        marginal = _scores(critic, ops.take(features, first_rows, 0),
                           ops.take(targets, second_rows, 0), size)
        log_marginal = float(mi_bounds.log_mean_exp(marginal))
    joint_mean = float(ops.mean(joint))
    if bound == "dv":
        return joint_mean - log_marginal
    return joint_mean - math.exp(log_marginal - 1.0)


def _scores(critic, features, targets, size):
    num = int(ops.shape(features)[0])
    return ops.concatenate([critic([features[i:i + size], targets[i:i + size]])
                            for i in range(0, num, size)], axis=0)


def _log_mean_exp_off_diagonal(critic, features, targets, rows=512):
    """log mean of e^D over all pairs i != j, the n x n matrix in row blocks."""
    num = int(ops.shape(features)[0])
    parts = []
    for start in range(0, num, rows):
        block = critic.pairwise_scores(features[start:start + rows], targets)
        columns = ops.arange(num)[None, :]
        diagonal = ops.arange(start, start + int(ops.shape(block)[0]))[:, None]
        parts.append(ops.logsumexp(ops.where(columns == diagonal, -np.inf, block)))
    return float(ops.logsumexp(ops.stack(parts))) - math.log(num * (num - 1))

"""The Gaussian-copula estimate of I(X; Y): the Gaussian MI of rank-normalized features."""

import math

import numpy as np
from scipy import special, stats

from infodl import checks
from infodl.estimators import _checks
from infodl.estimators.estimate import Estimate

# A feature whose samples share values this often (ties / N) is treated as discrete:
# the normal scores of its ranks are not a Gaussian margin, and the value is flagged.
MAX_TIED_FRACTION = 0.05


class GaussianCopulaEstimator:
    """I(X; Y) in nats of the Gaussian copula of N paired samples, bias-corrected.

    Every feature is mapped to its normal scores g = Phi^-1(rank / (N + 1)) (a strictly
    increasing map of each feature, so I(X; Y) is unchanged), and the scores' sample
    covariance C (ddof 1) gives the MI of a Gaussian with that covariance, minus the
    expected bias of each log-determinant for N Gaussian samples (a Wishart mean):

        I = 1/2 [log det C_xx + log det C_yy - log det C] - 1/2 [b(d_x) + b(d_y) - b(d_x + d_y)],
        b(d) = sum_{i=1..d} psi((N - i) / 2) - d log((N - 1) / 2).

    It is exact (up to sampling) whenever the pairs are jointly Gaussian after some
    increasing map of each feature: the normal-CDF, half-cube and other marginal warps
    of a Gaussian task, in any dimension (the dense 50 x 50 Gaussian of the Beyond-Normal
    suite: 1.626 nats for 1.624 at N = 5 000, where the plain Gaussian value without the
    correction gives 1.879). With one feature per side it is a lower bound on I (up to
    sampling): the scores have Gaussian margins, and a Gaussian has the largest joint
    entropy at a given covariance. With more features per side it is not a bound: features
    of one side that are nonlinear functions of each other can make it exceed I (v and
    log(1 + v^2) on each side of the suite's normal 1 x 1 task: 0.52-0.53 for 0.413); and
    a dependence that changes no correlation of the scores (a shared scale as in a
    multivariate t, a rotation by the radius as in a spiral) is missed. It costs a
    sort per feature and one covariance: milliseconds at N = 5 000 and 100 features.
    NumPy and SciPy only (no TensorFlow).

    `trusted` is False when the value is negative (after the correction: no dependence
    it can tell from the sampling bias), when a feature is mostly tied (more than 5 % of
    its samples share a value: a discrete or rectified feature, whose copula is not
    Gaussian) or when the scores' covariance is singular (a feature is a linear function
    of others; the value is then infinite or undefined).

    Args:
        correct_bias: subtract the expected bias of the log-determinants (default
            True); False gives the plain Gaussian MI of the scores.

    Returns:
        `fit_estimate(x, y)`: an `Estimate` (a float in nats; `std` is NaN, one fit).

    Example:
        >>> from infodl.estimators import GaussianCopulaEstimator
        >>> rng = np.random.default_rng(0)
        >>> x = rng.standard_normal((2000, 1))
        >>> y = np.exp(x + rng.standard_normal((2000, 1)))   # I = 1/2 log 2 = 0.347 nats
        >>> value = GaussianCopulaEstimator().fit_estimate(x, y)
        >>> abs(value - 0.5 * np.log(2.0)) < 0.03, value.trusted
        (True, True)

    Reference: Ince et al. 2017, "A statistical framework for neuroimaging data analysis
    based on mutual information estimated via a Gaussian copula", Hum. Brain Mapp. 38,
    section 2 (the copula estimate, the lower bound in one dimension, the bias
    correction); Misra, Singh & Demchuk 2005, J. Multivar. Anal. 92 (the expected
    log-determinant of a sample covariance).
    """

    def __init__(self, correct_bias=True):
        self.correct_bias = checks.check_bool(correct_bias, "correct_bias")

    def get_config(self):
        """Returns the constructor arguments."""
        return {"correct_bias": self.correct_bias}

    def fit_estimate(self, x, y):
        """I(X; Y) in nats of the pairs' Gaussian copula, as an `Estimate`."""
        x = _checks.check_activations(x, "x").astype(np.float64)
        y = _checks.check_activations(y, "y").astype(np.float64)
        if len(x) != len(y):
            raise ValueError("Expected x and y with the same number of samples. "
                             f"Received: len(x)={len(x)}, len(y)={len(y)}")
        num, dim_x, dim_y = len(x), x.shape[1], y.shape[1]
        if num <= dim_x + dim_y + 1:
            raise ValueError("Expected more samples than features in x and y together "
                             f"plus one. Received: {num} samples, {dim_x} + {dim_y} features")
        joint = np.hstack([x, y])
        reasons = []
        ranks, tied = _ranks(joint)
        scores = special.ndtri(ranks / (num + 1))  # Phi^-1
        if np.max(tied) > MAX_TIED_FRACTION:
            reasons.append(f"{np.sum(tied > MAX_TIED_FRACTION)} feature(s) with more than "
                           f"{MAX_TIED_FRACTION:.0%} tied samples (discrete or rectified: "
                           "their copula is not Gaussian)")
        covariance = np.atleast_2d(np.cov(scores, rowvar=False))
        logdets = [np.linalg.slogdet(block) for block in (
            covariance[:dim_x, :dim_x], covariance[dim_x:, dim_x:], covariance)]
        if any(sign <= 0 or not math.isfinite(logdet) for sign, logdet in logdets):
            reasons.append("the normal scores' covariance is singular (a feature is a "
                           "linear function of others)")
            return Estimate(math.inf, reason="; ".join(reasons))
        value = 0.5 * (logdets[0][1] + logdets[1][1] - logdets[2][1])
        if self.correct_bias:
            value -= 0.5 * (logdet_bias(dim_x, num) + logdet_bias(dim_y, num)
                            - logdet_bias(dim_x + dim_y, num))
        if value < 0:
            reasons.append("the copula estimate is negative (no correlation of the normal "
                           "scores beyond their sampling bias)")
        return Estimate(float(value), reason="; ".join(reasons))


def _ranks(values):
    """(ranks 1..N of each column, the fraction of each column's samples equal to the
    next smaller one). Ties get their average rank, as in `scipy.stats.rankdata`; where
    nothing is tied one argsort per column gives the ranks, several times faster."""
    order = np.argsort(values, axis=0, kind="stable")
    ordered = np.take_along_axis(values, order, axis=0)
    tied = np.mean(ordered[1:] == ordered[:-1], axis=0) * (len(values) - 1) / len(values)
    if np.any(tied):
        return stats.rankdata(values, axis=0), tied
    ranks = np.empty(values.shape)
    np.put_along_axis(ranks, order, np.arange(1.0, len(values) + 1)[:, None], axis=0)
    return ranks, tied


def logdet_bias(dim, num):
    """E[log det S] - log det Sigma for the ddof-1 sample covariance S of `num` Gaussian
    samples in `dim` dimensions: sum_{i=1..dim} psi((num - i) / 2) - dim log((num - 1) / 2).

    Example:
        >>> from infodl.estimators.gaussian_copula import logdet_bias
        >>> round(logdet_bias(1, 5000), 6)   # about -(dim (dim + 1) / 2) / num
        -0.0002
    """
    index = np.arange(1, dim + 1)
    return float(np.sum(special.digamma((num - index) / 2.0))
                 - dim * math.log((num - 1) / 2.0))

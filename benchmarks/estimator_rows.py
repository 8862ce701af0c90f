"""The table of `benchmarks/estimator_accuracy.py` and its sections: rows, critic
labels, correlated Gaussian pairs.

Example:
    >>> from benchmarks.estimator_rows import correlated_gaussians, print_row
    >>> s, t = correlated_gaussians(1000, 2, 1.0, np.random.default_rng(0))
    >>> round(print_row("gaussian", "d=2, I=1", "MINE-DV", 1.02, 1.0, 3.0), 3)
    gaussian      d=2, I=1                 MINE-DV                1.020     1.000    +2.0%     3.0
    0.02

Reference: issue 14 (Gaussian bands) and issue 19 (families, speed) of this project.
"""

import math

import numpy as np
from scipy.special import logsumexp

ROW = "{:<13} {:<24} {:<18} {:>9} {:>9} {:>8} {:>7}  {}"
LABELS = {"dv": "MINE-DV", "nwj": "MINE-NWJ", "infonce": "MINE-InfoNCE"}


def correlated_gaussians(num, dim, mi_nats, rng):
    """s, t in R^dim, coordinate pairs correlated with rho; I = -dim/2 log(1 - rho^2)."""
    rho = correlation_of(mi_nats, dim)
    s = rng.standard_normal((num, dim))
    t = rho * s + math.sqrt(1.0 - rho**2) * rng.standard_normal((num, dim))
    return s.astype("float32"), t.astype("float32")


def correlation_of(mi_nats, dim):
    """The rho of each coordinate pair of `correlated_gaussians` with I = mi_nats."""
    return math.sqrt(1.0 - math.exp(-2.0 * mi_nats / dim))


def true_critic_dv(s, t, mi_nats, chunk=2048):
    """The DV bound of the pairs with the true critic T* = log p(s, t) / (p(s) p(t)).

    For `correlated_gaussians` pairs, T* is a sum over the coordinate pairs of
    -1/2 log(1 - rho^2) - (rho^2 (s^2 + t^2) - 2 rho s t) / (2 (1 - rho^2)), and
    mean_i T*(s_i, t_i) - log mean_{i != j} e^T*(s_i, t_j) (every off-diagonal pair as a
    marginal pair, in chunks of `chunk` rows: no shuffle noise) is what no critic can
    beat on these pairs: the sample's own information. An estimate's distance to it is
    the estimator's error; its distance to the truth is the sample's.

    Reference: Donsker-Varadhan bound, Belghazi et al. 2018 (MINE), eq. 3 (equal to I
    at the true critic).
    """
    rho = correlation_of(mi_nats, s.shape[1])
    s, t = np.asarray(s, "float64"), np.asarray(t, "float64")
    # T*(s_i, t_j) = c - a |s_i|^2 - a |t_j|^2 + b s_i . t_j
    a, b = rho**2 / (2 * (1 - rho**2)), rho / (1 - rho**2)
    c = -0.5 * s.shape[1] * math.log(1 - rho**2)
    left, right = c - a * (s**2).sum(1), -a * (t**2).sum(1)
    joint = float(np.mean(left + right + b * (s * t).sum(1)))
    num, parts = len(s), []
    for begin in range(0, num, chunk):
        scores = left[begin:begin + chunk, None] + right[None] + b * s[begin:begin + chunk] @ t.T
        rows = np.arange(begin, min(begin + chunk, num))
        scores[rows - begin, rows] = -np.inf  # the joint pairs
        parts.append(logsumexp(scores))
    return joint - float(logsumexp(parts) - math.log(num * (num - 1)))


def print_row(section, case, estimator, estimate, truth, seconds, critic=""):
    """Prints one table row; returns (estimate - truth) / truth (None without truth)."""
    relative = None if not truth else (estimate - truth) / truth
    print(ROW.format(section, case, estimator, f"{estimate:.3f}",
                     "" if truth is None else f"{truth:.3f}",
                     "" if relative is None else f"{100 * relative:+.1f}%",
                     f"{seconds:.1f}", critic).rstrip(), flush=True)
    return relative


def chosen_critics(fit):
    """Which critic each held-out half picked, per restart: "mlp" (the critic) or
    "quad" (the quadratic companion), e.g. "quad/quad" or "mlp/quad mlp/mlp"."""
    short = {"critic": "mlp", "quadratic_companion": "quad"}
    return " ".join("/".join(short[c] for c in pair) for pair in fit.chosen_critics)

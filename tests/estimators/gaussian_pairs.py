"""Correlated Gaussian pairs with a known mutual information (tests only)."""

import math

import numpy as np


def correlated_gaussians(num, dim, mi_nats, seed):
    """s, t in R^dim, each coordinate pair correlated with rho; I = -dim/2 log(1 - rho^2).

    rho = sqrt(1 - exp(-2 I / dim)) makes I(s; t) = `mi_nats` exactly.
    """
    rng = np.random.default_rng(seed)
    rho = math.sqrt(1.0 - math.exp(-2.0 * mi_nats / dim))
    s = rng.standard_normal((num, dim))
    t = rho * s + math.sqrt(1.0 - rho ** 2) * rng.standard_normal((num, dim))
    return s.astype("float32"), t.astype("float32")

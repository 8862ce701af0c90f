"""KSG: the k-nearest-neighbour estimator of I(X; Y) of Kraskov, Stögbauer & Grassberger."""

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

from infodl import checks
from infodl.estimators import _checks
from infodl.estimators.estimate import Estimate

# The k of Kraskov et al.'s experiments and of scikit-learn's `mutual_info_regression`.
DEFAULT_NEIGHBORS = 3
# Kraskov et al. (section II) add noise of amplitude 1e-10 to break ties of discrete data.
DEFAULT_NOISE = 1e-10
# Points per tree query: bounds the (chunk, k + 1) neighbour arrays and the counts.
_QUERY_CHUNK = 16384


class KSGEstimator:
    """Estimator 1 of Kraskov et al. (KSG) of I(X; Y) in nats, from N paired samples.

    For each sample i, eps_i is the max-norm distance from z_i = (x_i, y_i) to its k-th
    nearest neighbour in the joint space, ||z|| = max(||x||_inf, ||y||_inf); n_x(i) and
    n_y(i) count the other samples strictly closer than eps_i in each marginal space:

        I(X; Y) = psi(k) + psi(N) - < psi(n_x + 1) + psi(n_y + 1) >

    (psi the digamma function, < > the mean over i). Neighbours come from
    `scipy.spatial.cKDTree` queries in chunks of points, so memory grows as N (k + 1),
    never N^2: N = 100 000 takes a few megabytes. NumPy and SciPy only (no TensorFlow).

    The estimate depends on the scale of each feature (MI does not): with `scale=True`
    (default) every feature is divided by its standard deviation first, as
    scikit-learn's `mutual_info_regression` does. Tied samples (discrete or rounded
    data) make eps_i = 0; `noise` adds N(0, noise^2) to every standardized feature, drawn
    from `seed`, to break them (Kraskov et al. add 1e-10; scikit-learn does too).
    A 1-D array is one feature; (N, ...) arrays are flattened per sample.

    Args:
        k: neighbours, an integer >= 1 (default 3, Kraskov et al.'s and
            scikit-learn's default; larger k: less variance, more bias).
        scale: divide each feature by its standard deviation (ddof 0) first; a
            constant feature is left as it is.
        noise: standard deviation of the tie-breaking noise (0 turns it off).
        seed: seed of that noise (an integer >= 0).

    Returns:
        `fit_estimate(x, y)`: an `Estimate` (a float in nats; `std` is NaN, one fit).

    Example:
        >>> from infodl.estimators import KSGEstimator
        >>> rng = np.random.default_rng(0)
        >>> x = rng.standard_normal((2000, 1))
        >>> y = x + rng.standard_normal((2000, 1))      # I = 1/2 log 2 = 0.347 nats
        >>> value = KSGEstimator().fit_estimate(x, y)
        >>> abs(value - 0.5 * np.log(2.0)) < 0.05, value.trusted
        (True, True)

    Reference: Kraskov, Stögbauer & Grassberger 2004, "Estimating mutual information",
    Phys. Rev. E 69, 066138, eq. 8 (estimator 1).
    """

    def __init__(self, k=DEFAULT_NEIGHBORS, scale=True, noise=DEFAULT_NOISE, seed=0):
        self.k = checks.check_integer(k, "k")
        self.scale = checks.check_bool(scale, "scale")
        self.noise = checks.check_non_negative(noise, "noise")
        self.seed = checks.check_integer(seed, "seed", minimum=0)
        self.last_counts = None

    def get_config(self):
        """Returns the constructor arguments."""
        return {"k": self.k, "scale": self.scale, "noise": self.noise, "seed": self.seed}

    def prepared(self, x, y):
        """The (N, dx), (N, dy) float64 arrays the neighbours are searched in: checked,
        flattened, scaled per feature and with the tie-breaking noise added."""
        x = _checks.check_activations(x, "x").astype(np.float64)
        y = _checks.check_activations(y, "y").astype(np.float64)
        if len(x) != len(y):
            raise ValueError("Expected x and y with the same number of samples. "
                             f"Received: len(x)={len(x)}, len(y)={len(y)}")
        if len(x) <= self.k:
            raise ValueError(f"Expected more than k={self.k} samples. Received: {len(x)}")
        rng = np.random.default_rng(self.seed)
        sides = []
        for values in (x, y):
            if self.scale:
                std = values.std(axis=0)
                values = values / np.where(std > 0, std, 1.0)
            if self.noise:
                values = values + self.noise * rng.standard_normal(values.shape)
            sides.append(values)
        return tuple(sides)

    def neighbour_counts(self, x, y):
        """(eps, n_x, n_y) of every sample on `prepared` arrays x, y (no other change):
        eps_i the joint max-norm distance to the k-th neighbour, n_x(i), n_y(i) the
        other samples at a distance < eps_i in each marginal."""
        joint = np.concatenate([x, y], axis=1)
        trees = [cKDTree(values) for values in (joint, x, y)]
        num = len(joint)
        eps = np.empty(num)
        counts = [np.empty(num, dtype=np.int64), np.empty(num, dtype=np.int64)]
        for start in range(0, num, _QUERY_CHUNK):
            rows = slice(start, start + _QUERY_CHUNK)
            distances, _ = trees[0].query(joint[rows], k=self.k + 1, p=np.inf)
            eps[rows] = distances[:, -1]
            # Strictly closer than eps: the largest radius below it, minus the point itself.
            radius = np.nextafter(eps[rows], 0.0)
            for count, tree, values in zip(counts, trees[1:], (x, y), strict=True):
                found = tree.query_ball_point(values[rows], radius, p=np.inf,
                                              return_length=True)
                count[rows] = np.where(eps[rows] > 0, found - 1, 0)
        return eps, counts[0], counts[1]

    def fit_estimate(self, x, y):
        """I(X; Y) in nats by KSG estimator 1, as an `Estimate` (`last_counts` keeps
        (eps, n_x, n_y)). A negative value (KSG's bias at I near 0) is not trusted."""
        x, y = self.prepared(x, y)
        eps, count_x, count_y = self.last_counts = self.neighbour_counts(x, y)
        value = float(digamma(self.k) + digamma(len(x))
                      - np.mean(digamma(count_x + 1) + digamma(count_y + 1)))
        reason = ("the KSG estimate is negative (no dependence it can tell from its bias)"
                  if value < 0 else "")
        return Estimate(value, reason=reason)

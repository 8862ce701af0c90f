"""Pairs (x, y) with a closed-form mutual information beyond plain Gaussians.

Shared by `benchmarks/estimator_accuracy.py` (sections studentt, marginal, spiral,
additive) and the tests of the truths (tests/estimators/test_mi_tasks.py). Each
generator takes (num, rng) plus its parameters and returns float32 arrays (num, dx),
(num, dy); each family has its truth in nats:

- Student-t: (x, y) the two blocks of a joint multivariate t with nu degrees of
  freedom and correlation matrix R (identity dispersion unless given):
      I = I_Gauss(R) + c(nu, dx, dy),   I_Gauss = 1/2 log(det R_xx det R_yy / det R),
      c = log G(nu/2) + log G((nu+dx+dy)/2) - log G((nu+dx)/2) - log G((nu+dy)/2)
          + (nu+dx)/2 psi((nu+dx)/2) + (nu+dy)/2 psi((nu+dy)/2)
          - (nu+dx+dy)/2 psi((nu+dx+dy)/2) - nu/2 psi(nu/2),
  from h = 1/2 log det S + log[(nu pi)^(d/2) G(nu/2) / G((nu+d)/2)]
  + (nu+d)/2 [psi((nu+d)/2) - psi(nu/2)] (the marginals of a joint t are t with the
  same nu); c -> 0 as nu -> infinity (the Gaussian). The dependence lives in the
  shared scale, so even uncorrelated blocks (R = I) carry c > 0.
- Marginal maps: correlated Gaussian pairs with every coordinate pushed through a
  strictly increasing map (normal CDF, asinh, x^3, half-cube |x|^1.5 sign x, a wiggly
  x + sum a_k sin(w_k x + phi_k) with sum a_k w_k < 1): I is unchanged.
- Spiral: x rotated in its first two coordinates by an angle speed * |x|^2; the radius
  is kept, so the map is invertible (and volume-preserving): I of the Gaussian.
- Additive noise: y = x + n, Gaussian x, n: 1/2 log(1 + SNR) per coordinate; uniform
  x ~ U(0, 1), n ~ U(-eps, eps): I = eps - log(2 eps) for eps <= 1/2 (h(y) = eps),
  1 / (4 eps) above.

Example:
    >>> import numpy as np
    >>> from benchmarks.mi_tasks import student_t_mi, student_t_pairs
    >>> x, y = student_t_pairs(1000, 2, 2, dof=1, rng=np.random.default_rng(0))
    >>> round(student_t_mi(1, 2, 2), 3)
    0.432

Reference: Czyz et al. 2023, "Beyond normal: on the evaluation of mutual information
estimators" (the families); Arellano-Valle, Contreras-Reyes & Genton 2013 (entropy
and MI of the multivariate t); Cover & Thomas, section 8.6 (invariance under
invertible maps).
"""

import math

import numpy as np
from scipy.special import digamma, gammaln, ndtr

# The wiggly map x + sum a_k sin(w_k x + phi_k): sum a_k w_k = 0.803 < 1 keeps it
# strictly increasing (derivative >= 0.197).
WIGGLY_TERMS = ((0.3, 1.0, 0.0), (0.15, 1.7, 1.0), (0.08, 3.1, 2.0))


def _float32(*arrays):
    return tuple(np.asarray(a, "float32") for a in arrays)


def gaussian_mi(correlation, dim_x):
    """1/2 log(det R_xx det R_yy / det R) of a joint correlation matrix R (nats)."""
    correlation = np.asarray(correlation, "float64")
    logdet = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
    return 0.5 * (logdet(correlation[:dim_x, :dim_x]) + logdet(correlation[dim_x:, dim_x:])
                  - logdet(correlation))


def paired_correlation(dim_x, dim_y, rhos):
    """The (dx + dy) correlation matrix with corr(x_i, y_i) = rhos[i] (others 0)."""
    matrix = np.eye(dim_x + dim_y)
    for i, rho in enumerate(rhos):
        matrix[i, dim_x + i] = matrix[dim_x + i, i] = rho
    return matrix


def rhos_for(mi_nats, pairs):
    """Correlations of `pairs` coordinate pairs that share `mi_nats` evenly."""
    return [math.sqrt(1.0 - math.exp(-2.0 * mi_nats / pairs))] * pairs


def student_t_correction(dof, dim_x, dim_y):
    """c(nu, dx, dy) = I(t) - I(Gaussian of the same correlation) in nats (>= 0)."""
    nu, total = float(dof), dof + dim_x + dim_y
    return float(gammaln(nu / 2) + gammaln(total / 2) - gammaln((nu + dim_x) / 2)
                 - gammaln((nu + dim_y) / 2) + (nu + dim_x) / 2 * digamma((nu + dim_x) / 2)
                 + (nu + dim_y) / 2 * digamma((nu + dim_y) / 2)
                 - total / 2 * digamma(total / 2) - nu / 2 * digamma(nu / 2))


def student_t_mi(dof, dim_x, dim_y, correlation=None):
    """I(X; Y) of the blocks of a joint t (identity correlation unless given)."""
    gaussian = 0.0 if correlation is None else gaussian_mi(correlation, dim_x)
    return gaussian + student_t_correction(dof, dim_x, dim_y)


def student_t_pairs(num, dim_x, dim_y, dof, rng, correlation=None):
    """x, y: the blocks of z / sqrt(w / nu), z ~ N(0, R), w ~ chi^2_nu."""
    total = dim_x + dim_y
    correlation = np.eye(total) if correlation is None else np.asarray(correlation)
    z = rng.standard_normal((num, total)) @ np.linalg.cholesky(correlation).T
    joint = z / np.sqrt(rng.chisquare(dof, (num, 1)) / dof)
    return _float32(joint[:, :dim_x], joint[:, dim_x:])


def gaussian_pairs(num, dim_x, dim_y, rhos, rng):
    """x, y Gaussian with corr(x_i, y_i) = rhos[i]; I = -1/2 sum log(1 - rho_i^2)."""
    correlation = paired_correlation(dim_x, dim_y, rhos)
    z = rng.standard_normal((num, dim_x + dim_y)) @ np.linalg.cholesky(correlation).T
    return z[:, :dim_x], z[:, dim_x:]


def half_cube(values):
    return np.sign(values) * np.abs(values) ** 1.5


def wiggly(values):
    return values + sum(a * np.sin(w * values + phase) for a, w, phase in WIGGLY_TERMS)


MARGINAL_MAPS = {"normal_cdf": ndtr, "asinh": np.arcsinh, "cube": lambda v: v ** 3,
                 "half_cube": half_cube, "wiggly": wiggly}


def mapped_pairs(num, dim_x, dim_y, rhos, rng, mapping, base="gaussian", dof=None):
    """Gaussian (or Student-t, base="t") pairs, every coordinate through `mapping`."""
    if base == "t":
        x, y = student_t_pairs(num, dim_x, dim_y, dof, rng,
                               paired_correlation(dim_x, dim_y, rhos))
    else:
        x, y = gaussian_pairs(num, dim_x, dim_y, rhos, rng)
    function = MARGINAL_MAPS[mapping]
    return _float32(function(np.asarray(x, "float64")), function(np.asarray(y, "float64")))


def spiral(values, speed=0.5, plane=(0, 1)):
    """Rotation of the coordinates `plane` = (i, j) by the angle speed * |x|^2 (|x| kept)."""
    values = np.asarray(values, "float64")
    angle = speed * np.sum(values ** 2, axis=1)
    cos, sin = np.cos(angle), np.sin(angle)
    first, second = plane
    out = values.copy()
    out[:, first] = cos * values[:, first] - sin * values[:, second]
    out[:, second] = sin * values[:, first] + cos * values[:, second]
    return out


def unspiral(values, speed=0.5, plane=(0, 1)):
    """The inverse of `spiral` (the radius, hence the angle, is unchanged)."""
    return spiral(values, -speed, plane)


def spiral_pairs(num, dim_x, dim_y, rhos, rng, speed=0.5):
    """Gaussian pairs with x spiral-warped (dim_x >= 2); I of the Gaussian."""
    x, y = gaussian_pairs(num, dim_x, dim_y, rhos, rng)
    return _float32(spiral(x, speed), y)


def additive_gaussian_pairs(num, dim, snr, rng):
    """y = x + n, x ~ N(0, I), n ~ N(0, I / snr); I = dim / 2 log(1 + snr)."""
    x = rng.standard_normal((num, dim))
    return _float32(x, x + rng.standard_normal((num, dim)) / math.sqrt(snr))


def additive_gaussian_mi(dim, snr):
    return 0.5 * dim * math.log1p(snr)


def additive_uniform_pairs(num, eps, rng):
    """y = x + n, x ~ U(0, 1), n ~ U(-eps, eps) (one coordinate)."""
    x = rng.uniform(0.0, 1.0, (num, 1))
    return _float32(x, x + rng.uniform(-eps, eps, (num, 1)))


def additive_uniform_mi(eps):
    """eps - log(2 eps) for 0 < eps <= 1/2, 1 / (4 eps) above (h(y) = log(2 eps) +
    1 / (4 eps) there: two linear ramps of width 1 around a plateau of density 1 / (2 eps))."""
    if not eps > 0:
        raise ValueError(f"Expected eps > 0. Received: eps={eps}")
    return eps - math.log(2.0 * eps) if eps <= 0.5 else 1.0 / (4.0 * eps)


def benchmark_tasks():
    """{section: [(name, make(num, rng) -> (x, y), truth)]}: the benchmark's cases."""
    sparse = [0.8, 0.8, 0, 0, 0]  # two of five coordinate pairs correlated
    tasks = {"studentt": [], "marginal": [], "spiral": [], "additive": []}
    for dim, dof in ((1, 1), (2, 1), (3, 2), (5, 3)):
        tasks["studentt"].append((
            f"t {dim}x{dim} nu={dof}",
            lambda n, rng, d=dim, v=dof: student_t_pairs(n, d, d, v, rng),
            student_t_mi(dof, dim, dim)))
    corr = paired_correlation(3, 3, [0.6] * 3)
    tasks["studentt"].append(("t 3x3 nu=5 rho=.6",
                              lambda n, rng: student_t_pairs(n, 3, 3, 5, rng, corr),
                              student_t_mi(5, 3, 3, corr)))
    gaussian_truth = lambda rhos: -0.5 * sum(math.log(1 - r * r) for r in rhos)  # noqa: E731
    for mapping, dim, rhos in (("normal_cdf", 5, sparse), ("cube", 1, rhos_for(1, 1)),
                               ("half_cube", 2, rhos_for(1, 2)), ("wiggly", 1, rhos_for(1, 1)),
                               ("wiggly", 5, rhos_for(1, 5))):
        tasks["marginal"].append((
            f"{mapping} {dim}x{dim}",
            lambda n, rng, m=mapping, d=dim, r=rhos: mapped_pairs(n, d, d, r, rng, m),
            gaussian_truth(rhos)))
    tasks["marginal"].append((
        "asinh(t) 1x1 nu=1", lambda n, rng: mapped_pairs(n, 1, 1, [0.0], rng, "asinh", "t", 1),
        student_t_mi(1, 1, 1)))
    for dim in (3,):
        tasks["spiral"].append((
            f"spiral {dim}x{dim}",
            lambda n, rng, d=dim: spiral_pairs(n, d, d, rhos_for(1, d), rng), 1.0))
    tasks["additive"].append(("gauss 1x1 snr=19",
                              lambda n, rng: additive_gaussian_pairs(n, 1, 19.0, rng),
                              additive_gaussian_mi(1, 19.0)))
    for eps in (0.1,):
        tasks["additive"].append((f"uniform eps={eps:g}",
                                  lambda n, rng, e=eps: additive_uniform_pairs(n, e, rng),
                                  additive_uniform_mi(eps)))
    return tasks

"""The 40 tasks of the Beyond-Normal benchmark (version 1), samplers and truths written here.

Each task draws N pairs (x, y) from a distribution whose I(X; Y) is known in closed
form, then rescales every coordinate to zero mean and unit variance (an invertible
affine map per coordinate: I unchanged; it is what the benchmark feeds its estimators,
and KSG depends on scale). The families, as the benchmark builds them:

- Gaussian: bivariate normal 1x1 (rho = 0.75); "dense" d x d, every correlation 0.5;
  "2-pair" d x d, corr(x_i, y_i) = 0.8 for i < 2 and 0 otherwise (the latent-variable
  model of the benchmark with lambda = eta = 2, epsilon = 1). I = 1/2 log(det R_xx
  det R_yy / det R).
- Student-t with identity dispersion, nu degrees of freedom: I = c(nu, dx, dy)
  (`mi_tasks.student_t_correction`).
- Additive noise: x ~ U(0, 1), y = x + U(-eps, eps): eps - log(2 eps) for eps <= 1/2,
  1 / (4 eps) above.
- Invertible maps of a base task, each with the base's I: the normal CDF (uniform
  margins), the half-cube x |x|^(1/2), asinh, the benchmark's wiggly maps, the
  bimodal inverse CDFs of 0.3 N(0, 1) + 0.7 N(5, 1) (x) and 0.5 N(-1, 1) + 0.5 N(3, 1)
  (y) applied to uniform margins, the spiral x -> rotation of the plane (0, 1) of x
  (and (1, 2) of y) by the angle |x|^2 / d, and the Swiss roll 2 x 1: the uniform x
  embedded in the plane as (t cos t, t sin t) / 21, t = 3 pi / 2 (1 + 2 x) (injective).

Example:
    >>> from benchmarks.beyond_normal_tasks import TASKS
    >>> task = TASKS["Multinormal 5x5 (2-pair)"]
    >>> x, y = task.sample(100, seed=0)
    >>> x.shape, y.shape, float(round(task.truth, 4))
    ((100, 5), (100, 5), 1.0217)

Reference: Czyz, Grabowski, Vogt, Beerenwinkel & Marx 2023, "Beyond normal: on the
evaluation of mutual information estimators" (NeurIPS), section 4 and appendix D (the
40 tasks); Cover & Thomas, section 8.6 (invariance under invertible maps).
"""

import dataclasses
import math
from collections.abc import Callable

import numpy as np
from scipy.special import ndtr

from benchmarks import mi_tasks

NUM_SAMPLES = 5000
BIVARIATE_CORRELATION = 0.75


def dense_correlation(dim_x, dim_y, off_diagonal=0.5):
    """The (dx + dy) correlation matrix with every off-diagonal entry `off_diagonal`."""
    return np.eye(dim_x + dim_y) * (1 - off_diagonal) + off_diagonal


def two_pair_correlation(dim_x, dim_y):
    """corr(x_i, y_i) = 4 / 5 for i < 2, all else independent (lambda = eta = 2)."""
    return mi_tasks.paired_correlation(dim_x, dim_y, [0.8, 0.8])


def _gaussian(correlation, dim_x):
    def draw(num, rng):
        z = rng.standard_normal((num, len(correlation))) @ np.linalg.cholesky(correlation).T
        return z[:, :dim_x], z[:, dim_x:]
    return draw


def _student(dof, dim_x, dim_y):
    def draw(num, rng):
        x, y = mi_tasks.student_t_pairs(num, dim_x, dim_y, dof, rng)
        return np.asarray(x, "float64"), np.asarray(y, "float64")
    return draw


def _additive(eps):
    def draw(num, rng):
        x = rng.uniform(0.0, 1.0, (num, 1))
        return x, x + rng.uniform(-eps, eps, (num, 1))
    return draw


def half_cube(values):
    return values * np.sqrt(np.abs(values))


def wiggly_x(values):
    return (values + 0.4 * np.sin(values) + 0.2 * np.sin(1.7 * values + 1)
            + 0.03 * np.sin(3.3 * values - 2.5))


def wiggly_y(values):
    return (values - 0.4 * np.sin(0.4 * values) + 0.17 * np.sin(1.3 * values + 3.5)
            + 0.02 * np.sin(4.3 * values - 2.5))


def mixture_quantile(u, weights, means, iterations=80):
    """The inverse CDF of sum_k w_k N(m_k, 1) at u in (0, 1), by bisection (vectorized)."""
    low = np.full(np.shape(u), min(means) - 40.0)
    high = np.full(np.shape(u), max(means) + 40.0)
    for _ in range(iterations):
        middle = 0.5 * (low + high)
        below = sum(w * ndtr(middle - m) for w, m in zip(weights, means, strict=True)) < u
        low, high = np.where(below, middle, low), np.where(below, high, middle)
    return 0.5 * (low + high)


BIMODAL_X = ((0.3, 0.7), (0.0, 5.0))
BIMODAL_Y = ((0.5, 0.5), (-1.0, 3.0))


def swiss_roll(values):
    """(N, 1) in [0, 1] -> (N, 2) on the Swiss roll, injective."""
    t = 1.5 * math.pi * (1 + 2 * values[:, 0])
    return np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / 21.0


def _mapped(base, map_x, map_y=None):
    map_y = map_x if map_y is None else map_y

    def draw(num, rng):
        x, y = base(num, rng)
        return map_x(x), map_y(y)
    return draw


def _spiralled(base, dim_x, dim_y):
    return _mapped(base, lambda x: mi_tasks.spiral(x, 1.0 / dim_x, (0, 1)),
                   lambda y: mi_tasks.spiral(y, 1.0 / dim_y, (1, 2)))


@dataclasses.dataclass(frozen=True)
class Task:
    """One task: its name, family, dimensions, truth (nats) and sampler."""

    name: str
    family: str
    dim_x: int
    dim_y: int
    truth: float
    draw: Callable = dataclasses.field(repr=False, compare=False)

    def sample(self, num=NUM_SAMPLES, seed=0, standardize=True):
        """N pairs as float32 arrays, each coordinate rescaled to mean 0, variance 1."""
        rng = np.random.default_rng((seed, _stable_hash(self.name)))
        x, y = (np.asarray(v, "float64").reshape(num, -1) for v in self.draw(num, rng))
        if standardize:
            x, y = ((v - v.mean(axis=0)) / v.std(axis=0) for v in (x, y))
        return x.astype("float32"), y.astype("float32")


def _stable_hash(text):
    """A seed part from the task's name (Python's hash() changes between runs)."""
    return int.from_bytes(text.encode(), "little") % (2**63)


def build_tasks():
    """{name: Task} in the benchmark's order (one-dimensional, embedding, Gaussian,
    Student-t, transformed)."""
    binormal = _gaussian(mi_tasks.paired_correlation(1, 1, [BIVARIATE_CORRELATION]), 1)
    binormal_mi = mi_tasks.gaussian_mi(
        mi_tasks.paired_correlation(1, 1, [BIVARIATE_CORRELATION]), 1)
    uniform = _mapped(binormal, ndtr)
    tasks = [
        Task("Normal 1x1", "normal", 1, 1, binormal_mi, binormal),
        Task("Uniform margins 1x1", "normal_cdf", 1, 1, binormal_mi, uniform),
        Task("Additive noise 1x1 eps=0.1", "additive", 1, 1,
             mi_tasks.additive_uniform_mi(0.1), _additive(0.1)),
        Task("Additive noise 1x1 eps=0.75", "additive", 1, 1,
             mi_tasks.additive_uniform_mi(0.75), _additive(0.75)),
        Task("Bimodal 1x1", "bimodal", 1, 1, binormal_mi, _mapped(
            uniform, lambda u: mixture_quantile(u, *BIMODAL_X),
            lambda u: mixture_quantile(u, *BIMODAL_Y))),
        Task("Wiggly @ Normal 1x1", "wiggly", 1, 1, binormal_mi,
             _mapped(binormal, wiggly_x, wiggly_y)),
        Task("Half-cube @ Normal 1x1", "half_cube", 1, 1, binormal_mi,
             _mapped(binormal, half_cube)),
        Task("Student-t 1x1 nu=1", "student", 1, 1, mi_tasks.student_t_mi(1, 1, 1),
             _student(1, 1, 1)),
        Task("Asinh @ Student-t 1x1 nu=1", "asinh", 1, 1, mi_tasks.student_t_mi(1, 1, 1),
             _mapped(_student(1, 1, 1), np.arcsinh)),
        Task("Swiss roll 2x1", "swiss_roll", 2, 1, binormal_mi,
             _mapped(uniform, swiss_roll, lambda y: y)),
    ]
    for dim in (2, 3, 5, 25, 50):
        correlation = dense_correlation(dim, dim)
        tasks.append(Task(f"Multinormal {dim}x{dim} (dense)", "dense", dim, dim,
                          mi_tasks.gaussian_mi(correlation, dim), _gaussian(correlation, dim)))
    two_pair = {}
    for dim in (2, 3, 5, 25):
        correlation = two_pair_correlation(dim, dim)
        two_pair[dim] = (_gaussian(correlation, dim), mi_tasks.gaussian_mi(correlation, dim))
        tasks.append(Task(f"Multinormal {dim}x{dim} (2-pair)", "two_pair", dim, dim,
                          two_pair[dim][1], two_pair[dim][0]))
    for dim, dof in ((2, 1), (2, 2), (3, 2), (3, 3), (5, 2), (5, 3)):
        tasks.append(Task(f"Student-t {dim}x{dim} nu={dof}", "student", dim, dim,
                          mi_tasks.student_t_mi(dof, dim, dim), _student(dof, dim, dim)))
    for label, family, mapping in (("Normal CDF", "normal_cdf", ndtr),
                                   ("Half-cube", "half_cube", half_cube)):
        for dim in (3, 5, 25):
            draw, truth = two_pair[dim]
            tasks.append(Task(f"{label} @ Multinormal {dim}x{dim} (2-pair)", family, dim, dim,
                              truth, _mapped(draw, mapping)))
    for dim in (3, 5, 25):
        draw, truth = two_pair[dim]
        tasks.append(Task(f"Spiral @ Multinormal {dim}x{dim} (2-pair)", "spiral", dim, dim,
                          truth, _spiralled(draw, dim, dim)))
    for dim in (3, 5, 25):
        draw, truth = two_pair[dim]
        tasks.append(Task(f"Spiral @ Normal CDF @ Multinormal {dim}x{dim} (2-pair)", "spiral",
                          dim, dim, truth, _spiralled(_mapped(draw, ndtr), dim, dim)))
    for dim, dof in ((2, 1), (3, 2), (5, 2)):
        tasks.append(Task(f"Asinh @ Student-t {dim}x{dim} nu={dof}", "asinh", dim, dim,
                          mi_tasks.student_t_mi(dof, dim, dim),
                          _mapped(_student(dof, dim, dim), np.arcsinh)))
    return {task.name: task for task in tasks}


TASKS = build_tasks()

# The default subset: one task of each family, the two hard ones of issue 33 included.
DEFAULT_TASKS = (
    "Normal 1x1", "Uniform margins 1x1", "Additive noise 1x1 eps=0.75", "Bimodal 1x1",
    "Wiggly @ Normal 1x1", "Asinh @ Student-t 1x1 nu=1", "Swiss roll 2x1",
    "Multinormal 5x5 (dense)", "Multinormal 25x25 (2-pair)", "Student-t 5x5 nu=3",
    "Half-cube @ Multinormal 5x5 (2-pair)", "Spiral @ Multinormal 5x5 (2-pair)",
)

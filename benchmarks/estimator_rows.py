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

ROW = "{:<13} {:<24} {:<18} {:>9} {:>9} {:>8} {:>7}  {}"
LABELS = {"dv": "MINE-DV", "nwj": "MINE-NWJ", "infonce": "MINE-InfoNCE"}


def correlated_gaussians(num, dim, mi_nats, rng):
    """s, t in R^dim, coordinate pairs correlated with rho; I = -dim/2 log(1 - rho^2)."""
    rho = math.sqrt(1.0 - math.exp(-2.0 * mi_nats / dim))
    s = rng.standard_normal((num, dim))
    t = rho * s + math.sqrt(1.0 - rho**2) * rng.standard_normal((num, dim))
    return s.astype("float32"), t.astype("float32")


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

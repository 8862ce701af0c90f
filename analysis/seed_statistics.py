"""Mean ± standard deviation over seeds: the one rule every table and results file uses.

The spread is the sample standard deviation (ddof = 1) of the per-seed values. One
seed has no spread to measure: its std is None (JSON null), written "(1 seed)" in a
table, never 0. A None entry (a seed that lacks the number) is left out.

Example:
    >>> from infodl.analysis.seed_statistics import mean_and_std, mean_std_text
    >>> mean_and_std([0.5, 1.0, 1.5])
    (1.0, 0.5)
    >>> mean_and_std([0.75, None])
    (0.75, None)
    >>> mean_std_text([0.5, 1.0, 1.5], ".1f", scale=100), mean_std_text([0.75], ".1f", 100)
    ('100.0 ± 50.0', '75.0 (1 seed)')

Reference: the sample standard deviation of P2 Tables 1-2 ("mean ± std over samples").
"""

import numpy as np


def mean_and_std(values):
    """(mean, sample std with ddof 1) of the non-None values, as floats.

    Returns:
        (mean, std); std is None for one value; (None, None) for none.
    """
    values = np.asarray([v for v in values if v is not None], np.float64)
    if values.size == 0:
        return None, None
    std = float(np.std(values, ddof=1)) if values.size > 1 else None
    return float(np.mean(values)), std


def mean_std_text(values, form=".2f", scale=1.0):
    """"mean ± std" of the values times `scale` in the format `form`; "m (1 seed)" for one
    value, "—" for none."""
    mean, std = mean_and_std(values)
    if mean is None:
        return "—"
    if std is None:
        return f"{mean * scale:{form}} (1 seed)"
    return f"{mean * scale:{form}} ± {std * scale:{form}}"

"""What one `MINE.fit_estimate` call measured: the estimate, its spread, the curves."""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class FitResult:
    """The record of the last `fit_estimate` call (`MINE.last_fit`).

    With k restarts (fresh split, critic initialisation and shuffles each):

        value = (1/k) sum_r v_r,   std = sqrt( sum_r (v_r - value)^2 / (k - 1) )

    where v_r is restart r's bound on its reporting half of the held-out pairs
    (std is NaN for k = 1). The held-out curves show how settled each fit was.

    Args:
        value: the estimate returned by `fit_estimate` (nats).
        std: spread of the per-restart values (ddof = 1; NaN for one restart).
        values: per-restart values (nats).
        curves: per restart, the held-out curve as ((step, value), ...) on the
            selection half, one point per evaluation.
        steps: per restart, the number of critic steps run.
        best_steps: per restart, the step whose critic was kept.
        seconds: wall time of the whole call.
        chosen_critics: per restart, the critic each held-out half picked
            ("critic" or "quadratic_companion"), as a pair.

    Example:
        >>> mine = MINE(seed=0)
        >>> value = mine.fit_estimate(s, t, restarts=3, verbose=0)
        >>> mine.last_fit.value == value, mine.last_fit.std  # (True, spread in nats)

    Reference: Belghazi et al. 2018 (MINE), section 3.2 (held-out estimate); the
    spread answers the seed-to-seed variation of P3's AA-MINE estimates.
    """

    value: float
    std: float
    values: tuple
    curves: tuple
    steps: tuple
    best_steps: tuple
    seconds: float
    chosen_critics: tuple = ()

    @classmethod
    def from_restarts(cls, values, curves, steps, best_steps, seconds, chosen_critics=()):
        """Builds the record from per-restart lists (mean, ddof-1 std)."""
        values = tuple(float(v) for v in values)
        std = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
        return cls(value=float(np.mean(values)), std=std, values=values,
                   curves=tuple(tuple(curve) for curve in curves),
                   steps=tuple(int(s) for s in steps),
                   best_steps=tuple(int(s) for s in best_steps), seconds=float(seconds),
                   chosen_critics=tuple(tuple(c) for c in chosen_critics))

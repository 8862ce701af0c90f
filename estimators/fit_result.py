"""What one `MINE.fit_estimate` call measured: the estimate, its spread, the curves."""

import dataclasses
import math
import warnings

import numpy as np

# Restarts "disagree" when their spread exceeds this many times the held-out noise of
# one restart (half the difference of its two cross-fitted halves, RMS over restarts).
DISAGREEMENT_FACTOR = 2.0


@dataclasses.dataclass(frozen=True)
class FitResult:
    """The record of the last `fit_estimate` call (`MINE.last_fit`).

    With k restarts (fresh split, critic initialisation and shuffles each):

        value = (1/k) sum_r v_r,   std = sqrt( sum_r (v_r - value)^2 / (k - 1) )

    where v_r = (a_r + b_r) / 2 is restart r's cross-fitted bound, a_r and b_r its
    two held-out halves' values (std is NaN for k = 1). `trusted` is False, with the
    reasons in `reason`, when

    - value < 0: a valid value of a lower bound, but the critic found no dependence
      it could tell from noise (I(S; T) >= 0 may be 0, or too small or too complex
      for these samples and steps);
    - k > 1 and std > 2 sqrt(mean_r ((a_r - b_r) / 2)^2): the restarts disagree
      beyond the held-out noise of one fit (training, not sampling, sets the value);
    - a restart ran all its steps without the stopping rule firing (the held-out
      curve was still rising: more steps may give a larger value).

    Args:
        value: the estimate returned by `fit_estimate` (nats).
        std: spread of the per-restart values (ddof = 1; NaN for one restart).
        values: per-restart values (nats).
        curves: per restart, the held-out curve ((step, value), ...).
        steps: per restart, the number of critic steps run.
        best_steps: per restart, the step whose critic was kept.
        seconds: wall time of the whole call.
        chosen_critics: per restart, the critic each held-out half picked.
        half_values: per restart, (a_r, b_r).
        stopped_early: per restart, whether the stopping rule fired.

    Example:
        >>> from infodl.estimators import FitResult
        >>> fit = FitResult.from_restarts([0.5, 0.3], [(), ()], [100, 100], [50, 60], 1.0,
        ...                               half_values=[(0.5, 0.5), (0.3, 0.3)],
        ...                               stopped_early=[True, True])
        >>> round(fit.value, 6), fit.trusted
        (0.4, False)
        >>> fit.reason
        'the restarts disagree (std 0.141 nats) beyond the held-out noise of one fit (0 nats)'

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
    half_values: tuple = ()
    stopped_early: tuple = ()
    reason: str = ""

    @property
    def trusted(self):
        """False when `reason` names a cause for doubt (see the class docstring)."""
        return not self.reason

    @classmethod
    def from_restarts(cls, values, curves, steps, best_steps, seconds, chosen_critics=(),
                      half_values=(), stopped_early=()):
        """Builds the record from per-restart lists (mean, ddof-1 std, trust)."""
        values = tuple(float(v) for v in values)
        std = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
        half_values = tuple(tuple(float(v) for v in pair) for pair in half_values)
        stopped_early = tuple(bool(s) for s in stopped_early)
        value = float(np.mean(values))
        return cls(value=value, std=std, values=values,
                   curves=tuple(tuple(curve) for curve in curves),
                   steps=tuple(int(s) for s in steps),
                   best_steps=tuple(int(s) for s in best_steps), seconds=float(seconds),
                   chosen_critics=tuple(tuple(c) for c in chosen_critics),
                   half_values=half_values, stopped_early=stopped_early,
                   reason=_doubts(value, std, half_values, stopped_early))

    def warn_if_untrusted(self):
        """One `UserWarning` naming the reasons, when not `trusted`."""
        if not self.trusted:
            warnings.warn(f"MINE estimate {self.value:.4g} nats may not be trusted: "
                          f"{self.reason}.", UserWarning, stacklevel=4)


def _doubts(value, std, half_values, stopped_early):
    reasons = []
    if value < 0:
        reasons.append("the held-out estimate is negative (a lower bound that found no "
                       "dependence)")
    if len(half_values) > 1 and not math.isnan(std):
        noise = math.sqrt(np.mean([((a - b) / 2) ** 2 for a, b in half_values]))
        if std > DISAGREEMENT_FACTOR * noise:
            reasons.append(f"the restarts disagree (std {std:.3g} nats) beyond the "
                           f"held-out noise of one fit ({noise:.3g} nats)")
    if stopped_early and not all(stopped_early):
        reasons.append("the stopping rule never fired (the held-out curve still rose at "
                       "the last step; try more steps)")
    return "; ".join(reasons)

"""The value `MINE.fit_estimate` returns: a float in nats that carries its spread."""

import math


class Estimate(float):
    """A mutual-information estimate in nats: a plain float, with its spread and trust.

        std = sqrt( sum_r (v_r - value)^2 / (k - 1) )   over k restarts (NaN for one)

    It is the float `value` in every use (arithmetic, comparison, formatting, JSON);
    `std`, `trusted` and `reason` repeat the `FitResult` of the same call
    (`MINE.last_fit`), so a caller who asked for restarts gets the spread with the
    number. A negative value is a valid lower-bound value: the critic found no
    dependence it could tell from noise (the true I >= 0 may be 0 or small).

    Args:
        value: the estimate (nats).
        std: spread over restarts (NaN for one fit).
        reason: why the value may not be trusted ("" when it may).

    Example:
        >>> from infodl.estimators import Estimate
        >>> value = Estimate(0.42, std=0.03)
        >>> value + 1.0, f"{value:.2f} +- {value.std:.2f} nats", value.trusted
        (1.42, '0.42 +- 0.03 nats', True)

    Reference: Belghazi et al. 2018 (MINE), section 3.2; P3 (Elad et al.) appendix C.
    """

    def __new__(cls, value, std=math.nan, reason=""):
        estimate = super().__new__(cls, value)
        estimate.std, estimate.reason = float(std), str(reason)
        return estimate

    @property
    def trusted(self):
        """False when `reason` names a cause for doubt (see `FitResult`)."""
        return not self.reason

    def __reduce__(self):
        return (Estimate, (float(self), self.std, self.reason))

"""What one `MINE.fit_estimate` call measured: the estimate, its spread, the curves."""

import dataclasses
import math
import warnings

import numpy as np

# Restarts "disagree" when their spread exceeds this many times the held-out noise of
# one restart (half the difference of its two cross-fitted halves, RMS over restarts).
DISAGREEMENT_FACTOR = 2.0
# A fit whose value is below the radius bound (KSG between the sides' log radii, a
# lower bound on I by data processing) by more than this many nats is flagged: KSG's
# spread in one dimension at N = 5 000 is ~0.02 nats (docs/estimators.md, "trust").
RADIUS_MARGIN = 0.1
# The MLP critic carrying the estimate (the quadratic companion lost on every held-out
# half of every restart) with at least this many input features in all (d_s + d_t),
# on a value the radius bound does not account for (above it by more than
# RADIUS_MARGIN, or no bound), is flagged: on the Beyond-Normal suite such fits in 10
# features (the spiral 5 x 5; Student-t 5 x 5 before MINE had the log radius) were far
# low, those in at most 4 features within the band, those in 6 straddled its edge
# (docs/estimators.md, "trust"). With the log radius a t's fit carried by the MLP sits
# at its radius bound and is right: it is no longer flagged for the MLP.
MANY_FEATURES = 7
# A fit whose value is below the Gaussian-copula value of the same pairs (bias-corrected,
# `GaussianCopulaEstimator`) by more than max(this many nats, this fraction of it) is
# flagged: the margin of the suite's band (docs/estimators.md, "trust").
COPULA_MARGIN = 0.1
COPULA_MARGIN_FRACTION = 0.1


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
    - a restart ran all its steps without the stopping rule firing and its held-out
      curve was still rising: its best over the last `patience` evaluations beat its
      best before them by more than `min_delta` (more steps may give a larger value).
      The stopping rule counts evaluations since the curve last beat its *counted*
      best by more than `min_delta`, so a curve creeping up by just over `min_delta`
      every few evaluations can reach the step limit although its last `patience`
      evaluations were flat by the rule's own measure; such a restart is not flagged.
      With the settings unknown (`patience` 0) or a curve no longer than `patience`,
      any restart that ran all its steps is;
    - value < radius_bound - 0.1 nats: the radius bound, KSG (Kraskov et al. 2004)
      between log(1 + |s|^2) and log(1 + |t|^2) of the per-feature standardized sides,
      estimates I(r(S); r(T)) <= I(S; T) (data processing), so the critic missed
      dependence that a one-dimensional function of each side shows (heavy tails: for
      a multivariate t it is all of I);
    - the quadratic companion existed and lost on every held-out half of every
      restart, the critic saw at least 7 input features in all (d_s + d_t), and the
      value is above the radius bound by more than 0.1 nats (or there is none): the
      estimate rests on the MLP critic alone, on a dependence that is neither Gaussian
      after the input map nor carried by the sides' radii, in as many dimensions as
      the suite's spirals, where such fits reported 75-85 % of the truth (no cheap
      bound checks the MLP there);
    - value < copula_value - max(0.1 nats, 10 % of copula_value): the Gaussian-copula
      estimate of the same pairs (`GaussianCopulaEstimator`: the bias-corrected
      Gaussian MI of rank-normalized features, exact when the pairs are Gaussian after
      a monotone map of each feature, a lower bound on I with one feature per side)
      is well above the critic's: the critic (or its quadratic companion, in many
      features) missed dependence that the pairs' correlations show.

    The last three are computed for `MINE.fit_estimate` on given pairs
    (`input_features` > 0); AA-MINE, whose t is drawn inside, has none of them. The
    copula value is left out (NaN) when the copula estimate itself is not trusted
    (negative, mostly tied features, a singular covariance) or the pairs have fewer
    samples than features. With several features per side the copula value is not a
    bound (features of one side that are nonlinear functions of each other can lift it
    above I), so this cause can fire on a right value there.

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
        input_features: d_s + d_t, the critic's input features (0: unknown, AA-MINE).
        companion: whether a quadratic companion was trained beside the critic.
        radius_bound: the radius bound of the same pairs (NaN: not computed).
        copula_value: the Gaussian-copula estimate of the same pairs (NaN: not
            computed).
        patience, min_delta: the stopping rule's settings (`patience` 0: unknown).

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
    input_features: int = 0
    companion: bool = False
    radius_bound: float = math.nan
    copula_value: float = math.nan
    patience: int = 0
    min_delta: float = 0.0
    reason: str = ""

    @property
    def trusted(self):
        """False when `reason` names a cause for doubt (see the class docstring)."""
        return not self.reason

    @classmethod
    def from_restarts(cls, values, curves, steps, best_steps, seconds, chosen_critics=(),
                      half_values=(), stopped_early=(), input_features=0, companion=False,
                      radius_bound=math.nan, patience=0, min_delta=0.0,
                      copula_value=math.nan):
        """Builds the record from per-restart lists (mean, ddof-1 std, trust)."""
        values = tuple(float(v) for v in values)
        std = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
        half_values = tuple(tuple(float(v) for v in pair) for pair in half_values)
        stopped_early = tuple(bool(s) for s in stopped_early)
        value = float(np.mean(values))
        chosen_critics = tuple(tuple(c) for c in chosen_critics)
        curves = tuple(tuple(curve) for curve in curves)
        return cls(value=value, std=std, values=values, curves=curves,
                   steps=tuple(int(s) for s in steps),
                   best_steps=tuple(int(s) for s in best_steps), seconds=float(seconds),
                   chosen_critics=chosen_critics,
                   half_values=half_values, stopped_early=stopped_early,
                   input_features=int(input_features), companion=bool(companion),
                   radius_bound=float(radius_bound), copula_value=float(copula_value),
                   patience=int(patience), min_delta=float(min_delta),
                   reason=doubts(value, std, half_values, stopped_early, chosen_critics,
                                 input_features, companion, radius_bound, curves,
                                 patience, min_delta, copula_value))

    def warn_if_untrusted(self):
        """One `UserWarning` naming the reasons, when not `trusted`."""
        if not self.trusted:
            warnings.warn(f"MINE estimate {self.value:.4g} nats may not be trusted: "
                          f"{self.reason}.", UserWarning, stacklevel=4)


def doubts(value, std, half_values, stopped_early, chosen_critics=(), input_features=0,
           companion=False, radius_bound=math.nan, curves=(), patience=0, min_delta=0.0,
           copula_value=math.nan):
    """The reasons (joined by "; ", "" for none) why a fit may not be trusted: the
    rule of `FitResult`, from its fields (benchmarks re-apply it to recorded fits)."""
    reasons = []
    if value < 0:
        reasons.append("the held-out estimate is negative (a lower bound that found no "
                       "dependence)")
    if len(half_values) > 1 and not math.isnan(std):
        noise = math.sqrt(np.mean([((a - b) / 2) ** 2 for a, b in half_values]))
        if std > DISAGREEMENT_FACTOR * noise:
            reasons.append(f"the restarts disagree (std {std:.3g} nats) beyond the "
                           f"held-out noise of one fit ({noise:.3g} nats)")
    curves = tuple(curves) + ((),) * (len(stopped_early) - len(curves))
    if any(not stopped and still_rising(curve, patience, min_delta)
           for stopped, curve in zip(stopped_early, curves, strict=False)):
        reasons.append("the stopping rule never fired (the held-out curve still rose at "
                       "the last step; try more steps)")
    if value < radius_bound - RADIUS_MARGIN:
        reasons.append(f"the radius bound {radius_bound:.3g} nats (KSG between the sides' "
                       "log radii, a lower bound on I) exceeds it by more than "
                       f"{RADIUS_MARGIN:g} nats: the critic missed dependence")
    picked = [name for restart in chosen_critics for name in restart]
    radial = value <= radius_bound + RADIUS_MARGIN  # False for no bound (NaN)
    if (companion and input_features >= MANY_FEATURES and picked and not radial
            and all(name == "critic" for name in picked)):
        reasons.append(f"the MLP critic carries it alone in {input_features} input features "
                       "(the quadratic companion lost on every held-out half), beyond what "
                       "the radius bound accounts for: a non-Gaussian dependence in many "
                       "dimensions, where the MLP critic can miss much of I at this N (try "
                       "more samples, restarts or another input map)")
    if value < copula_value - max(COPULA_MARGIN, COPULA_MARGIN_FRACTION * copula_value):
        reasons.append(f"the Gaussian-copula estimate {copula_value:.3g} nats of the same "
                       "pairs (GaussianCopulaEstimator) exceeds it by more than "
                       f"max({COPULA_MARGIN:g} nats, {COPULA_MARGIN_FRACTION:.0%}): the critic "
                       "missed dependence the pairs' correlations show")
    return "; ".join(reasons)


def still_rising(curve, patience, min_delta):
    """Whether a held-out curve ((step, value), ...) gained more than `min_delta` over
    its last `patience` evaluations: max(last patience) > max(earlier) + min_delta.
    True when that cannot be told (`patience` < 1, or no evaluation before the window).

    Example:
        >>> from infodl.estimators.fit_result import still_rising
        >>> still_rising([(1, 0.50), (2, 0.52), (3, 0.521), (4, 0.522)], 2, 0.005)  # +0.002
        False
    """
    values = [float(value) for _, value in curve]
    if patience < 1 or len(values) <= patience:
        return True
    return max(values[-patience:]) > max(values[:-patience]) + min_delta


def radius_bound(s, t, max_pairs=10_000, seed=0):
    """KSG (k = 3) between log(1 + |s|^2) and log(1 + |t|^2) of the per-feature
    standardized sides, on at most `max_pairs` pairs (a random subset beyond): an
    estimate of I(r(S); r(T)), a lower bound on I(S; T) for any functions r of one side.

    Example:
        >>> from infodl.estimators.fit_result import radius_bound
        >>> rng = np.random.default_rng(0)
        >>> scale = np.sqrt(3.0 / rng.chisquare(3.0, (2000, 1)))   # a shared t scale
        >>> s, t = rng.standard_normal((2000, 5)) * scale, rng.standard_normal((2000, 5)) * scale
        >>> round(radius_bound(s, t), 1)   # the t 5 x 5, nu = 3 of the suite: I = 0.299
        0.3
    """
    from infodl.estimators.ksg import KSGEstimator  # NumPy/SciPy only

    sides = _at_most(max_pairs, seed, s, t)
    radii = []
    for values in sides:
        std = values.std(axis=0)
        values = (values - values.mean(axis=0)) / np.where(std > 0, std, 1.0)
        radii.append(np.log1p((values**2).sum(axis=1, keepdims=True)))
    return float(KSGEstimator(seed=seed).fit_estimate(*radii))


def copula_value(s, t, max_pairs=10_000, seed=0):
    """The Gaussian-copula estimate of I(S; T) (`GaussianCopulaEstimator`) on at most
    `max_pairs` pairs (a random subset beyond), or NaN where it is not trusted (negative,
    mostly tied features, a singular covariance) or not defined (fewer pairs than
    features).

    Example:
        >>> from infodl.estimators.fit_result import copula_value
        >>> rng = np.random.default_rng(0)
        >>> s = rng.standard_normal((2000, 3))
        >>> round(copula_value(s, np.exp(s + rng.standard_normal((2000, 3)))), 1)  # 3/2 log 2
        1.0
    """
    from infodl.estimators.gaussian_copula import GaussianCopulaEstimator  # SciPy only

    sides = _at_most(max_pairs, seed, s, t)
    if len(sides[0]) <= sides[0].shape[1] + sides[1].shape[1] + 1:
        return math.nan
    value = GaussianCopulaEstimator().fit_estimate(*sides)
    return float(value) if value.trusted else math.nan


def _at_most(max_pairs, seed, s, t):
    """[s, t] as (N, features) float64 arrays, a random subset of `max_pairs` pairs
    (drawn from `seed`) where there are more."""
    sides = [np.asarray(v, np.float64).reshape(len(v), -1) for v in (s, t)]
    if len(sides[0]) > max_pairs:
        keep = np.random.default_rng(seed).choice(len(sides[0]), max_pairs, replace=False)
        sides = [v[keep] for v in sides]
    return sides

"""E-values: how strong unmeasured confounding would have to be to explain an estimate away.

VanderWeele & Ding (2017), *Annals of Internal Medicine* 167:268-274. For a risk ratio
``RR >= 1`` the E-value is ``RR + sqrt(RR (RR - 1))`` (``1 / RR`` first when ``RR < 1``); for the
confidence interval it is the E-value of the limit closer to 1, or 1 when the interval includes
1. Other scales are converted to an approximate risk ratio first (their Table 2):

- an odds ratio of a common outcome (prevalence above 15%): ``RR ~ sqrt(OR)``; of a rare one,
  ``RR ~ OR``;
- a difference of means ``D`` with outcome standard deviation ``s``: the standardised
  difference ``d = D / s`` gives ``RR ~ exp(0.91 d)`` (and the interval ``exp(0.91 d_low)``,
  ``exp(0.91 d_high)``).
"""

from __future__ import annotations

import math

COMMON_OUTCOME = 0.15


def e_value(rr: float) -> float:
    """E-value of a risk ratio.

    >>> round(e_value(3.9), 2), round(e_value(1 / 3.9), 2), e_value(1.0)
    (7.26, 7.26, 1.0)
    """
    if rr is None or not math.isfinite(rr) or rr <= 0:
        return float("nan")
    if rr < 1:
        rr = 1 / rr
    return rr + math.sqrt(rr * (rr - 1))


def e_value_ci(rr: float, low: float, high: float) -> float:
    """E-value of the confidence limit closer to the null (1 if the interval includes 1).

    >>> round(e_value_ci(3.9, 1.8, 8.7), 2), e_value_ci(1.2, 0.9, 1.6)
    (3.0, 1.0)
    """
    if any(v is None or not math.isfinite(v) for v in (rr, low, high)):
        return float("nan")
    if low <= 1 <= high:
        return 1.0
    return e_value(low if rr > 1 else high)


def rr_from_odds_ratio(odds_ratio: float, prevalence: float) -> float:
    """Approximate risk ratio of an odds ratio: ``sqrt(OR)`` for a common outcome.

    >>> rr_from_odds_ratio(4.0, 0.4), rr_from_odds_ratio(4.0, 0.05)
    (2.0, 4.0)
    """
    return math.sqrt(odds_ratio) if prevalence > COMMON_OUTCOME else odds_ratio


def rr_from_difference(difference: float, sd: float) -> float:
    """Approximate risk ratio of a difference of means: ``exp(0.91 D / sd)``.

    >>> round(rr_from_difference(0.5, 1.0), 4)
    1.5762
    """
    if not sd or not math.isfinite(sd):
        return float("nan")
    return math.exp(0.91 * difference / sd)


def e_values(
    measure: str,
    estimate: float,
    low: float,
    high: float,
    *,
    prevalence: float,
    sd: float,
    rr: tuple[float, float, float] | None = None,
) -> tuple[float, float]:
    """``(e_value, e_value_ci)`` of one estimate on its own scale.

    ``measure`` is ``odds_ratio``, ``risk_ratio`` or a difference (``risk_difference``,
    ``mean_difference``, ``ame``, ``ate``). A difference of a 0/1 outcome uses ``rr``, the risk
    ratio (estimate, low, high) of the same model; a difference of a score uses ``sd``.

    >>> [round(v, 3) for v in e_values("odds_ratio", 4.0, 2.25, 9.0, prevalence=0.4, sd=0.5)]
    [3.414, 2.366]
    """
    if measure == "risk_ratio":
        return e_value(estimate), e_value_ci(estimate, low, high)
    if measure == "odds_ratio":
        conv = [rr_from_odds_ratio(v, prevalence) for v in (estimate, low, high)]
        return e_value(conv[0]), e_value_ci(*conv)
    if rr is not None:
        return e_value(rr[0]), e_value_ci(*rr)
    conv = [rr_from_difference(v, sd) for v in (estimate, low, high)]
    return e_value(conv[0]), e_value_ci(*conv)

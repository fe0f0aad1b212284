"""Who is left out: identity, risk factors, unmet need and barriers in the demo youth survey.

People-level draws (:func:`add_equity`), from a child stream of the caller's generator so
the older parts of the simulation keep their random numbers:

1. **Identity**: Indigenous identity (First Nations, Métis, Inuit) by province or region, with
   Inuit youth concentrated in Nunavut (so Inuit cells elsewhere are small and suppressed);
   population group (Statistics Canada's visible-minority categories, or White) for the
   others; sexual orientation and gender identity (non-binary, transgender); a diagnosed
   disability; immigration (newcomers arrived in the last 10 years, more often racialized).
2. **Risk factors** growing up (family involvement with the justice system, trouble at school,
   economic hardship): logistic in family income, Indigenous identity and disability.
3. **Unmet need** (wanted a mentor and had none): ``logit p = a + mentored + risk_any +
   disability + 2SLGBTQ+ + Indigenous`` (:data:`UNMET_NEED_LOGIT`); the answer is drawn
   later from ``p_wanted`` so the truth of every gap is ``E[p_wanted | group]``.
4. **Barriers** to finding a mentor at 6-11 and 12-18, and their reasons (multiple choice).

Identity does not change who is mentored or any outcome of the contribution models, so the
planted effects of mentoring stay unconfounded by it.

>>> import numpy as np, pandas as pd
>>> people = pd.DataFrame({"province": [35] * 2000, "region": 3, "income": 2, "mentored": 0})
>>> add_equity(np.random.default_rng(1), people)
>>> bool(people.loc[people["risk_any"] == 1, "p_wanted"].mean()
...      > 1.5 * people.loc[people["risk_any"] == 0, "p_wanted"].mean())
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

INDIGENOUS = {
    # P(First Nations, Métis, Inuit) among people aged 18-30, by region, then territory
    "region": {
        1: (0.030, 0.015, 0.003),
        2: (0.015, 0.010, 0.002),
        3: (0.020, 0.010, 0.001),
        4: (0.075, 0.060, 0.001),
        5: (0.045, 0.030, 0.001),
    },
    "province": {60: (0.22, 0.03, 0.01), 61: (0.32, 0.07, 0.12), 62: (0.02, 0.01, 0.85)},
}
RACIALIZED_SHARE = {1: 0.10, 2: 0.22, 3: 0.45, 4: 0.30, 5: 0.42, 6: 0.12}
"""Share of non-Indigenous people aged 18-30 in a visible-minority group, by region."""
VISIBLE_MINORITY_MIX = (0.26, 0.16, 0.16, 0.09, 0.07, 0.06, 0.04, 0.04, 0.02, 0.01, 0.02, 0.07)
"""Codes 1-12 of ``racialized`` (South Asian ... multiple groups) among racialized people."""
ORIENTATION = {1: 0.86, 2: 0.03, 3: 0.08, 5: 0.03}
"""Heterosexual, gay or lesbian, bisexual or pansexual, another orientation; code 4, Two-Spirit,
is drawn among Indigenous youth only (``two_spirit_among_indigenous``)."""

EQUITY: dict[str, Any] = {
    "non_binary": 0.02,
    "transgender_binary": 0.006,
    "two_spirit_among_indigenous": 0.05,
    "disability": 0.18,
    "newcomer": {"racialized": 0.28, "other": 0.03},
    "immigrated_earlier": {"racialized": 0.27, "other": 0.05},
    "risk_logit": {
        "justice": {"intercept": -2.3, "income": {1: 0.5, 2: 0.0, 3: -0.4}, "indigenous": 0.7},
        "school": {"intercept": -1.7, "income": {1: 0.3, 2: 0.0, 3: -0.3}, "disability": 0.8},
        "economic": {"intercept": -1.6, "income": {1: 1.3, 2: 0.0, 3: -1.2}, "indigenous": 0.5},
    },
}
"""Parameters of identity and risk (probabilities; logits for the risk factors)."""

UNMET_NEED_LOGIT = {
    "intercept": -0.50,
    "mentored": -0.60,
    "risk_any": 1.70,
    "disability": 0.90,
    "lgbtq2s": 0.90,
    "indigenous": 0.25,
}
"""Logit of wanting a mentor and having none (the mentoring gap)."""

BARRIERS_LOGIT = {
    "6_11": {"intercept": -1.60, "lgbtq2s": 0.7, "risk_any": 0.5, "disability": 0.4,
             "indigenous": 0.3},
    "12_18": {"intercept": -1.00, "lgbtq2s": 1.1, "risk_any": 0.6, "disability": 0.5,
              "indigenous": 0.3},
}  # fmt: skip
"""Logits of having met barriers to finding a mentor, by age."""

BARRIER_REASONS = {
    "barrier_none_nearby": 0.40,
    "barrier_waitlist": 0.25,
    "barrier_cost_transport": 0.22,
    "barrier_did_not_know": 0.45,
    "barrier_no_shared_identity": 0.15,
    "barrier_family": 0.12,
    "barrier_uncomfortable": 0.30,
    "barrier_other": 0.08,
}
"""P(reason selected) among those with a barrier; shared identity is 3x for 2SLGBTQ+,
Indigenous and racialized youth (capped at 0.9)."""


def expit(x: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def _by_code(table: dict[int, float], codes: np.ndarray) -> np.ndarray:
    return np.array([table[int(c)] for c in codes], dtype=float)


def add_equity(rng: np.random.Generator, people: pd.DataFrame) -> None:
    """Add identity, risk, ``p_wanted`` and barrier columns to drawn people (in place).

    Needs ``province``, ``region``, ``income`` and ``mentored``. Codes: ``indigenous`` 1-4
    (4 not Indigenous), ``racialized`` 1-12 visible-minority groups, 13 White, 14 Indigenous
    and no visible-minority group; ``orientation`` 1-5 (see :data:`ORIENTATION`); 0/1 for
    ``non_binary``, ``transgender``, ``lgbtq2s``, ``disability``, ``risk_*``, ``barriers_*``
    and the reasons; ``immigration`` 1 born in Canada, 2 earlier, 3 in the last 10 years.
    """
    n = len(people)
    _identity(rng, people, n)
    income = people["income"].to_numpy()
    indigenous = (people["indigenous"] < 4).to_numpy().astype(float)
    disability = people["disability"].to_numpy().astype(float)
    for name, spec in EQUITY["risk_logit"].items():
        logit = spec["intercept"] + _by_code(spec["income"], income)
        logit += spec.get("indigenous", 0.0) * indigenous + spec.get("disability", 0.0) * disability
        people[f"risk_{name}"] = (rng.random(n) < expit(logit)).astype(int)
    people["risk_any"] = people[["risk_justice", "risk_school", "risk_economic"]].max(axis=1)
    terms = {
        "mentored": people["mentored"].to_numpy().astype(float),
        "risk_any": people["risk_any"].to_numpy().astype(float),
        "disability": disability,
        "lgbtq2s": people["lgbtq2s"].to_numpy().astype(float),
        "indigenous": indigenous,
    }
    people["p_wanted"] = expit(_linear(UNMET_NEED_LOGIT, terms))
    for age, spec in BARRIERS_LOGIT.items():
        people[f"barriers_{age}"] = (rng.random(n) < expit(_linear(spec, terms))).astype(int)
    any_barrier = (people["barriers_6_11"] + people["barriers_12_18"]).to_numpy() > 0
    shared = (terms["lgbtq2s"] + indigenous + (people["racialized"] <= 12).to_numpy()) > 0
    for reason, p in BARRIER_REASONS.items():
        prob = np.where(shared, min(0.9, 3 * p), p) if reason.endswith("identity") else p
        people[reason] = (any_barrier & (rng.random(n) < prob)).astype(int)


def _linear(spec: dict[str, float], terms: dict[str, np.ndarray]) -> np.ndarray:
    return spec["intercept"] + sum(spec[k] * terms[k] for k in spec if k != "intercept")


def _identity(rng: np.random.Generator, people: pd.DataFrame, n: int) -> None:
    province, region = people["province"].to_numpy(), people["region"].to_numpy()
    probs = np.array(
        [
            INDIGENOUS["province"].get(int(p)) or INDIGENOUS["region"][int(r)]
            for p, r in zip(province, region, strict=True)
        ]
    )
    # 1 First Nations, 2 Métis, 3 Inuit, 4 not Indigenous: the first cumulative share above u
    below = rng.random(n)[:, None] >= np.cumsum(probs, axis=1)
    indigenous = below.sum(axis=1) + 1
    people["indigenous"] = indigenous
    is_indigenous = indigenous < 4
    racialized_p = _by_code(RACIALIZED_SHARE, region) * np.where(is_indigenous, 0.1, 1.0)
    group = rng.choice(np.arange(1, 13), n, p=VISIBLE_MINORITY_MIX)
    racialized = rng.random(n) < racialized_p
    people["racialized"] = np.where(racialized, group, np.where(is_indigenous, 14, 13))
    orientation = rng.choice(list(ORIENTATION), n, p=list(ORIENTATION.values()))
    two_spirit = is_indigenous & (rng.random(n) < EQUITY["two_spirit_among_indigenous"])
    people["orientation"] = np.where(two_spirit, 4, orientation)
    people["non_binary"] = (rng.random(n) < EQUITY["non_binary"]).astype(int)
    trans = rng.random(n) < EQUITY["transgender_binary"]
    people["transgender"] = ((people["non_binary"] == 1) | trans).astype(int)
    people["lgbtq2s"] = ((people["orientation"] > 1) | (people["transgender"] == 1)).astype(int)
    people["disability"] = (rng.random(n) < EQUITY["disability"]).astype(int)
    kind = np.where(racialized, "racialized", "other")
    newcomer = np.array([EQUITY["newcomer"][k] for k in kind])
    earlier = np.array([EQUITY["immigrated_earlier"][k] for k in kind])
    v = rng.random(n)
    people["immigration"] = np.where(v < newcomer, 3, np.where(v < newcomer + earlier, 2, 1))


TRUTH_GROUPS: dict[str, tuple[str, tuple[int, ...], tuple[int, ...]]] = {
    # name: (codebook variable, codes of the group, codes of its comparison group)
    "risk_any": ("risk_any", (1,), (2,)),
    "disability": ("disability", (1,), (2,)),
    "lgbtq2s": ("lgbtq2s", (1,), (2,)),
    "transgender": ("transgender", (1,), (2,)),
    "indigenous": ("indigenous", (1, 2, 3), (4,)),
}
"""Equity groups whose planted gaps ``surveys/demo_truth.yaml`` records."""
TRUTH_INDICATORS = {"mentoring_gap": "p_wanted", "faced_barriers_12_18": "barriers_12_18"}
"""Indicator of the model -> people-level column whose population mean is its true value."""


def _in_group(people: pd.DataFrame, variable: str, codes: tuple[int, ...]) -> np.ndarray:
    """People in a group, with the people-level 0/1 columns read as codebook 1 yes / 2 no."""
    values = people[variable].to_numpy()
    if variable != "indigenous":
        values = np.where(values == 1, 1, 2)
    return np.isin(values, codes)


def true_gaps(people: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """Population values of every planted gap: group, comparison, difference and ratio.

    >>> import numpy as np, pandas as pd
    >>> people = pd.DataFrame({"province": [35] * 500, "region": 3, "income": 2, "mentored": 0})
    >>> add_equity(np.random.default_rng(2), people)
    >>> sorted(true_gaps(people)["mentoring_gap"]["risk_any"])
    ['comparison', 'difference', 'group', 'ratio']
    """
    out: dict[str, dict[str, dict[str, float]]] = {}
    for indicator, column in TRUTH_INDICATORS.items():
        values = people[column].to_numpy(dtype=float)
        out[indicator] = {}
        for name, (variable, group, comparison) in TRUTH_GROUPS.items():
            g = values[_in_group(people, variable, group)].mean()
            c = values[_in_group(people, variable, comparison)].mean()
            out[indicator][name] = {
                "group": round(float(g), 4),
                "comparison": round(float(c), 4),
                "difference": round(float(g - c), 4),
                "ratio": round(float(g / c), 4),
            }
    return out

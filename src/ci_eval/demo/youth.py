"""Simulate the demo youth survey: people, mentoring, outcomes, and careless responses.

The data-generating process (all effects are written down in :data:`EFFECTS`):

1. **Who**: province, age band and gender (``gender_plus``) follow the population
   targets; family income growing up (lower / average / higher) depends on region.
2. **Mentoring** (ages 6-18): ``logit P(mentored) = a_wave + income + region``
   (lower income and Quebec/territories less often mentored). Among the mentored,
   the kind (structured / informal / both), the ages (6-11, 12-18) and the length
   of the longest relationship (<1, 1-2, 3+ years) are drawn.
3. **Outcomes**: latent belonging ``B`` and wellbeing ``W`` (standard normal
   noise) rise with mentoring by ``tau * dose[length]`` and depend on income and
   region (the confounders); items are rounded and clipped to their 1-5 scales.
   Binary outcomes follow logistic models with a mentoring term.
4. **Potential outcomes**: every person has both ``Y(0)`` and ``Y(1)`` computed
   from the same noise, so the true average treatment effects are known
   (:func:`true_effects`, written to ``surveys/demo_truth.yaml``).
5. **Sampling**: a sample stratified by province (square-root allocation, at
   least 25 per stratum); response propensity depends on gender, age and family
   income, so the design weight alone is biased and raking to margins helps.
6. **Quality problems** are added as extra rows: ineligible ages, duplicates,
   break-offs, speeders, straight-liners, failed attention checks, and a few
   out-of-range numbers of mentors.
7. **Who is left out**: identity, risk factors, unmet need and barriers
   (:mod:`ci_eval.demo.equity`), drawn from child streams (``Generator.spawn``) so
   the draws above keep their random numbers.

>>> import numpy as np
>>> people = draw_people(np.random.default_rng(1), 1000, "2021")
>>> bool(0.50 < people["mentored"].mean() < 0.62)
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ci_eval.demo.equity import BARRIER_REASONS, add_equity, true_gaps
from ci_eval.demo.population import AGE_BANDS, PROVINCES, population_cells

EFFECTS: dict[str, Any] = {
    "mentored_share": {"2021": 0.558, "2024": 0.590},
    # Ages of mentoring among the mentored: 6-11 only, 12-18 only, both
    "period_probs": {"2021": (0.20, 0.50, 0.30), "2024": (0.17, 0.53, 0.30)},
    "mentoring_logit": {
        "income": {1: -0.45, 2: 0.0, 3: 0.45},
        "region": {1: 0.10, 2: -0.15, 3: 0.0, 4: 0.05, 5: 0.05, 6: -0.20},
    },
    "formal_share_of_mentored": {"2021": 0.315, "2024": 0.345},
    "formal_logit_income": {1: 0.30, 2: 0.0, 3: -0.20},
    "length_probs": {1: 0.25, 2: 0.35, 3: 0.40},
    "dose_by_length": {1: 0.6, 2: 1.0, 3: 1.3},
    "belonging": {
        "tau": 0.40,
        "income": {1: -0.30, 2: 0.0, 3: 0.25},
        "region": {1: 0.10, 2: -0.05, 3: -0.05, 4: 0.05, 5: -0.10, 6: 0.15},
    },
    "wellbeing": {
        "tau": 0.25,
        "income": {1: -0.30, 2: 0.0, 3: 0.20},
        "region": {1: 0.0, 2: 0.05, 3: -0.05, 4: 0.0, 5: -0.05, 6: -0.10},
        "belonging_noise_loading": 0.4,
    },
    "employed_or_studying_logit": {
        "intercept": 1.55,
        "tau": 0.35,
        "income": {1: -0.45, 2: 0.0, 3: 0.40},
        "region": {1: -0.15, 2: 0.05, 3: 0.0, 4: 0.10, 5: 0.05, 6: -0.25},
    },
    "hs_completed_logit": {"intercept": 2.6, "tau": 0.30, "income": {1: -0.6, 2: 0.0, 3: 0.5}},
    "ps_enrolled_logit": {"intercept": 0.7, "tau": 0.30, "income": {1: -0.7, 2: 0.0, 3: 0.6}},
    "volunteered_logit": {"intercept": -0.55, "tau": 0.35, "belonging": 0.25},
    "is_mentor_logit": {"intercept": -1.75, "tau": 0.65, "belonging": 0.25},
    "response_propensity": {
        "gender_plus": {1: 1.30, 2: 1.0},
        "age_band": {1: 0.80, 2: 1.0, 3: 1.20},
        "income": {1: 0.75, 2: 1.0, 3: 1.30},
    },
}
"""Every parameter of the youth data-generating process (logit and latent-SD units)."""

INCOME_BY_REGION = {
    # P(lower, about average, higher) family income growing up
    1: (0.36, 0.44, 0.20),
    2: (0.30, 0.47, 0.23),
    3: (0.28, 0.44, 0.28),
    4: (0.29, 0.45, 0.26),
    5: (0.28, 0.45, 0.27),
    6: (0.40, 0.40, 0.20),
}
FRENCH_SHARE = {24: 0.85, 13: 0.30, 35: 0.03, 46: 0.02, 60: 0.03, 61: 0.02, 62: 0.01}
REGION_OF = {code: region for code, (_, _, region) in PROVINCES.items()}

SAMPLE_SIZE = {"2021": 2800, "2024": 2900}
PROBLEMS = {
    "ineligible": 30,
    "duplicate": 15,
    "incomplete": 60,
    "speeder": 45,
    "straightliner": 40,
    "attention": 50,
    "out_of_range": 5,
}
"""Rows with planted quality problems added to each wave (beyond the clean sample)."""

GRIDS = {
    "relationship": ["rq_cared", "rq_trust", "rq_goals", "rq_understood"],
    "belonging": ["belong_1", "belong_2", "belong_3", "belong_4", "attention_check"],
    "swemwbs": [f"swemwbs_{i}" for i in range(1, 8)],
}
CORE_ITEMS = [
    "had_mentor_6_11", "had_mentor_12_18", "wanted_mentor_no_mentor",
    *GRIDS["belonging"], *GRIDS["swemwbs"], "mental_health", "hs_completed", "ps_enrolled",
    "employed", "in_education", "volunteered", "is_mentor", "family_income",
]  # fmt: skip
"""Questions asked of everyone, in questionnaire order (used for break-offs)."""


def expit(x: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def _lookup(table: dict[int, float], codes: np.ndarray) -> np.ndarray:
    """``table[code]`` for every code (every code must be a key)."""
    keys = np.array(sorted(table))
    values = np.array([table[k] for k in keys], dtype=float)
    return values[np.searchsorted(keys, codes)]


def mentoring_intercept(wave: str) -> float:
    """The logit intercept giving the wave's population share of mentored youth (bisection)."""
    cells = population_cells(wave)
    by_province = cells.groupby("province")["population"].sum()
    weights, logits = [], []
    for province, population in by_province.items():
        region = REGION_OF[int(province)]
        for income, share in zip((1, 2, 3), INCOME_BY_REGION[region], strict=True):
            weights.append(population * share)
            logits.append(
                EFFECTS["mentoring_logit"]["income"][income]
                + EFFECTS["mentoring_logit"]["region"][region]
            )
    w, lg = np.array(weights) / sum(weights), np.array(logits)
    target, low, high = EFFECTS["mentored_share"][wave], -5.0, 5.0
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if (w * expit(mid + lg)).sum() < target else (low, mid)
    return (low + high) / 2


def draw_people(
    rng: np.random.Generator, n: int, wave: str, provinces: np.ndarray | None = None
) -> pd.DataFrame:
    """Draw people (covariates, mentoring, potential outcomes) from the population model.

    ``provinces`` fixes each person's province; by default they follow the
    population. Columns ending in ``_0`` / ``_1`` are potential outcomes without /
    with mentoring; ``mentored`` says which one is observed.
    """
    cells = population_cells(wave)
    if provinces is None:
        by_province = cells.groupby("province")["population"].sum()
        provinces = rng.choice(by_province.index.to_numpy(), n, p=by_province / by_province.sum())
    national = cells.groupby(["age_band", "gender_plus"])["population"].sum()
    pick = rng.choice(len(national), n, p=(national / national.sum()).to_numpy())
    region = np.array([REGION_OF[int(p)] for p in provinces])
    income = np.empty(n, dtype=int)
    for r, probs in INCOME_BY_REGION.items():
        here = region == r
        income[here] = rng.choice([1, 2, 3], here.sum(), p=probs)
    people = pd.DataFrame(
        {
            "province": provinces.astype(int),
            "region": region,
            "age_band": national.index.get_level_values("age_band").to_numpy()[pick],
            "gender_plus": national.index.get_level_values("gender_plus").to_numpy()[pick],
            "income": income,
        }
    )
    _add_mentoring(rng, people, wave)
    people = _add_outcomes(rng, people)
    # A child stream: the draws above keep the random numbers they had before equity was added.
    add_equity(rng.spawn(1)[0], people)
    return people


def _add_mentoring(rng: np.random.Generator, people: pd.DataFrame, wave: str) -> None:
    n = len(people)
    logit = (
        mentoring_intercept(wave)
        + _lookup(EFFECTS["mentoring_logit"]["income"], people["income"].to_numpy())
        + _lookup(EFFECTS["mentoring_logit"]["region"], people["region"].to_numpy())
    )
    people["mentored"] = (rng.random(n) < expit(logit)).astype(int)
    period = rng.choice([1, 2, 3], n, p=EFFECTS["period_probs"][wave])
    people["period"] = period
    formal_logit = _formal_intercept(wave) + _lookup(
        EFFECTS["formal_logit_income"], people["income"].to_numpy()
    )
    formal = rng.random(n) < expit(formal_logit)
    both = rng.random(n) < 0.6
    people["mentor_type"] = np.where(formal, np.where(both, 3, 1), 2)
    probs = EFFECTS["length_probs"]
    people["length"] = rng.choice(list(probs), n, p=list(probs.values()))


def _formal_intercept(wave: str) -> float:
    # Intercept giving the target share among the mentored (their income mix is about this).
    mix = {1: 0.27, 2: 0.45, 3: 0.28}
    target, low, high = EFFECTS["formal_share_of_mentored"][wave], -5.0, 5.0
    for _ in range(60):
        mid = (low + high) / 2
        share = sum(p * expit(mid + EFFECTS["formal_logit_income"][k]) for k, p in mix.items())
        low, high = (mid, high) if share < target else (low, mid)
    return (low + high) / 2


def _likert(rng: np.random.Generator, latent: np.ndarray, centre: float, k: int) -> np.ndarray:
    """``k`` 1-5 items: centre + 0.8 * latent + 0.6 * noise, rounded and clipped."""
    noise = rng.standard_normal((len(latent), k))
    return np.clip(np.rint(centre + 0.8 * latent[:, None] + 0.6 * noise), 1, 5).astype(int)


def _add_outcomes(rng: np.random.Generator, people: pd.DataFrame) -> pd.DataFrame:
    n = len(people)
    inc, reg = people["income"].to_numpy(), people["region"].to_numpy()
    dose = _lookup(EFFECTS["dose_by_length"], people["length"].to_numpy())
    e_b, e_w = rng.standard_normal(n), rng.standard_normal(n)
    item_noise = {name: rng.standard_normal((n, k)) for name, k in (("b", 4), ("w", 7))}
    mh_noise = rng.standard_normal(n)
    uniforms = {k: rng.random(n) for k in ("es", "hs", "ps", "vol", "mentor", "split")}
    b, w = EFFECTS["belonging"], EFFECTS["wellbeing"]
    out: dict[str, np.ndarray] = {}
    for m in (0, 1):
        latent_b = m * b["tau"] * dose + _lookup(b["income"], inc) + _lookup(b["region"], reg) + e_b
        latent_w = (
            m * w["tau"] * dose
            + _lookup(w["income"], inc)
            + _lookup(w["region"], reg)
            + w["belonging_noise_loading"] * e_b
            + np.sqrt(1 - w["belonging_noise_loading"] ** 2) * e_w
        )
        belong = np.clip(np.rint(3.3 + 0.8 * latent_b[:, None] + 0.6 * item_noise["b"]), 1, 5)
        swem = np.clip(np.rint(3.1 + 0.75 * latent_w[:, None] + 0.6 * item_noise["w"]), 1, 5)
        for j in range(4):
            out[f"belong_{j + 1}_{m}"] = belong[:, j].astype(int)
        for j in range(7):
            out[f"swemwbs_{j + 1}_{m}"] = swem[:, j].astype(int)
        out[f"belonging_score_{m}"] = belong.mean(axis=1)
        out[f"swemwbs_score_{m}"] = swem.sum(axis=1)
        out[f"strong_belonging_{m}"] = (belong.mean(axis=1) >= 4).astype(int)
        mh = 0.85 * latent_w + 0.55 * mh_noise
        out[f"mental_health_{m}"] = np.digitize(mh, [-1.3, -0.3, 1.1]) + 1
        out[f"good_mental_health_{m}"] = (out[f"mental_health_{m}"] >= 3).astype(int)
        out[f"employed_or_studying_{m}"] = _binary(
            uniforms["es"], EFFECTS["employed_or_studying_logit"], m, dose, inc, reg
        )
        out[f"hs_completed_{m}"] = _binary(
            uniforms["hs"], EFFECTS["hs_completed_logit"], m, dose, inc, reg
        )
        out[f"ps_enrolled_{m}"] = (
            _binary(uniforms["ps"], EFFECTS["ps_enrolled_logit"], m, dose, inc, reg)
            * out[f"hs_completed_{m}"]
        )
        out[f"volunteered_{m}"] = _binary(
            uniforms["vol"], EFFECTS["volunteered_logit"], m, dose, inc, reg, latent_b
        )
        out[f"is_mentor_{m}"] = _binary(
            uniforms["mentor"], EFFECTS["is_mentor_logit"], m, dose, inc, reg, latent_b
        )
    out["activity_split"] = uniforms["split"]
    return pd.concat([people, pd.DataFrame(out, index=people.index)], axis=1)


def _binary(
    u: np.ndarray,
    spec: dict[str, Any],
    m: int,
    dose: np.ndarray,
    income: np.ndarray,
    region: np.ndarray,
    belonging: np.ndarray | None = None,
) -> np.ndarray:
    logit = spec["intercept"] + m * spec["tau"] * dose
    if "income" in spec:
        logit = logit + _lookup(spec["income"], income)
    if "region" in spec:
        logit = logit + _lookup(spec["region"], region)
    if belonging is not None:
        logit = logit + spec["belonging"] * belonging
    return (u < expit(logit)).astype(int)


OUTCOMES = [
    "belonging_score",
    "swemwbs_score",
    "strong_belonging",
    "good_mental_health",
    "employed_or_studying",
    "hs_completed",
    "ps_enrolled",
    "volunteered",
    "is_mentor",
]
"""Outcomes whose true effect of mentoring is recorded."""


def true_effects(rng: np.random.Generator, wave: str, n: int = 200_000) -> dict[str, Any]:
    """Population truths for one wave, from ``n`` people drawn from the population model.

    The average treatment effect of having had a mentor (ages 6-18) is
    ``mean(Y(1) - Y(0))`` over the population, also by relationship length (1 = <1
    year, 2 = 1-2 years, 3 = 3+ years; the dose-response); structured and informal
    mentoring have the same effect at equal length. ``raw`` figures compare mentored
    and non-mentored people as observed (confounded), for comparison with the
    published survey figures.
    """
    people = draw_people(rng, n, wave)
    m = people["mentored"].to_numpy() == 1
    length = people["length"].to_numpy()
    ate, raw, by_length = {}, {}, {}
    for outcome in OUTCOMES:
        y0, y1 = people[f"{outcome}_0"].to_numpy(), people[f"{outcome}_1"].to_numpy()
        diff = y1 - y0
        ate[outcome] = {
            "ate": round(float(diff.mean()), 4),
            "monte_carlo_se": round(float(diff.std(ddof=1) / np.sqrt(n)), 4),
        }
        if outcome in ("belonging_score", "swemwbs_score"):
            by_length[outcome] = {k: round(float(diff[length == k].mean()), 4) for k in (1, 2, 3)}
        observed = np.where(m, y1, y0)
        raw[outcome] = {
            "mentored": round(float(observed[m].mean()), 4),
            "not_mentored": round(float(observed[~m].mean()), 4),
        }
    odds = {}
    for outcome in ("strong_belonging", "good_mental_health", "employed_or_studying"):
        p1, p0 = raw[outcome]["mentored"], raw[outcome]["not_mentored"]
        odds[outcome] = round(p1 / (1 - p1) / (p0 / (1 - p0)), 2)
    return {
        "mentored_share": round(float(m.mean()), 4),
        "equity_gaps": true_gaps(people),
        "average_treatment_effect": ate,
        "effect_by_relationship_length": by_length,
        "raw_means_by_mentoring": raw,
        "raw_odds_ratio_mentored_vs_not": odds,
    }


def _observed(people: pd.DataFrame) -> pd.DataFrame:
    """The observed (factual) answers of drawn people, as survey columns (clean, no ids)."""
    m = people["mentored"].to_numpy()
    rng_cols = {}
    for name in [c[:-2] for c in people.columns if c.endswith("_1")]:
        rng_cols[name] = np.where(m == 1, people[f"{name}_1"], people[f"{name}_0"])
    out = pd.DataFrame(rng_cols, index=people.index)
    out["mentored"] = m
    for column in ("province", "region", "age_band", "gender_plus", "income", "period",
                   "mentor_type", "length", "activity_split", *EQUITY_COLUMNS):  # fmt: skip
        out[column] = people[column].to_numpy()
    return out


EQUITY_COLUMNS = (
    "indigenous", "racialized", "orientation", "non_binary", "transgender", "lgbtq2s",
    "disability", "immigration", "risk_justice", "risk_school", "risk_economic", "risk_any",
    "p_wanted", "barriers_6_11", "barriers_12_18", *BARRIER_REASONS,
)  # fmt: skip
"""People-level columns of :func:`ci_eval.demo.equity.add_equity` kept for the answers."""


def sample_respondents(rng: np.random.Generator, wave: str) -> tuple[pd.DataFrame, pd.Series]:
    """The clean respondents of one wave and the population size of each stratum.

    Stratified by province with square-root allocation (at least 25 each); inside
    a stratum, people respond with the propensity in ``EFFECTS``.
    """
    cells = population_cells(wave)
    sizes = cells.groupby("province")["population"].sum()
    root = np.sqrt(sizes)
    alloc = np.maximum(25, np.rint(SAMPLE_SIZE[wave] * root / root.sum())).astype(int)
    alloc[alloc.index[alloc.argmax()]] += SAMPLE_SIZE[wave] - alloc.sum()
    frames = []
    propensity = EFFECTS["response_propensity"]
    for province, n_h in alloc.items():
        pool = draw_people(rng, 8 * n_h, wave, np.full(8 * n_h, province))
        p = (
            _lookup(propensity["gender_plus"], pool["gender_plus"].to_numpy())
            * _lookup(propensity["age_band"], pool["age_band"].to_numpy())
            * _lookup(propensity["income"], pool["income"].to_numpy())
        )
        respond = rng.random(len(pool)) < p / p.max()
        frames.append(pool[respond].iloc[:n_h])
    return _observed(pd.concat(frames, ignore_index=True)), sizes


def to_answers(rng: np.random.Generator, people: pd.DataFrame, wave: str) -> pd.DataFrame:
    """Turn observed people into questionnaire answers with the codebook's codes."""
    n = len(people)
    a = pd.DataFrame(index=people.index)
    a["survey_language"] = [
        "fr" if u < FRENCH_SHARE.get(int(p), 0.01) else "en"
        for u, p in zip(rng.random(n), people["province"], strict=True)
    ]
    a["province"] = people["province"]
    a["region"] = people["region"]
    band = people["age_band"].to_numpy()
    low = np.array([AGE_BANDS[b][1] for b in band])
    high = np.array([AGE_BANDS[b][2] for b in band])
    a["age"] = low + np.floor(rng.random(n) * (high - low + 1)).astype(int)
    a["age_band"] = band
    a["gender_plus"] = people["gender_plus"]
    u = rng.random(n)
    non_binary = people["non_binary"].to_numpy() == 1
    a["gender"] = np.where(non_binary, 3, np.where(u < 0.01, 9, people["gender_plus"]))
    m, period = people["mentored"].to_numpy(), people["period"].to_numpy()
    a["had_mentor_6_11"] = np.where((m == 1) & (period != 2), 1, 2)
    a["had_mentor_12_18"] = np.where((m == 1) & (period != 1), 1, 2)
    for column in ("had_mentor_6_11", "had_mentor_12_18"):
        a[column] = np.where(rng.random(n) < 0.02, 8, a[column])
    asked = (a["had_mentor_6_11"] == 1) | (a["had_mentor_12_18"] == 1)
    a["mentor_type"] = np.where(asked, people["mentor_type"], np.nan)  # asked implies mentored
    a["relationship_length"] = np.where(asked, people["length"], np.nan)
    a["num_mentors"] = np.where(asked, 1 + rng.poisson(0.9, n), np.nan)
    quality = rng.standard_normal(n)
    rq = _likert(rng, quality, 3.9, 4)
    for j, name in enumerate(GRIDS["relationship"]):
        a[name] = np.where(asked, rq[:, j], np.nan)
    wanted = rng.random(n) < people["p_wanted"].to_numpy()
    a["wanted_mentor_no_mentor"] = np.where(rng.random(n) < 0.04, 8, np.where(wanted, 1, 2))
    extra = rng.spawn(1)[0]  # the equity answers' own stream (older columns keep theirs)
    _barrier_answers(extra, people, a)
    for j in range(1, 5):
        value = people[f"belong_{j}"].to_numpy()
        a[f"belong_{j}"] = 6 - value if j == 3 else value
    a["belong_2"] = np.where(rng.random(n) < 0.005, 9, a["belong_2"])
    a["attention_check"] = 2
    for j in range(1, 8):
        a[f"swemwbs_{j}"] = people[f"swemwbs_{j}"].to_numpy().astype(float)
        a.loc[rng.random(n) < 0.004, f"swemwbs_{j}"] = np.nan
    a["mental_health"] = np.where(rng.random(n) < 0.01, 9, people["mental_health"])
    a["hs_completed"] = np.where(people["hs_completed"] == 1, 1, 2)
    a["ps_enrolled"] = np.where(people["ps_enrolled"] == 1, 1, 2)
    active, split = people["employed_or_studying"].to_numpy(), people["activity_split"].to_numpy()
    a["employed"] = np.where((active == 1) & (split < 0.75), 1, 2)
    a["in_education"] = np.where((active == 1) & (split >= 0.5), 1, 2)
    a["volunteered"] = np.where(people["volunteered"] == 1, 1, 2)
    a["is_mentor"] = np.where(people["is_mentor"] == 1, 1, 2)
    u = rng.random(n)
    a["family_income"] = np.where(u < 0.03, 8, np.where(u < 0.05, 9, people["income"]))
    _identity_answers(extra, people, a)
    a["duration_seconds"] = np.rint(np.exp(rng.normal(np.log(780), 0.45, n)))
    return a


def _yes_no(
    rng: np.random.Generator, values: pd.Series | np.ndarray, missing: float, code: int
) -> np.ndarray:
    """0/1 values as 1 yes / 2 no, with ``code`` (don't know or prefer not to say) at rate
    ``missing``."""
    answer = np.where(np.asarray(values) == 1, 1, 2)
    return np.where(rng.random(len(answer)) < missing, code, answer)


def _barrier_answers(rng: np.random.Generator, people: pd.DataFrame, a: pd.DataFrame) -> None:
    for age in ("6_11", "12_18"):
        a[f"barriers_{age}"] = _yes_no(rng, people[f"barriers_{age}"], 0.03, 8)
    asked = (a["barriers_6_11"] == 1) | (a["barriers_12_18"] == 1)
    for reason in BARRIER_REASONS:
        a[reason] = np.where(asked, people[reason], np.nan)


def _identity_answers(rng: np.random.Generator, people: pd.DataFrame, a: pd.DataFrame) -> None:
    """Identity and risk questions with their prefer-not-to-say codes, and the derived codes.

    A derived yes/no is yes when any part says yes, no when every part says no, and missing
    (9) otherwise: a prefer-not-to-say never silently becomes "no".
    """
    n = len(a)

    def ask(values: pd.Series | np.ndarray, missing: float, code: int) -> np.ndarray:
        return np.where(rng.random(n) < missing, code, np.asarray(values))

    a["indigenous"] = ask(people["indigenous"], 0.02, 9)
    a["racialized"] = ask(people["racialized"], 0.02, 99)
    group = a["racialized"].map(lambda c: RACIALIZED_GROUP.get(int(c), 2))
    a["racialized_group"] = np.where(a["racialized"] == 99, 9, group)
    a["sexual_orientation"] = ask(people["orientation"], 0.03, 9)
    a["transgender"] = _yes_no(rng, people["transgender"], 0.015, 9)
    a["lgbtq2s"] = _derived_any(
        [a["sexual_orientation"].isin([2, 3, 4, 5]), a["transgender"] == 1],
        [a["sexual_orientation"] == 1, a["transgender"] == 2],
    )
    a["disability"] = _yes_no(rng, people["disability"], 0.03, 9)
    a["immigration"] = ask(people["immigration"], 0.015, 9)
    a["newcomer"] = np.where(a["immigration"] == 9, 9, np.where(a["immigration"] == 3, 1, 2))
    risks = ("risk_justice", "risk_school", "risk_economic")
    for name, missing in zip(risks, (0.04, 0.025, 0.025), strict=True):
        a[name] = _yes_no(rng, people[name], missing, 9)
    a["risk_any"] = _derived_any([a[r] == 1 for r in risks], [a[r] == 2 for r in risks])


RACIALIZED_GROUP = {3: 1, 13: 3, 14: 4}
"""``racialized`` code -> ``racialized_group`` (1 Black, 3 White, 4 Indigenous and no
visible-minority group; every other visible-minority code is 2, another racialized group)."""


def _derived_any(yes: list[pd.Series], no: list[pd.Series]) -> np.ndarray:
    """1 if any part is yes, 2 if every part is no, else 9 (missing)."""
    any_yes = np.logical_or.reduce([s.to_numpy() for s in yes])
    all_no = np.logical_and.reduce([s.to_numpy() for s in no])
    return np.where(any_yes, 1, np.where(all_no, 2, 9))

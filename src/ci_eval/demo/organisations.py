"""Simulate the demo organisation (program) survey.

A fixed universe of mentoring programs (``P0001`` ...) with stable attributes;
each wave, most of them answer. Program quality (a latent score) drives how many
effective-practice standards are fully in place and how many volunteer mentors
stay for 12 months; collaboration grows between the waves (the "mutually
reinforcing activities" of collective impact), more in better-connected programs
(a latent ``connected`` score, so the collaboration items hang together). The
territories have one or two programs each, so disclosure control has hard cases.
Waitlists, waits and demand beyond capacity grow between the waves; ages served,
funding sources and whether a program records identity are stable per program.

>>> import numpy as np
>>> programs = program_universe(np.random.default_rng(3))
>>> len(programs), int((programs["province"] == 61).sum())
(460, 1)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ci_eval.demo.codebooks import COLLABORATION_ITEMS, PRACTICE_ITEMS
from ci_eval.demo.population import PROVINCES, population_cells
from ci_eval.demo.youth import FRENCH_SHARE, REGION_OF, expit

UNIVERSE = 460
"""Programs ever in the frame; the first 430 existed in 2021."""
IN_FRAME = {"2021": 430, "2024": 460}
RESPONDING = {"2021": 400, "2024": 410}
FIXED_COUNTS = {60: 2, 61: 1, 62: 1, 11: 5}
"""Programs in the smallest jurisdictions (Yukon, NWT, Nunavut, PEI)."""

COLLABORATION_RATE = {
    "2021": (0.70, 0.40, 0.25, 0.30, 0.20),
    "2024": (0.75, 0.48, 0.35, 0.35, 0.32),
}
MODEL_RATE = {"one_to_one": 0.70, "group": 0.45, "peer": 0.15}
EMENTORING_RATE = {"2021": 0.20, "2024": 0.30}
WAITLIST_RATE = {"2021": 0.50, "2024": 0.57}
DEMAND_EXCEEDS_RATE = {"2021": 0.62, "2024": 0.67}
"""Share of programs saying demand outpaces what they can offer (more with a waitlist)."""
WAIT_MONTHS_SCALE = {"2021": 2.0, "2024": 2.4}
"""Typical wait for a match: gamma(3, scale) months, so longer waits in 2024."""
AGES_RATE = {"ages_6_11": 0.55, "ages_12_18": 0.85, "ages_19_24": 0.25}
FUNDING_RATE = {
    "funding_government": 0.60,
    "funding_foundations": 0.50,
    "funding_corporate": 0.30,
    "funding_donations": 0.55,
    "funding_fees": 0.15,
    "funding_other": 0.10,
}
RECORDS_IDENTITY_RATE = 0.45
SERVED_SHARE = {
    # share of youth served in each identity group (where the program records it)
    "served_indigenous": 0.08,
    "served_racialized": 0.35,
    "served_lgbtq2s": 0.12,
    "served_disability": 0.20,
    "served_newcomer": 0.10,
}
CAPACITY_DRAWS = ("demand", *AGES_RATE, *FUNDING_RATE, "records_identity")
"""Stable uniform draws per program (in this order) for items that rarely change."""


def program_universe(rng: np.random.Generator) -> pd.DataFrame:
    """Stable attributes of every program (province, type, size, quality)."""
    sizes = population_cells("2024").groupby("province")["population"].sum()
    others = sizes.drop(list(FIXED_COUNTS))
    free = UNIVERSE - sum(FIXED_COUNTS.values())
    provinces = list(rng.choice(others.index.to_numpy(), free, p=others / others.sum()))
    for province, count in FIXED_COUNTS.items():
        provinces += [province] * count
    provinces = np.array(provinces)[rng.permutation(UNIVERSE)]
    n = UNIVERSE
    return pd.DataFrame(
        {
            "program_id": [f"P{i + 1:04d}" for i in range(n)],
            "province": provinces.astype(int),
            "region": [REGION_OF[int(p)] for p in provinces],
            "org_type": rng.choice([1, 2, 3, 4], n, p=[0.45, 0.30, 0.15, 0.10]),
            "base_size": np.exp(rng.normal(np.log(60), 1.0, n)),
            "quality": rng.standard_normal(n),
            "connected": rng.standard_normal(n),
            "french": [u < FRENCH_SHARE.get(int(p), 0.03) for u, p in
                       zip(rng.random(n), provinces, strict=True)],
            "model_u": [rng.random(4) for _ in range(n)],
            # stable draws for the capacity, ages-served, funding and identity-records items
            "capacity_u": [rng.random(len(CAPACITY_DRAWS)) for _ in range(n)],
        }
    )  # fmt: skip


def organisation_answers(
    rng: np.random.Generator, universe: pd.DataFrame, wave: str
) -> pd.DataFrame:
    """One wave's answers of the programs that responded, with the codebook's codes."""
    frame = universe.iloc[: IN_FRAME[wave]]
    fixed = frame["province"].isin(list(FIXED_COUNTS)).to_numpy()
    others = np.flatnonzero(~fixed)
    keep = rng.choice(others, RESPONDING[wave] - fixed.sum(), replace=False)
    chosen = frame.iloc[np.sort(np.concatenate([np.flatnonzero(fixed), keep]))]
    n = len(chosen)
    growth = 1.0 if wave == "2021" else 1.08
    a = pd.DataFrame({"program_id": chosen["program_id"].to_numpy()})
    a["survey_language"] = np.where(chosen["french"], "fr", "en")
    a["province"] = chosen["province"].to_numpy()
    a["region"] = chosen["region"].to_numpy()
    a["org_type"] = chosen["org_type"].to_numpy()
    u = np.stack(chosen["model_u"].to_numpy())
    a["model_one_to_one"] = (u[:, 0] < MODEL_RATE["one_to_one"]).astype(int)
    a["model_group"] = (u[:, 1] < MODEL_RATE["group"]).astype(int)
    a["model_ementoring"] = (u[:, 2] < EMENTORING_RATE[wave]).astype(int)
    a["model_peer"] = (u[:, 3] < MODEL_RATE["peer"]).astype(int)
    none = a[["model_one_to_one", "model_group", "model_ementoring", "model_peer"]].sum(axis=1) == 0
    a.loc[none, "model_one_to_one"] = 1
    served = np.maximum(5, np.rint(chosen["base_size"].to_numpy() * growth
                                   * np.exp(rng.normal(0, 0.2, n))))  # fmt: skip
    a["youth_served"] = served
    a["size_band"] = np.digitize(served, [50, 200]) + 1
    waitlist = rng.random(n) < WAITLIST_RATE[wave]
    a["waitlist"] = np.where(rng.random(n) < 0.02, 8, np.where(waitlist, 1, 2))
    a["waitlist_youth"] = np.where(
        a["waitlist"] == 1,
        np.maximum(1, np.rint(served * 0.3 * np.exp(rng.normal(0, 0.6, n)))),
        np.nan,
    )
    a["wait_time_months"] = np.where(
        a["waitlist"] == 1,
        np.clip(np.rint(rng.gamma(3.0, WAIT_MONTHS_SCALE[wave], n)), 1, 24),
        np.nan,
    )
    recruited = np.maximum(1, np.rint(served * 0.45 * np.exp(rng.normal(0, 0.4, n))))
    quality = chosen["quality"].to_numpy() + (0.0 if wave == "2021" else 0.15)
    a["volunteers_recruited"] = recruited
    a["volunteers_retained"] = rng.binomial(recruited.astype(int), expit(0.6 + 0.5 * quality))
    for name in PRACTICE_ITEMS:
        latent = quality + 0.8 * rng.standard_normal(n)
        level = np.digitize(latent, [-1.2, 0.0]) + 1
        a[name] = np.where(rng.random(n) < 0.02, 8, level)
    connected = chosen["connected"].to_numpy()
    for name, rate in zip(COLLABORATION_ITEMS, COLLABORATION_RATE[wave], strict=True):
        p = expit(np.log(rate / (1 - rate)) + 1.5 * connected)
        a[name] = np.where(rng.random(n) < p, 1, 2)
    a["partner_count"] = rng.poisson(2 + 2 * (a[list(COLLABORATION_ITEMS)] == 1).sum(axis=1))
    draws = dict(zip(CAPACITY_DRAWS, np.stack(chosen["capacity_u"].to_numpy()).T, strict=True))
    _capacity_answers(rng, a, draws, waitlist, wave)
    return a


def _capacity_answers(
    rng: np.random.Generator,
    a: pd.DataFrame,
    draws: dict[str, np.ndarray],
    waiting: np.ndarray,
    wave: str,
) -> None:
    """Demand vs capacity, ages served, funding, budget, staff and youth served by identity.

    A program with a waitlist (``waiting``, before "don't know" answers) more often says
    demand exceeds capacity; the other programs' rate is set so that the share over all
    programs is :data:`DEMAND_EXCEEDS_RATE` in expectation.
    """
    n = len(a)
    target = DEMAND_EXCEEDS_RATE[wave]
    share_waiting = WAITLIST_RATE[wave]
    p_demand = np.where(waiting, 0.85, (target - 0.85 * share_waiting) / (1 - share_waiting))
    demand = np.where(draws["demand"] < p_demand, 1, 2)
    a["demand_exceeds_capacity"] = np.where(rng.random(n) < 0.02, 8, demand)
    for name, rate in AGES_RATE.items():
        a[name] = (draws[name] < rate).astype(int)
    a.loc[a[list(AGES_RATE)].sum(axis=1) == 0, "ages_12_18"] = 1
    a["serves_after_18"] = np.where(a["ages_19_24"] == 1, 1, 2)
    for name, rate in FUNDING_RATE.items():
        a[name] = (draws[name] < rate).astype(int)
    served = a["youth_served"].to_numpy()
    budget = np.digitize(served * 2_500 * np.exp(rng.normal(0, 0.5, n)), BUDGET_CUTS) + 1
    a["budget_band"] = np.where(rng.random(n) < 0.05, 9, budget)
    a["paid_staff_fte"] = np.round(np.maximum(0.0, served / 40 * np.exp(rng.normal(0, 0.5, n))), 1)
    records = draws["records_identity"] < RECORDS_IDENTITY_RATE
    a["records_identity"] = np.where(records, 1, 2)
    for name, share in SERVED_SHARE.items():
        count = rng.binomial(served.astype(int), share)
        kept = records & (rng.random(n) >= 0.1)  # some groups are not recorded
        a[name] = np.where(kept, count, np.nan)


BUDGET_CUTS = [100_000, 250_000, 500_000, 1_000_000]
"""Annual budget bands: under $100k, $100k-249k, $250k-499k, $500k-999k, $1M or more."""


__all__ = ["PROVINCES", "organisation_answers", "program_universe"]

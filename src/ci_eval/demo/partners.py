"""Simulate the demo partner survey: the collaborative's member organisations.

Eighty member organisations (``M001`` ...) with a stable sector; one of them is the backbone
(role 5). The membership grows: :data:`JOINED` working-group members join in 2024 (72 members in
2021, 80 in 2024), and one youth leader of a youth-led organisation takes a seat at the
leadership table in 2024 (youth voice: 1 of 12 seats in 2021, 2 of 13 in 2024). The membership
list (:func:`members_table`) has one row per member and wave. Each wave:

- **Conditions.** Member ``i`` answers item ``k`` of condition ``c`` as
  ``round(MEAN[c][wave] + a_i + b_ic + e_ick)`` clipped to 1-5 (``a_i`` the member's general
  view and ``b_ic`` its view of the condition, both stable; ``e`` item noise), with "don't
  know" (8) at :data:`DONT_KNOW_RATE`. Communication weakens between the waves; the others
  hold or improve.
- **Network.** A true, undirected network among all members: pair ``(i, j)`` is tied when a
  stable uniform ``u_ij`` is below ``expit(TIE_LOGIT[wave] + s_i + s_j + bonuses)``, so every
  2021 tie remains in 2024 and the network densifies. A respondent reports each of its true ties
  with probability :data:`RECALL` and a non-tie with :data:`FALSE_TIE`; each type of a true tie
  is reported with :data:`TYPE_AGREEMENT`; trust and value ratings scatter around the tie's
  latent quality.
- **Non-response.** :data:`RESPONDING` members of the wave answer (the backbone and the
  leadership table always do).

The truth (:func:`partner_truth`) is the finite-population value over the wave's members: each
condition's mean score (mean of the answered items, at least :data:`MIN_ITEMS`) had every member
answered, the true network's density, backbone ties, cross-sector share and isolates, and the
share of leadership-table seats held by youth-led organisations.

>>> import numpy as np
>>> members = member_universe(np.random.default_rng(1))
>>> len(members), int((members["role"] == 5).sum()), int(members["joined"].eq("2024").sum())
(80, 1, 8)
>>> table = members_table(members)
>>> table.groupby("wave").size().to_dict()
{'2021': 72, '2024': 80}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ci_eval.demo.partner_codebook import CONDITION_ITEMS, RATINGS, TIE_TYPES
from ci_eval.demo.youth import expit

MEMBERS = 80
SECTOR_COUNTS = {1: 40, 2: 12, 3: 8, 4: 6, 5: 8, 6: 6}
ROLE_OF_SECTOR = {
    # role counts within each sector: 1 leadership table, 2 steering committee, 3 working
    # group, 4 funder, 5 backbone staff, 6 youth leader
    1: {1: 6, 2: 3, 3: 29, 5: 1, 6: 1},
    2: {1: 2, 2: 1, 3: 7, 4: 2},
    3: {1: 1, 3: 5, 4: 2},
    4: {1: 1, 4: 5},
    5: {1: 1, 2: 2, 3: 5},
    6: {1: 1, 6: 5},
}
RESPONDING = {"2021": 64, "2024": 68}
JOINED = 8
"""Working-group members (outside the youth-led sector) who join in 2024."""
LEADERSHIP_ROLE, YOUTH_SECTOR, YOUTH_ROLE = 1, 6, 6
MEAN = {
    "common_agenda": {"2021": 3.6, "2024": 3.8},
    "shared_measurement": {"2021": 3.1, "2024": 3.5},
    "reinforcing_activities": {"2021": 3.3, "2024": 3.5},
    "communication": {"2021": 3.8, "2024": 3.2},
    "backbone_support": {"2021": 3.8, "2024": 3.9},
    "champions": {"2021": 3.5, "2024": 3.6},
    "urgency": {"2021": 3.9, "2024": 3.9},
    "resources": {"2021": 2.8, "2024": 2.9},
    "equity": {"2021": 3.2, "2024": 3.5},
    "youth_voice": {"2021": 2.9, "2024": 3.3},
}
"""Centre of each condition's items per wave; communication is the condition that weakens."""
WEAKENED = "communication"
DONT_KNOW_RATE = 0.06
MIN_ITEMS = 2
TIE_LOGIT = {"2021": -3.0, "2024": -2.3}
SAME_SECTOR, LEADERSHIP, BACKBONE = 0.6, 0.8, 3.5
RECALL, FALSE_TIE, TYPE_AGREEMENT = 0.9, 0.002, 0.85
TYPE_RATE = {
    "info": {"2021": 0.9, "2024": 0.9},
    "joint": {"2021": 0.45, "2024": 0.55},
    "data": {"2021": 0.25, "2024": 0.45},
    "fund": {"2021": 0.15, "2024": 0.2},
}
TRUST_CENTRE, VALUE_CENTRE = 3.0, 2.8


def member_universe(rng: np.random.Generator) -> pd.DataFrame:
    """The members: ``partner_id, sector, role`` plus latent traits (``sociable``, ``view``)."""
    sectors, roles = [], []
    for sector, by_role in ROLE_OF_SECTOR.items():
        for role, count in by_role.items():
            sectors += [sector] * count
            roles += [role] * count
    order = rng.permutation(MEMBERS)
    frame = pd.DataFrame({"sector": np.array(sectors)[order], "role": np.array(roles)[order]})
    frame.insert(0, "partner_id", [f"M{i + 1:03d}" for i in range(MEMBERS)])
    frame["sociable"] = rng.normal(0, 0.5, MEMBERS)
    frame["view"] = rng.normal(0, 0.45, MEMBERS)
    frame["condition_view"] = list(rng.normal(0, 0.3, (MEMBERS, len(CONDITION_ITEMS))))
    frame["french"] = rng.random(MEMBERS) < 0.25
    frame["pair_u"] = list(rng.random((MEMBERS, MEMBERS)))
    frame["tie_quality"] = list(rng.normal(0, 0.5, (MEMBERS, MEMBERS)))
    joinable = np.flatnonzero((frame["role"] == 3).to_numpy() & (frame["sector"] != 6).to_numpy())
    joined = rng.choice(joinable, JOINED, replace=False)
    frame["joined"] = np.where(np.isin(np.arange(MEMBERS), joined), "2024", "2021")
    youth = np.flatnonzero((frame["sector"] == YOUTH_SECTOR) & (frame["role"] == YOUTH_ROLE))
    frame["role_2024"] = frame["role"]
    frame.loc[youth[0], "role_2024"] = LEADERSHIP_ROLE
    return frame


def in_wave(members: pd.DataFrame, wave: str) -> np.ndarray:
    """Whether each member belongs to the collaborative in ``wave``."""
    return (members["joined"] <= wave).to_numpy()


def wave_roles(members: pd.DataFrame, wave: str) -> np.ndarray:
    """Each member's role in ``wave``."""
    return members["role_2024" if wave >= "2024" else "role"].to_numpy()


def members_table(members: pd.DataFrame) -> pd.DataFrame:
    """The membership list the study reads (``surveys/partners/members.csv``): one row per
    member and wave, with that wave's role."""
    rows = []
    for wave in sorted(RESPONDING):
        now = members[in_wave(members, wave)]
        roles = wave_roles(now, wave)
        rows.append(now[["partner_id", "sector"]].assign(role=roles).assign(wave=wave))
    columns = ["wave", "partner_id", "sector", "role"]
    return pd.concat(rows, ignore_index=True)[columns]


def true_network(members: pd.DataFrame, wave: str) -> np.ndarray:
    """The symmetric boolean adjacency matrix of the wave's true network (no ties of members
    who have not joined yet)."""
    s = members["sociable"].to_numpy()
    sector, role = members["sector"].to_numpy(), wave_roles(members, wave)
    logit = TIE_LOGIT[wave] + s[:, None] + s[None, :]
    logit = logit + SAME_SECTOR * (sector[:, None] == sector[None, :])
    lead = role == 1
    logit = logit + LEADERSHIP * (lead[:, None] & lead[None, :])
    back = role == 5
    logit = logit + BACKBONE * (back[:, None] | back[None, :])
    u = np.triu(np.stack(members["pair_u"].to_numpy()), 1)
    now = in_wave(members, wave)
    tied = np.triu(u < expit(logit), 1) & now[:, None] & now[None, :]
    return tied | tied.T


def true_condition_scores(
    rng: np.random.Generator, members: pd.DataFrame, wave: str
) -> pd.DataFrame:
    """Every member's answers to the agreement items (codes 1-5 and 8), before non-response."""
    n = len(members)
    answers = pd.DataFrame(index=range(n))
    views = np.stack(members["condition_view"].to_numpy())
    for c, (condition, items) in enumerate(CONDITION_ITEMS.items()):
        centre = MEAN[condition][wave] + members["view"].to_numpy() + views[:, c]
        for k in range(len(items)):
            value = np.clip(np.rint(centre + rng.normal(0, 0.6, n)), 1, 5)
            answers[f"{condition}_{k + 1}"] = np.where(rng.random(n) < DONT_KNOW_RATE, 8, value)
    return answers


def condition_score(answers: pd.DataFrame, condition: str) -> pd.Series:
    """Mean of the answered items (8 is missing), NaN with fewer than :data:`MIN_ITEMS`."""
    items = answers[[f"{condition}_{k + 1}" for k in range(len(CONDITION_ITEMS[condition]))]]
    items = items.where(items != 8)
    return items.mean(axis=1).where(items.notna().sum(axis=1) >= MIN_ITEMS)


def partner_answers(
    rng: np.random.Generator, members: pd.DataFrame, wave: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(answers of the respondents, the item answers of every member of the wave)``."""
    items = true_condition_scores(rng, members, wave)
    role = wave_roles(members, wave)
    now = in_wave(members, wave)
    always = np.flatnonzero(now & ((role == 5) | (role == LEADERSHIP_ROLE)))
    others = np.setdiff1d(np.flatnonzero(now), always)
    drawn = rng.choice(others, RESPONDING[wave] - len(always), False)
    chosen = np.sort(np.concatenate([always, drawn]))
    tied = true_network(members, wave)
    a = pd.DataFrame({"partner_id": members["partner_id"].to_numpy()[chosen]})
    a["survey_language"] = np.where(members["french"].to_numpy()[chosen], "fr", "en")
    a["sector"] = members["sector"].to_numpy()[chosen]
    a["role"] = role[chosen]
    for column in items.columns:
        a[column] = items[column].to_numpy()[chosen]
    roster = _roster(rng, members, tied, chosen, wave)
    return pd.concat([a, roster], axis=1), items[now].reset_index(drop=True)


def _roster(
    rng: np.random.Generator,
    members: pd.DataFrame,
    tied: np.ndarray,
    chosen: np.ndarray,
    wave: str,
) -> pd.DataFrame:
    """The roster answers of the respondents ``chosen`` about every other member."""
    ids = members["partner_id"].tolist()
    quality = np.stack(members["tie_quality"].to_numpy())
    quality = np.triu(quality, 1) + np.triu(quality, 1).T
    m = len(chosen)
    true = tied[chosen]
    report = np.where(true, rng.random(true.shape) < RECALL, rng.random(true.shape) < FALSE_TIE)
    report[np.arange(m), chosen] = False
    columns: dict[str, np.ndarray] = {}
    now = in_wave(members, wave)
    report[:, ~now] = False
    for j, member in enumerate(ids):
        said = report[:, j]
        own = (chosen == j) | ~now[j]  # not asked about itself, nor about a future member
        columns[f"tie_{member}"] = np.where(own, np.nan, np.where(said, 1.0, 2.0))
        for kind in TIE_TYPES:
            has = rng.random(m) < TYPE_RATE[kind][wave]
            agree = rng.random(m) < TYPE_AGREEMENT
            columns[f"{kind}_{member}"] = np.where(said, (has == agree).astype(float), np.nan)
        q = quality[chosen, j]
        for rating in RATINGS:
            centre = TRUST_CENTRE if rating.startswith("trust") else VALUE_CENTRE
            value = np.clip(np.rint(centre + q + rng.normal(0, 0.5, m)), 1, 4)
            value = np.where(rng.random(m) < 0.04, 8.0, value)
            columns[f"{rating}_{member}"] = np.where(said, value, np.nan)
    return pd.DataFrame(columns)


def partner_truth(members: pd.DataFrame, items: dict[str, pd.DataFrame]) -> dict[str, object]:
    """The truth of the partner survey for ``surveys/demo_truth.yaml``."""
    conditions = {
        c: {
            **{w: round(float(condition_score(a, c).mean()), 4) for w, a in items.items()},
        }
        for c in CONDITION_ITEMS
    }
    waves = list(items)
    for by_wave in conditions.values():
        by_wave["change"] = round(by_wave[waves[-1]] - by_wave[waves[0]], 4)
    return {
        "members": {w: int(in_wave(members, w).sum()) for w in waves},
        "responding": dict(RESPONDING),
        "min_items": MIN_ITEMS,
        "weakened_condition": WEAKENED,
        "condition_means": conditions,
        "network": {w: network_truth(members, true_network(members, w), w) for w in waves},
        "youth_on_leadership_table": {w: youth_voice_truth(members, w) for w in waves},
        "reporting": {"recall": RECALL, "false_tie": FALSE_TIE, "type_agreement": TYPE_AGREEMENT},
    }


def network_truth(members: pd.DataFrame, tied: np.ndarray, wave: str) -> dict[str, float]:
    """Density, share of members tied to the backbone, cross-sector share, isolates, over the
    members of ``wave``."""
    now = in_wave(members, wave)
    tied = tied[np.ix_(now, now)]
    members = members[now]
    n = len(members)
    upper = np.triu(tied, 1)
    ties = int(upper.sum())
    sector = members["sector"].to_numpy()
    cross = int((upper & (sector[:, None] != sector[None, :])).sum())
    back = int(np.flatnonzero(wave_roles(members, wave) == 5)[0])
    return {
        "ties": ties,
        "density": round(ties / (n * (n - 1) / 2), 4),
        "backbone_tied": round(float(np.delete(tied[back], back).mean()), 4),
        "cross_sector": round(cross / ties, 4),
        "isolates": int((tied.sum(axis=1) == 0).sum()),
    }


def youth_voice_truth(members: pd.DataFrame, wave: str) -> dict[str, float]:
    """Seats at the leadership table and those held by youth-led organisations."""
    table = in_wave(members, wave) & (wave_roles(members, wave) == LEADERSHIP_ROLE)
    youth = table & (members["sector"] == YOUTH_SECTOR).to_numpy()
    return {"seats": int(table.sum()), "youth": int(youth.sum()),
            "share": round(float(youth.sum() / table.sum()), 4)}  # fmt: skip

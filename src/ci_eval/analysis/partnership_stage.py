"""The partnership tables of the analysis stage, from ``[analysis.partnership]``.

```toml
[analysis.partnership]
survey = "partners"                        # the partner survey (a census of the members)
members = "surveys/partners/members.csv"   # partner_id, sector, role of every member
min_items = 2                              # answered items a condition score needs
# conditions = ["common_agenda", ...]      # default: ci_eval.analysis.partnership.CONDITIONS
# by = ["sector", "role"]                  # domains, where cells allow ([disclosure])
# backbone_role = 5                        # the role code of the backbone organisation
# partner_names = false                    # true: the report may name member organisations
```

Without the table no partnership table is made. The membership list is the population: the
members of a wave are the finite-population correction of its estimates and the nodes of its
network, and they give the sector and role of members who did not answer. The list has one row
per member (the same membership every wave), or, with a ``wave`` column, one row per member
and wave (members who join or leave, a role that changes). Member organisations are never
named in the results unless ``partner_names = true``: then ``partnership_members`` lists each
member by the list's ``name`` column (else its id) with its ties, and the report shows the most
connected ones; otherwise that table is empty and the network is published by sector only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from ci_eval.analysis.partnership import (
    CONDITIONS,
    census_design,
    condition_estimates,
    condition_reliability,
    condition_scores,
    condition_trends,
    wave_members,
)
from ci_eval.analysis.partnership_network import network_tables, roster_columns
from ci_eval.codebook import Codebook
from ci_eval.errors import AnalysisError
from ci_eval.survey import SurveyDesign

TABLE_NAMES = (
    "partnership_conditions",
    "partnership_trends",
    "partnership_reliability",
    "partnership_network",
    "partnership_sector_ties",
    "partnership_members",
)


class PartnershipSettings(BaseModel):
    """``[analysis.partnership]``: the partner survey, its membership list and scoring rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    survey: str = "partners"
    members: str
    min_items: int = Field(default=2, ge=1)
    conditions: list[str] = list(CONDITIONS)
    by: list[str] = ["sector", "role"]
    backbone_role: int | str = 5
    partner_names: bool = False


def read_members(path: Path, by: list[str], waves: list[str]) -> pd.DataFrame:
    """The membership list: ``partner_id`` unique (within each wave when it has a ``wave``
    column, whose waves must be the study's), the ``by`` columns and ``role`` present; a
    clear error naming the file otherwise."""
    if not path.is_file():
        raise AnalysisError(f"[analysis.partnership] members: {path} does not exist")
    members = pd.read_csv(path, dtype={"partner_id": str, "wave": str})
    need = {"partner_id", "role", *by}
    missing = sorted(need - set(members.columns))
    if missing:
        raise AnalysisError(f"{path}: missing column(s) {', '.join(missing)} of the members list")
    key = ["wave", "partner_id"] if "wave" in members.columns else ["partner_id"]
    repeated = members["partner_id"][members.duplicated(key)].tolist()
    if repeated:
        raise AnalysisError(f"{path}: partner_id repeated: {', '.join(repeated[:5])}")
    if "wave" in members.columns:
        absent = [w for w in waves if w not in set(members["wave"])]
        unknown = sorted(set(members["wave"]) - set(waves))
        if absent or unknown:
            raise AnalysisError(
                f"{path}: the wave column must list the members of every study wave "
                f"({', '.join(waves)}); missing {', '.join(absent) or 'none'}, "
                f"not a study wave {', '.join(unknown) or 'none'}"
            )
    return members


def census_designs(
    study: Any, frames: Mapping[tuple[str, str], pd.DataFrame], settings: PartnershipSettings
) -> dict[tuple[str, str], SurveyDesign]:
    """The partner survey's design of each wave as the census it is (the respondents a sample
    without replacement of the wave's members, :func:`~ci_eval.analysis.partnership.census_design`),
    so that the model's indicators of that survey are estimated as the condition scores are."""
    waves = [str(w) for w in study.waves.all]
    members = read_members(study.path(settings.members), settings.by, waves)
    return {
        (survey, wave): census_design(frame, len(wave_members(members, wave)))
        for (survey, wave), frame in frames.items()
        if survey == settings.survey
    }


def public_labels(labels: pd.DataFrame, study: Any, settings: PartnershipSettings) -> pd.DataFrame:
    """The labels table without the roster's variables and their levels unless the study
    allows partner names: a roster question's label names a member ("Worked with <name>")."""
    if settings.partner_names:
        return labels
    waves = [str(w) for w in study.waves.all]
    members = read_members(study.path(settings.members), settings.by, waves)
    roster = roster_columns(members["partner_id"].astype(str).unique().tolist())
    named = labels["id"].isin(roster) | labels["parent"].isin(roster)
    return labels[~named].reset_index(drop=True)


def partnership_tables(
    study: Any,
    raw: Mapping[str, Mapping[str, pd.DataFrame]],
    codebooks: Mapping[str, Codebook],
    settings: PartnershipSettings,
    rules: Any,
    *,
    alpha: float = 0.05,
    conf_level: float = 0.95,
) -> dict[str, pd.DataFrame]:
    """Every partnership table (:data:`TABLE_NAMES`) from the clean partner responses."""
    survey = settings.survey
    if survey not in raw:
        raise AnalysisError(
            f"[analysis.partnership] survey = {survey!r}: no clean responses of that survey; "
            f"declare [surveys.{survey}] with its sources"
        )
    waves = [str(w) for w in study.waves.all]
    members = read_members(study.path(settings.members), settings.by, waves)
    id_column = study.surveys[survey].id_column
    frames, scored = {}, {}
    for wave, data in raw[survey].items():
        data = codebooks[survey].apply_missing(data) if survey in codebooks else data
        listed = set(wave_members(members, str(wave))["partner_id"])
        unknown = sorted(set(data[id_column].astype(str)) - listed)
        if unknown:
            raise AnalysisError(
                f"partner survey wave {wave}: {', '.join(unknown[:5])} answered but not in "
                f"{settings.members} for that wave; add them to the membership list"
            )
        frames[str(wave)] = data
        scores = condition_scores(data, settings.conditions, settings.min_items)
        scored[str(wave)] = pd.concat([data[list(settings.by)], scores], axis=1)
    estimates = condition_estimates(
        scored, members, settings.conditions, rules, by=settings.by, survey=survey,
        conf_level=conf_level,
    )  # fmt: skip
    baseline = str(study.waves.baseline)
    names = _names(members) if settings.partner_names else None
    network, sectors, named = network_tables(
        frames, members, id_column, baseline, settings.backbone_role, survey, conf_level, names
    )
    return {
        "partnership_conditions": estimates,
        "partnership_trends": condition_trends(estimates, baseline, alpha, conf_level),
        "partnership_reliability": condition_reliability(
            frames, settings.conditions, survey, conf_level
        ),
        "partnership_network": network,
        "partnership_sector_ties": sectors,
        "partnership_members": named,
    }


def _names(members: pd.DataFrame) -> dict[str, str]:
    """Each member's name (the list's ``name`` column, else none: its id is shown)."""
    if "name" not in members.columns:
        return {}
    named = members.dropna(subset=["name"])
    return dict(zip(named["partner_id"].astype(str), named["name"].astype(str), strict=True))

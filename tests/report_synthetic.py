"""A small synthetic results store with the tables of the analysis contract.

The report is developed and tested against this store (HELPERS_RESULTS.md names the
tables and columns). Values are made up but coherent: CIs contain their estimates,
suppressed rows are blank with a reason. ``LEAK`` values are planted where the contract
says a value must never be published, so tests can check the book never shows them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ci_eval.results import ResultsStore, contract

# A value that no real estimate in this store takes: the tests look for its renderings.
LEAK = 0.987654


def _labels() -> pd.DataFrame:
    rows = [
        ("outcome", "access", "", "Young people have mentors", "Les jeunes ont des mentors"),
        ("outcome", "wellbeing", "", "Mental wellbeing", "Bien-être mental"),
        (
            "outcome",
            "program_delivery",
            "",
            "Programs deliver mentoring",
            "Les programmes offrent du mentorat",
        ),
        (
            "indicator",
            "mentored_6_18",
            "",
            "Had a mentor at ages 6-18",
            "A eu un mentor entre 6 et 18 ans",
        ),
        (
            "indicator",
            "mentoring_gap",
            "",
            "Wanted a mentor and had none",
            "Voulait un mentor et n'en a pas eu",
        ),
        (
            "indicator",
            "swemwbs_score",
            "",
            "Mental wellbeing score (SWEMWBS)",
            "Score de bien-être mental (SWEMWBS)",
        ),
        ("indicator", "youth_served", "", "Young people served", "Jeunes servis"),
        (
            "indicator",
            "has_waitlist",
            "",
            "Programs with a waitlist",
            "Programmes avec liste d'attente",
        ),
        ("variable", "gender", "", "Gender", "Genre"),
        ("variable", "region", "", "Region", "Région"),
        ("variable", "mentor_type", "", "Type of mentor", "Type de mentor"),
        (
            "variable",
            "mentored_6_18",
            "",
            "Had a mentor at ages 6-18",
            "A eu un mentor entre 6 et 18 ans",
        ),
        ("level", "1", "gender", "Woman", "Femme"),
        ("level", "2", "gender", "Man", "Homme"),
        ("level", "3", "gender", "Another gender", "Autre genre"),
        ("level", "1", "region", "Atlantic", "Atlantique"),
        ("level", "2", "region", "Quebec", "Québec"),
        ("level", "3", "region", "North", "Nord"),
        (
            "survey",
            "youth",
            "",
            "National youth mentoring survey",
            "Sondage national sur le mentorat des jeunes",
        ),
        (
            "survey",
            "organisations",
            "",
            "Survey of mentoring programs",
            "Sondage des programmes de mentorat",
        ),
        ("wave", "2021", "", "2021", "2021"),
        ("wave", "2024", "", "2024", "2024"),
        (
            "universe",
            "all",
            "youth",
            "all young adults aged 18-30",
            "l'ensemble des jeunes adultes de 18 à 30 ans",
        ),
        (
            "universe",
            "mentored_6_18 == 1",
            "youth",
            "young adults who had a mentor at ages 6-18",
            "les jeunes adultes qui ont eu un mentor entre 6 et 18 ans",
        ),
        (
            "universe",
            "programs",
            "organisations",
            "mentoring programs",
            "les programmes de mentorat",
        ),
        ("variable", "age_band", "youth", "Age band", "Groupe d'âge"),
        ("level", "1", "age_band", "18-21", "18-21"),
        ("level", "2", "age_band", "22-25", "22-25"),
        ("level", "3", "age_band", "26-30", "26-30"),
        ("by", "age_band", "youth", "by age band", "selon le groupe d'âge"),
        (
            "by",
            "mentored_6_18",
            "youth",
            "by whether they had a mentor at ages 6-18",
            "selon qu'ils ont eu ou non un mentor entre 6 et 18 ans",
        ),
        ("by", "gender", "youth", "by gender", "selon le genre"),
        ("by", "region", "youth", "by region", "selon la région"),
        ("by", "region", "organisations", "by region", "selon la région"),
        ("contribution", "gap_by_type", "mentoring_gap", "Type of mentor", "Type de mentor"),
        ("level", "1", "swemwbs_by_type", "Structured mentor", "Mentor structuré"),
        ("level", "0", "swemwbs_by_type", "Informal mentors only", "Mentors informels seulement"),
        (
            "variable",
            "relationship_length",
            "",
            "Length of the relationship",
            "Durée de la relation",
        ),
        ("level", "1", "relationship_length", "Less than 1 year", "Moins d'un an"),
        ("level", "2", "relationship_length", "1 to 2 years", "1 à 2 ans"),
        ("level", "3", "relationship_length", "3 years or more", "3 ans ou plus"),
        ("level", "1", "swemwbs_by_mentor", "Mentored", "Avec mentor"),
        ("level", "0", "swemwbs_by_mentor", "Not mentored", "Sans mentor"),
        ("level", "1", "gap_by_mentor", "Mentored", "Avec mentor"),
        ("level", "0", "gap_by_mentor", "Not mentored", "Sans mentor"),
    ]
    return pd.DataFrame(rows, columns=["kind", "id", "parent", "en", "fr"])


INDICATORS = [
    # id, outcome, survey, statistic, universe, base estimate
    ("mentored_6_18", "access", "youth", "proportion", "all", 0.56),
    ("mentoring_gap", "access", "youth", "proportion", "all", 0.52),
    ("swemwbs_score", "wellbeing", "youth", "mean", "mentored_6_18 == 1", 23.4),
    ("youth_served", "program_delivery", "organisations", "total", "programs", 48250.0),
    ("has_waitlist", "program_delivery", "organisations", "proportion", "programs", 0.41),
]
DOMAINS = {"youth": ["gender", "region"], "organisations": ["region"]}


def _indicators() -> pd.DataFrame:
    rows = []
    for ind, outcome, survey, stat, universe, base in INDICATORS:
        for w, wave in enumerate(["2021", "2024"]):
            cells = [("overall", "")] + [(d, str(c)) for d in DOMAINS[survey] for c in (1, 2, 3)]
            for k, (domain, value) in enumerate(cells):
                est = base * (1 + 0.03 * w + 0.01 * k)
                se = abs(est) * (0.02 + 0.01 * k)
                n = 800 if domain == "overall" else 120 - 15 * k
                flag, suppressed, reason = "", False, ""
                if value == "3" and domain == "region":  # a small domain: suppressed
                    n, suppressed, reason = 7, True, "n < 10"
                elif value == "3" and domain == "gender":
                    flag = "E"
                    se = abs(est) * 0.2
                cv = 100 * se / abs(est)
                row = {
                    "indicator": ind,
                    "outcome": outcome,
                    "survey": survey,
                    "wave": wave,
                    "domain": domain,
                    "domain_value": value,
                    "statistic": stat,
                    "estimate": est,
                    "se": se,
                    "ci_low": est - 1.96 * se,
                    "ci_high": est + 1.96 * se,
                    "n": n,
                    "cv": cv,
                    "flag": flag,
                    "symbol": "x" if suppressed else flag,
                    "suppressed": suppressed,
                    "reason": reason,
                    "universe": universe,
                    "missing_treatment": "dk_pnts_excluded",
                }
                if suppressed:
                    for col in ("se", "ci_low", "ci_high", "cv"):
                        row[col] = np.nan
                    row["estimate"] = LEAK  # breaks the contract on purpose (see LEAK)
                rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.sort_values(["indicator", "wave", "domain", "domain_value"], ignore_index=True)


def _trends(ind: pd.DataFrame) -> pd.DataFrame:
    direction = {"mentoring_gap": "lower_is_better", "youth_served": "neutral"}
    base = ind[ind["wave"] == "2021"].set_index(["indicator", "domain", "domain_value"])
    now = ind[ind["wave"] == "2024"].set_index(["indicator", "domain", "domain_value"])
    rows = []
    for key, cur in now.iterrows():
        b = base.loc[key]
        suppressed = bool(cur["suppressed"] or b["suppressed"])
        change = cur["estimate"] - b["estimate"]
        se = float(np.hypot(cur["se"], b["se"]))
        d = direction.get(key[0], "higher_is_better")
        p = 0.01 if key[0] != "swemwbs_score" else 0.4
        if suppressed or d == "neutral":
            trend = "not_assessed"
        elif p > 0.05:
            trend = "steady"
        else:
            trend = "improved" if (change > 0) == (d == "higher_is_better") else "worsened"
        rows.append(
            {
                "indicator": key[0],
                "domain": key[1],
                "domain_value": key[2],
                "baseline_wave": "2021",
                "wave": "2024",
                "baseline": np.nan if suppressed else b["estimate"],
                "estimate": np.nan if suppressed else cur["estimate"],
                "change": np.nan if suppressed else change,
                "se": np.nan if suppressed else se,
                "ci_low": np.nan if suppressed else change - 1.96 * se,
                "ci_high": np.nan if suppressed else change + 1.96 * se,
                "p_value": np.nan if suppressed else p,
                "q_value": np.nan if suppressed else p * 1.5,
                "direction": d,
                "trend": trend,
                "suppressed": suppressed,
                "reason": "n < 10" if suppressed else "",
            }
        )
    return pd.DataFrame(rows).sort_values(
        ["indicator", "domain", "domain_value"], ignore_index=True
    )


def _scorecard(trends: pd.DataFrame, ind: pd.DataFrame) -> pd.DataFrame:
    overall = trends[trends["domain"] == "overall"].merge(
        ind[(ind["domain"] == "overall") & (ind["wave"] == "2024")][["indicator", "survey"]]
    )
    rows = []
    for survey, group in overall.groupby("survey", sort=True):
        for trend in ("improved", "steady", "worsened", "not_assessed"):
            rows.append(
                {
                    "survey": survey,
                    "trend": trend,
                    "count": int((group["trend"] == trend).sum()),
                    "total": len(group),
                }
            )
    return pd.DataFrame(rows)


CONTRIBUTIONS = [
    # id, outcome, exposure, universe, adjust_for, binary, adjusted effect
    (
        "swemwbs_by_mentor",
        "swemwbs_score",
        "mentored_6_18",
        "all",
        ["gender", "region"],
        False,
        1.3,
    ),
    ("gap_by_mentor", "mentoring_gap", "mentored_6_18", "all", ["gender", "region"], True, -0.08),
    (
        "swemwbs_by_type",
        "swemwbs_score",
        "mentor_type",
        "mentored_6_18 == 1",
        ["region"],
        False,
        -0.4,
    ),
    ("gap_by_type", "mentoring_gap", "mentor_type", "mentored_6_18 == 1", ["region"], True, None),
]
"""The synthetic contribution specs; an effect of None is a suppressed spec (n < 10)."""


def _contribution_rows(binary: bool, effect: float) -> list[tuple[str, str, float]]:
    """(model, measure, estimate) of one spec and wave, as the analysis stage writes them."""
    diff = "risk_difference" if binary else "mean_difference"
    base = 0.5 if binary else 22.0
    rows = [
        ("raw", "level_exposed", base + 1.2 * effect),
        ("raw", "level_unexposed", base),
        ("raw", diff, 1.2 * effect),
        ("regression", "odds_ratio" if binary else diff, 1.4 if binary else effect),
        ("regression", "ame", effect),
        ("gcomp", "level_exposed", base + effect),
        ("gcomp", "level_unexposed", base),
        ("gcomp", diff, effect),
        ("aipw", "ate", 0.9 * effect),
    ]
    if binary:
        rows.insert(3, ("raw", "risk_ratio", 1.25))
        rows.append(("gcomp", "risk_ratio", 1.2))
    return rows


def _trend_families(trends: pd.DataFrame, ind: pd.DataFrame) -> pd.DataFrame:
    """Trends counted per family: ``headline:<survey>`` (overall rows) and
    ``subgroups:<indicator>`` (the others), as :mod:`ci_eval.analysis.trend_families` does."""
    survey = dict(zip(ind["indicator"], ind["survey"], strict=False))
    frame = trends.assign(survey=trends["indicator"].map(survey))
    frame["family"] = np.where(
        frame["domain"] == "overall",
        "headline:" + frame["survey"],
        "subgroups:" + frame["indicator"],
    )
    trends_named = ("improved", "steady", "worsened", "increased", "decreased", "not_assessed")
    rows = []
    for (family, surv), group in frame.groupby(["family", "survey"], sort=True):
        counts = {t: int((group["trend"] == t).sum()) for t in trends_named}
        directed = int((group["direction"] != "neutral").sum())
        rows.append(
            {
                "family": family,
                "survey": surv,
                "baseline_wave": "2021",
                "wave": "2024",
                **counts,
                "total": len(group),
                "with_direction": directed,
                "summary": f"{counts['improved']} of {directed} improved",
            }
        )
    return pd.DataFrame(rows)


def _contributions() -> pd.DataFrame:
    rows = []
    for spec, outcome, exposure, universe, adjust, binary, effect in CONTRIBUTIONS:
        head = {"contribution": spec, "outcome": outcome, "exposure": exposure}
        head |= {"universe": universe, "adjust_for": adjust, "high": "1", "low": "0"}
        for wave in ("2021", "2024"):
            if effect is None:
                measure = "risk_difference" if binary else "mean_difference"
                rows.append(
                    head
                    | {"wave": wave, "high": "", "low": "", "model": "raw", "measure": measure}
                    | {"estimate": np.nan, "n": 8, "primary": True, "suppressed": True}
                    | {"reason": "an exposure group has n < 10"}
                )
                continue
            shift = 0.0 if wave == "2024" else 0.1 * effect
            for model, measure, est in _contribution_rows(binary, effect - shift):
                se = abs(est) * 0.2 + 0.01
                rows.append(
                    head
                    | {"wave": wave, "model": model, "measure": measure, "estimate": est}
                    | {"se": se, "ci_low": est - 1.96 * se, "ci_high": est + 1.96 * se}
                    | {"p_value": 0.02, "e_value": 1.8, "e_value_ci": 1.2, "n": 1400}
                    | {"primary": model == "gcomp" and measure.endswith("_difference")}
                    | {"suppressed": False, "reason": ""}
                )
    return pd.DataFrame(rows + _ordered_contribution())


def _ordered_contribution() -> list[dict]:
    """An ordered exposure (relationship length, codes 1-3): each level against the first,
    by the raw and g-computation models only; its levels are in the dose-response table."""
    head = {"contribution": "swemwbs_by_length", "outcome": "swemwbs_score"}
    head |= {"exposure": "relationship_length", "universe": "mentored_6_18 == 1"}
    head |= {"adjust_for": ["region"], "wave": "2024", "low": "1", "n": 900}
    rows = []
    for high, effect in (("2", 0.9), ("3", 2.1)):
        for model in ("raw", "gcomp"):
            rows.append(
                head
                | {"high": high, "model": model, "measure": "mean_difference"}
                | {"estimate": effect, "se": 0.4, "ci_low": effect - 0.8}
                | {"ci_high": effect + 0.8, "e_value": 1.5, "e_value_ci": 1.1}
                | {"primary": model == "gcomp", "suppressed": False, "reason": ""}
            )
    return rows


def _weighting() -> tuple[pd.DataFrame, pd.DataFrame]:
    weighting = pd.DataFrame(
        [
            {
                "survey": "youth",
                "wave": w,
                "n": 1600,
                "sum_weights": 6.9e6,
                "kish_deff": 1.4 + i / 10,
                "effective_n": 1600 / (1.4 + i / 10),
                "min": 0.4,
                "max": 2.9,
                "ratio": 7.25,
                "iterations": 7,
                "converged": True,
                "trimmed": 12,
            }
            for i, w in enumerate(["2021", "2024"])
        ]
    )
    margins = pd.DataFrame(
        [
            {
                "survey": "youth",
                "wave": "2024",
                "variables": ["gender"],
                "levels": [str(c)],
                "target": t,
                "before": b,
                "after": t,
            }
            for c, t, b in [(1, 0.49, 0.58), (2, 0.49, 0.39), (3, 0.02, 0.03)]
        ]
    )
    return weighting, margins


def _programs() -> dict[str, pd.DataFrame]:
    common = {
        "wave": "2024",
        "scope": "group",
        "peer_group": "region=1",
        "peer_variables": ["region"],
        "peer_levels": ["1"],
        "p25": np.nan,
        "p75": np.nan,
        "yes": np.nan,
    }
    return {
        "P001": pd.DataFrame(
            [
                common
                | {
                    "indicator": "youth_served",
                    "kind": "number",
                    "value": 120.0,
                    "n": 12,
                    "average": 110.0,
                    "p25": 60.0,
                    "median": 95.0,
                    "p75": 150.0,
                    "rank_band": "third",
                    "symbol": "",
                    "suppressed": False,
                    "reason": "",
                },
                common
                | {
                    "indicator": "has_waitlist",
                    "kind": "yes_no",
                    "value": 1.0,
                    "n": 4,
                    "average": LEAK,
                    "median": np.nan,
                    "yes": LEAK,
                    "rank_band": "",
                    "symbol": "x",
                    "suppressed": True,
                    "reason": "fewer than 6 programs answered",
                },
            ]
        )
    }


def _equity_gaps() -> pd.DataFrame:
    """Gender 1 against the rest (shown) and gender 3 against the rest (suppressed), 2024."""
    return pd.DataFrame(
        {
            "indicator": "mentored_6_18",
            "group_variable": "gender",
            "group": ["1", "3"],
            "comparison": ["2+3", "1+2"],
            "domain": "overall",
            "domain_value": "",
            "wave": "2024",
            "estimate_group": [0.62, np.nan],
            "estimate_comparison": [0.50, np.nan],
            "difference": [0.12, np.nan],
            "difference_ci_low": [0.05, np.nan],
            "difference_ci_high": [0.19, np.nan],
            "ratio": [1.24, np.nan],
            "ratio_ci_low": [1.09, np.nan],
            "ratio_ci_high": [1.41, np.nan],
            "n_group": [400, 6],
            "n_comparison": [400, 794],
            "suppressed": [False, True],
            "reason": ["", "n < 10"],
        }
    )


def write_synthetic_store(root: str | Path) -> ResultsStore:
    """Write the synthetic store to ``root`` and return it."""
    store = ResultsStore(root)
    ind = _indicators()
    trends = _trends(ind)
    weighting, margins = _weighting()
    tables = {
        "labels": _labels(),
        "indicators": ind,
        "trends": trends,
        "scorecard": _scorecard(trends, ind),
        "equity_gaps": _equity_gaps(),
        "targets": pd.DataFrame(
            [
                {
                    "indicator": "mentored_6_18",
                    "wave": "2024",
                    "estimate": 0.5768,
                    "baseline": 0.558,
                    "target": 0.60,
                    "target_wave": "2024",
                    "progress": 0.45,
                    "on_track": False,
                    "assessed": True,
                },
                {
                    "indicator": "mentoring_gap",
                    "wave": "2024",
                    "estimate": 0.40,
                    "baseline": 0.543,
                    "target": 0.45,
                    "target_wave": "2024",
                    "progress": 1.5,
                    "on_track": True,
                    "assessed": True,
                },
            ]
        ),
        "contributions": _contributions(),
        "balance": pd.DataFrame(
            {
                "contribution": "swemwbs_by_mentor",
                "wave": "2024",
                "covariate": ["age_band=2", "gender=2"],
                "variable": ["age_band", "gender"],
                "level": ["2", "2"],
                "smd_before": [0.21, -0.15],
                "smd_after": [0.02, -0.01],
            }
        ),
        "overlap": pd.DataFrame(
            {
                "contribution": "swemwbs_by_mentor",
                "group": ["exposed"] * 2 + ["unexposed"] * 2,
                "bin_low": [0.0, 0.5] * 2,
                "bin_high": [0.5, 1.0] * 2,
                "share": [0.3, 0.7, 0.6, 0.4],
            }
        ),
        "dose_response": pd.DataFrame(
            {
                "contribution": "swemwbs_by_length",
                "wave": "2024",
                "exposure_level": ["1", "2", "3"],
                "order": [1, 2, 3],
                "estimate": [22.1, 23.0, 24.2],
                "se": [0.4, 0.5, 0.6],
                "ci_low": [21.3, 22.0, 23.0],
                "ci_high": [22.9, 24.0, 25.4],
                "n": [300, 250, 180],
            }
        ),
        "gap_projection": pd.DataFrame(
            [
                {
                    "contribution": "swemwbs_by_mentor",
                    "wave": "2024",
                    "population": "gap",
                    "scenario": s,
                    "estimate": e,
                    "se": 0.3,
                    "ci_low": e - 0.6,
                    "ci_high": e + 0.6,
                    "change": c,
                    "change_ci_low": c - 0.5,
                    "change_ci_high": c + 0.5,
                }
                for s, e, c in [("observed", 23.0, 0.0), ("if_mentored", 23.9, 0.9)]
            ]
        ),
        "reliability": pd.DataFrame(
            {
                "indicator": "swemwbs_score",
                "wave": "2024",
                "language": ["all", "en", "fr"],
                "n": [1500, 1100, 400],
                "items": 7,
                "alpha": [0.86, 0.87, 0.84],
                "ci_low": [0.85, 0.86, 0.81],
                "ci_high": [0.87, 0.88, 0.86],
            }
        ),
        "weighting": weighting,
        "weighting_margins": margins,
        "quality": pd.DataFrame(
            {
                "survey": "youth",
                "wave": "2024",
                "rule": [
                    "responses",
                    "eligibility",
                    "speeders",
                    "missing_inside_scale",
                    "zero_division",
                ],
                "flagged": [1650, 31, 15, 12, 7],
                "excluded": [0, 31, 12, 0, 0],
                "remaining": [1650, 1619, 1607, 1607, 1607],
                "about": ["", "", "", "mentor_type = 2", "swemwbs_score"],
            }
        ),
        "toc_outcomes": toc_outcomes(),
        "toc_indicators": toc_indicators(),
        "trend_families": _trend_families(trends, ind),
        "benchmark_peers": pd.DataFrame(
            {"peer_group": ["large", "medium", "small"], "programs": [9, 12, 15]}
        ),
    }
    tables.update({contract.program_table(pid): frame for pid, frame in _programs().items()})
    store.write_tables({name: conform(name, frame) for name, frame in tables.items()})
    return store


_DEFAULTS = {"string": "", "int64": 0, "float64": np.nan, "bool": False}


def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with the declared columns of table ``name``, in order and of their types:
    columns the synthetic data leaves out get a blank value (the contract is checked on write)."""
    out = pd.DataFrame(index=frame.index)
    for column in contract.spec(name).columns:
        if column.dtype == "list<string>":
            out[column.name] = frame[column.name]
            continue
        values = frame[column.name] if column.name in frame else _DEFAULTS[column.dtype]
        series = pd.Series(values, index=frame.index)
        if column.dtype == "string":
            series = series.fillna("").astype(str)
        out[column.name] = series.astype({"string": "str", "int64": "int64", "float64": float,
                                          "bool": bool}[column.dtype])  # fmt: skip
    return out.reset_index(drop=True)


def toc_outcomes() -> pd.DataFrame:
    """The ``toc_outcomes`` table the pipeline writes from the model."""
    return pd.DataFrame(
        {
            "outcome": ["program_delivery", "access", "wellbeing"],
            "level": ["activity", "output", "intermediate"],
            "leads_to": [["access"], ["wellbeing"], []],
        }
    )


def toc_indicators() -> pd.DataFrame:
    """The ``toc_indicators`` table the pipeline writes from the model."""
    units = {
        "mentored_6_18": "percent",
        "mentoring_gap": "percent",
        "swemwbs_score": "score",
        "youth_served": "count",
        "has_waitlist": "percent",
    }
    outcome = {i: o for i, o, *_ in INDICATORS}
    return pd.DataFrame(
        {
            "indicator": list(units),
            "outcome": [outcome[i] for i in units],
            "unit": list(units.values()),
            "baseline": [0.558, 0.543, np.nan, np.nan, np.nan],
            "baseline_wave": ["2021", "2021", "", "", ""],
            "baseline_source": ["National Youth Mentoring Survey 2020", "", "", "", ""],
            "target_source": "",
        }
    )


_BUILT: dict[str, Path] = {}


def built_site(tmp_path_factory) -> Path:
    """Build the book once per test session on the synthetic store; returns the site folder.

    Shared by the book and browser tests (the build takes about a minute).
    """
    if "site" not in _BUILT:
        from ci_eval.report.build import build_book

        root = tmp_path_factory.mktemp("report")
        write_synthetic_store(root / "store")
        build_book(root / "store", root / "site", edition="2024")
        _BUILT["site"] = root / "site"
        _BUILT["store"] = root / "store"
    return _BUILT["site"]

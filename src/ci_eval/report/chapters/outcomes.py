"""Contributions of mentoring to outcomes: forest plot, estimates, dose-response, gap projection,
balance (``book/outcomes.md``)."""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np
import pandas as pd

from ci_eval.report.chapters.common import localise, rows_of
from ci_eval.report.figure_files import COLOURS, new_figure
from ci_eval.report.page import Page

EFFECTS = ("ate", "ame", "risk_difference", "mean_difference")


MODELS = ("raw", "regression", "gcomp", "aipw")


def _effects(page: Page) -> pd.DataFrame:
    """One effect per contribution, contrast and model (latest wave): the first measure of
    :data:`EFFECTS` the model gives, so every row of a forest plot is on the outcome's scale."""
    con = page.table("contributions", latest=True)
    con = con[con["measure"].isin(EFFECTS)].copy()
    con["rank"] = con["measure"].map({m: i for i, m in enumerate(EFFECTS)})
    con["model_order"] = con["model"].map({m: i for i, m in enumerate(MODELS)}).fillna(9)
    keys = ["contribution", "high", "low", "model"]
    con = con.sort_values([*keys, "rank"], kind="stable").drop_duplicates(keys)
    order = [k for k in keys if k != "model"] + ["model_order"]
    return con.sort_values(order, kind="stable")


def _contribution_title(page: Page, row: dict[str, Any]) -> str:
    exposure = page.label("indicator", str(row["exposure"]))
    if exposure == str(row["exposure"]):  # not a yes/no indicator (e.g. an ordered exposure)
        return page.t(
            "contributions.title_labelled",
            outcome=page.label("indicator", str(row["outcome"])),
            contribution=page.label("contribution", str(row["contribution"])),
        )
    if len(exposure) > 1 and exposure[1].islower():  # "Had a mentor" -> "had a mentor"
        exposure = exposure[0].lower() + exposure[1:]
    return page.t(
        "contributions.title",
        outcome=page.label("indicator", str(row["outcome"])),
        exposure=exposure,
    )


def _contribution_titles(page: Page) -> dict[str, str]:
    """The title of every contribution spec, by its id (empty without a contributions table)."""
    if not page.has("contributions"):
        return {}
    con = page.table("contributions")
    return {
        row["contribution"]: _contribution_title(page, row)
        for row in rows_of(con.drop_duplicates("contribution"))
    }


def forest_plot(page: Page) -> str:
    """Effects of each exposure on each outcome, by model, with 95% CIs (one panel each)."""
    if not page.has("contributions"):
        return ""
    effects = _effects(page)
    blocks = []
    for contribution, group in effects.groupby("contribution", sort=False):
        rows = rows_of(group)
        fig = new_figure(7.0, 0.35 * len(rows) + 1.1)
        ax = fig.add_subplot()
        names, described = [], []
        for i, row in enumerate(rows):
            y = len(rows) - 1 - i
            name = page.t("models." + str(row["model"]))
            if _shows_contrast(row):
                name = f"{name}, {_contrast(page, row)}"
            names.append(name)
            colour = (
                COLOURS[MODELS.index(row["model"]) % len(COLOURS)]
                if row["model"] in MODELS
                else COLOURS[0]
            )
            ax.errorbar(
                row["estimate"],
                y,
                fmt="o",
                color=colour,
                capsize=3,
                xerr=[[row["estimate"] - row["ci_low"]], [row["ci_high"] - row["estimate"]]],
            )
            described.append(
                f"{name}: {page.number(row['estimate'], 3)} "
                f"({page.t('common.ci95')} {page.number(row['ci_low'], 3)} ; "
                f"{page.number(row['ci_high'], 3)})"
            )
        ax.axvline(0, color="grey", lw=1, ls="--")
        ax.set_yticks(range(len(rows)), list(reversed(names)))
        ax.set_xlabel(page.t("figures.effect"))
        localise(page, ax.xaxis)
        title = _contribution_title(page, rows[0])
        alt = f"{title}. " + "; ".join(described) + "."
        notes = page.t("contributions.note") + " " + page.t("figures.forest_note")
        blocks.append(page.figure(fig, f"forest-{contribution}", alt, title, notes))
    return "\n".join(blocks)


def _shows_contrast(row: dict[str, Any]) -> bool:
    """A row names its contrast unless it is the plain yes/no one (1 against 0) or none."""
    return (str(row["high"]), str(row["low"])) not in (("1", "0"), ("", ""))


def _contrast(page: Page, row: dict[str, Any]) -> str:
    """The levels compared, in words: "<high level> / <low level>"."""
    exposure = str(row["exposure"])
    high, low = (page.label("level", str(row[k]), exposure) for k in ("high", "low"))
    return f"{high} / {low}"


def contributions_table(page: Page) -> str:
    """Every contribution estimate of the latest wave with its CI, p-value and E-value."""
    if not page.has("contributions"):
        return ""
    con = page.table("contributions", latest=True)
    order = {m: i for i, m in enumerate(MODELS)}
    con = con.assign(_m=con["model"].map(order).fillna(9))
    keys = ["contribution", "high", "low"]
    con = con.sort_values([*keys, "_m"], kind="stable")
    headers = [
        page.t(f"contributions.{h}")
        for h in ("outcome", "exposure", "model", "measure", "estimate", "ci", "p", "evalue", "n")
    ]
    body = []
    for row in rows_of(con):
        exposure = page.named(str(row["exposure"]))
        if _shows_contrast(row):
            exposure = f"{exposure} ({_contrast(page, row)})"
        body.append(
            [
                escape(page.label("indicator", str(row["outcome"]))),
                escape(exposure),
                escape(page.t("models." + str(row["model"]))),
                escape(page.t("measures." + str(row["measure"]))),
                escape(page.number(row["estimate"], 3)),
                escape(f"{page.number(row['ci_low'], 3)} ; {page.number(row['ci_high'], 3)}"),
                escape(_p_value(page, row["p_value"])),
                escape(page.number(row["e_value"], 2)),
                escape(page.number(row["n"])),
            ]
        )
    wave = str(con["wave"].iloc[0]) if "wave" in con.columns and len(con) else ""
    return page.html_table(
        page.t("contributions.caption", wave=wave),
        headers,
        body,
        [page.t("contributions.note"), page.t("contributions.evalue_note")],
    )


def _p_value(page: Page, p: float) -> str:
    if p is None or pd.isna(p):
        return page.number(float("nan"))
    if p < 0.001:
        return "< " + page.number(0.001, 3)
    return page.number(p, 3)


def dose_response_figure(page: Page) -> str:
    """Outcome by exposure level (e.g. length of the relationship), latest wave, with 95% CIs."""
    if not page.has("dose_response"):
        return ""
    dose = page.table("dose_response", latest=True).sort_values(
        ["contribution", "order"], kind="stable"
    )
    exposures = {}
    if page.has("contributions"):
        con = page.table("contributions")
        exposures = dict(
            zip(
                con["contribution"],
                zip(con["outcome"], con["exposure"], strict=False),
                strict=False,
            )
        )
    blocks = []
    for contribution, group in dose.groupby("contribution", sort=True):
        rows = rows_of(group)
        outcome, exposure = exposures.get(contribution, ("", ""))
        levels = [page.label("level", str(r["exposure_level"]), str(exposure)) for r in rows]
        fig = new_figure(6.0, 3.0)
        ax = fig.add_subplot()
        x = np.arange(len(rows))
        est = np.array([r["estimate"] for r in rows])
        ax.errorbar(
            x,
            est,
            yerr=[est - [r["ci_low"] for r in rows], [r["ci_high"] for r in rows] - est],
            fmt="o-",
            color=COLOURS[0],
            capsize=3,
        )
        ax.set_xticks(x, levels)
        ax.set_ylabel(page.label("indicator", str(outcome)))
        localise(page, ax.yaxis)
        title = page.t(
            "figures.dose",
            outcome=page.label("indicator", str(outcome)),
            by=page.by(str(exposure)),
        )
        alt = (
            f"{title}. "
            + "; ".join(
                f"{level}: {page.number(r['estimate'], 1)}"
                for level, r in zip(levels, rows, strict=True)
            )
            + "."
        )
        blocks.append(
            page.figure(
                fig,
                f"dose-{contribution}",
                alt,
                title,
                page.t("contributions.note") + " " + page.t("figures.whiskers"),
            )
        )
    return "\n".join(blocks)


def gap_projection_table(page: Page) -> str:
    """What the outcome would be if the young people who wanted a mentor had had one."""
    if not page.has("gap_projection"):
        return ""
    gap = page.table("gap_projection", latest=True)
    names = _contribution_titles(page)
    headers = [
        page.t("contributions.outcome"),
        page.t("gap.population"),
        page.t("gap.scenario"),
        page.t("common.estimate"),
        page.t("common.ci95"),
        page.t("gap.change"),
    ]
    body = []
    for r in rows_of(gap):
        population = str(r.get("population", "all"))
        change = (
            ""
            if r["scenario"] == "observed"
            else (
                f"{page.number(r['change'], 3)} ({page.number(r['change_ci_low'], 3)} ; "
                f"{page.number(r['change_ci_high'], 3)})"
            )
        )
        body.append(
            [
                escape(names.get(r["contribution"], str(r["contribution"]))),
                escape(page.t("gap.populations." + population)),
                escape(page.t("gap." + str(r["scenario"]))),
                escape(page.number(r["estimate"], 3)),
                escape(f"{page.number(r['ci_low'], 3)} ; {page.number(r['ci_high'], 3)}"),
                escape(change),
            ]
        )
    return page.html_table(page.t("gap.caption"), headers, body, [page.t("gap.note")])


def _covariate(page: Page, variable: str, level: str) -> str:
    """A covariate row as "Family income: $40,000 to $79,999" (a number: its label only)."""
    if not level:
        return page.label("variable", variable)
    return f"{page.label('variable', variable)}: {page.label('level', level, variable)}"


def balance_table(page: Page) -> str:
    """Standardised mean differences of the covariates before and after adjustment."""
    if not page.has("balance"):
        return ""
    bal = page.table("balance", latest=True)
    names = _contribution_titles(page)
    headers = [
        page.t("balance.contribution"),
        page.t("balance.covariate"),
        page.t("balance.before"),
        page.t("balance.after"),
    ]
    body = [
        [
            escape(names.get(r["contribution"], str(r["contribution"]))),
            escape(_covariate(page, str(r["variable"]), str(r["level"] or ""))),
            escape(page.number(r["smd_before"], 3)),
            escape(page.number(r["smd_after"], 3)),
        ]
        for r in rows_of(bal)
    ]
    return page.html_table(page.t("balance.caption"), headers, body, [page.t("balance.note")])

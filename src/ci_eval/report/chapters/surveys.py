"""What the surveys are, for the introduction and the methods (table ``surveys``).

The facts come from the study file's ``[surveys.<name>.about]`` and ``[weighting.<name>]``
and from the run's counts, as :mod:`ci_eval.analysis.surveys` writes them: who each survey is
about, how its sample was drawn and who ran it, each wave's fieldwork, invitations, responses
and response or participation rate (or, in words, that it is not reported), whether the survey
is weighted and to which margins, and the source of the weighting targets.

>>> fieldwork_text(_Words("en"), "2021-02-01", "2021-03-31")
'1 February to 31 March 2021'
>>> fieldwork_text(_Words("fr"), "2021-12-01", "2022-01-15")
'du 1er décembre 2021 au 15 janvier 2022'
"""

from __future__ import annotations

import math
from datetime import date
from html import escape
from typing import Any

from ci_eval.report.chapters.common import rows_of
from ci_eval.report.chapters.outcomes import _lower
from ci_eval.report.page import Page

MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
}
"""Month names, for fieldwork dates."""


class _Words:
    """The few words :func:`fieldwork_text` needs, for its doctest (a :class:`Page` has them)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def t(self, key: str, **values: Any) -> str:
        forms = {"en": "{start} to {end}", "fr": "du {start} au {end}"}
        return forms[self.lang].format(**values)


def _day(day: date, lang: str, year: bool) -> str:
    number = "1er" if lang == "fr" and day.day == 1 else str(day.day)
    text = f"{number} {MONTHS[lang][day.month - 1]}"
    return f"{text} {day.year}" if year else text


def fieldwork_text(page: Page | _Words, start: str, end: str) -> str:
    """The fieldwork period in words ("1 February to 31 March 2021"); '' when not known."""
    if not start or not end:
        return ""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    both = first.year != last.year
    return page.t(
        "facts.fieldwork",
        start=_day(first, page.lang, both),
        end=_day(last, page.lang, True),
    )


def _margins(page: Page, survey: str, margins: list[str]) -> str:
    """The weighting margins in words: "age band × gender; province or territory"."""
    names = [
        " \u00d7 ".join(_lower(page.label("variable", v.strip(), survey)) for v in m.split(" x "))
        for m in margins
    ]
    return "; ".join(names)


def _rate(page: Page, row: dict[str, Any]) -> str:
    """ "93.0% (participation)"; "not reported" when the study file does not give it."""
    if not str(row["rate_kind"]) or math.isnan(float(row["rate"])):
        return page.t("facts.not_reported")
    kind = page.t(f"facts.rate_{row['rate_kind']}")
    return page.t("facts.rate", rate=page.percent(float(row["rate"])), kind=kind)


def _rows(page: Page) -> list[dict[str, Any]]:
    if not page.has("surveys"):
        return []
    return rows_of(page.table("surveys"))


def _by_survey(page: Page) -> dict[str, list[dict[str, Any]]]:
    """The waves of each survey, in the table's order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in _rows(page):
        out.setdefault(str(row["survey"]), []).append(row)
    return out


def _text(row: dict[str, Any], field: str, lang: str) -> str:
    return str(row.get(f"{field}_{lang}") or "").strip().rstrip(".")


def _weighting(page: Page, survey: str, row: dict[str, Any], cell: bool = False) -> str:
    """ "Weighted to the population by age band × gender; province or territory (raking)."
    or "Not weighted: ..."; as a table ``cell``, "yes: <margins>" or "no"."""
    margins = _margins(page, survey, list(row["margins"]))
    if cell:
        if not bool(row["weighted"]):
            return page.t("common.answer_no")
        return page.t("facts.weighted_cell", margins=margins)
    if not bool(row["weighted"]):
        return page.t("facts.not_weighted")
    return page.t("facts.weighted", margins=margins)


def _targets(page: Page, row: dict[str, Any]) -> str:
    """Where a weighted survey's population targets come from ('' when not said)."""
    source = _text(row, "targets_source", page.lang)
    return page.t("facts.targets", source=source) if source and bool(row["weighted"]) else ""


def survey_sources(page: Page) -> str:
    """The introduction's list of the surveys: who each is about, its sample and publisher,
    each wave's fieldwork and responses analysed, and whether it is weighted."""
    items = []
    for survey, waves in _by_survey(page).items():
        first = waves[0]
        about = [_text(first, f, page.lang) for f in ("population", "sample")]
        name = f"<strong>{escape(page.label('survey', survey))}</strong>"
        sentences = [f"{a}." for a in about if a]
        for row in waves:
            period = fieldwork_text(page, str(row["fieldwork_start"]), str(row["fieldwork_end"]))
            sentences.append(
                page.t(
                    "facts.wave" if period else "facts.wave_no_dates",
                    wave=row["wave"],
                    period=period,
                    count=int(row["analysed"]),
                    analysed=page.number(int(row["analysed"])),
                )
            )
        targets, publisher = _targets(page, first), _text(first, "publisher", page.lang)
        sentences += [_weighting(page, survey, first)] + ([f"{targets}."] if targets else [])
        if publisher:
            sentences.append(page.t("facts.publisher", publisher=publisher))
        items.append(
            f"<li>{name}{escape(page.t('contributions.colon'))}{escape(' '.join(sentences))}</li>"
        )
    if not items:
        return ""
    return f"<ul class='ci-surveys'>{''.join(items)}</ul>"


COLUMNS = ("survey", "wave", "fieldwork", "invited", "responses", "analysed", "rate", "weighted")
"""The columns of the methods' surveys table (headers ``facts.columns.<name>``)."""


def surveys_table(page: Page) -> str:
    """Every survey wave: fieldwork, invitations, responses, responses analysed, response or
    participation rate, weighting; the populations, samples and target sources as notes."""
    rows = _rows(page)
    if not rows:
        return ""
    body = []
    for row in rows:
        survey = str(row["survey"])
        invited = int(row["invited"])
        period = fieldwork_text(page, str(row["fieldwork_start"]), str(row["fieldwork_end"]))
        body.append(
            [
                escape(page.label("survey", survey)),
                escape(str(row["wave"])),
                escape(period or page.t("facts.not_reported")),
                escape(page.number(invited) if invited else page.t("facts.not_reported")),
                escape(page.number(int(row["responses"]))),
                escape(page.number(int(row["analysed"]))),
                escape(_rate(page, row)),
                escape(_weighting(page, survey, row, cell=True)),
            ]
        )
    notes = []
    for survey, waves in _by_survey(page).items():
        about = [_text(waves[0], f, page.lang) for f in ("population", "sample")]
        described = " ".join(f"{a}." for a in [*about, _targets(page, waves[0])] if a)
        if described:
            colon = page.t("contributions.colon")
            notes.append(f"{page.label('survey', survey)}{colon}{described}")
    notes.append(page.t("facts.counts_note"))
    headers = [page.t(f"facts.columns.{c}") for c in COLUMNS]
    return page.html_table(
        page.t("facts.caption"),
        headers,
        body,
        notes,
        source="surveys",
        numeric=[3, 4, 5],
    )

"""Equity gaps: an indicator in an equity group and in its comparison group, as estimates.

For a group ``A`` (e.g. youth with any risk factor) and its comparison ``B`` (every other
answered category, e.g. youth with none), both domains of the same design, the gap is given
as a difference in points and as a ratio ("2.0x as likely"), each with a design-based
interval:

- the two domain means ``m_A``, ``m_B`` are ratio estimators with influence values
  ``u_A = w 1_A (y - m_A) / N_A`` (Lumley 2010, §2.3 and App. C); the design gives their
  joint covariance ``V`` (``SurveyDesign.vcov``: R's ``svyrecvar``, so calibration is
  accounted for), as R's ``svyby(..., covmat=TRUE)`` does;
- the difference has ``var = V_AA + V_BB - 2 V_AB`` (R's ``svycontrast``);
- the ratio's interval is ``exp(log(m_A / m_B) +- z se)`` with the delta method on the log
  scale, ``var(log r) = V_AA / m_A^2 + V_BB / m_B^2 - 2 V_AB / (m_A m_B)`` (R's
  ``svycontrast(..., quote(log(A / B)))``);
- a replicate design gives ``V`` from the replicate estimates (R's ``svrVar``).

Disclosure follows the indicators table: a row is suppressed when either cell has fewer than
``min_cell`` respondents or a CV above ``cv_suppress``, and the worse quality flag (E) of the
two is shown; a suppressed row keeps its ``n`` and reason and has every estimate blanked.
An intersection (``within``, e.g. Indigenous identity x region) compares the group with its
comparison inside each category of the second variable, with the same rules.

>>> import numpy as np, pandas as pd
>>> from ci_eval.survey import SurveyDesign
>>> from ci_eval.results.disclosure import DisclosureRules
>>> rng = np.random.default_rng(1)
>>> g = rng.choice([1.0, 2.0], 400)
>>> df = pd.DataFrame({"g": g, "y": (rng.random(400) < np.where(g == 1, 0.6, 0.3)) * 1.0})
>>> t = equity_gaps(SurveyDesign(df.assign(w=1.0), weights="w"), ["y"],
...                 [EquityGroup("g", ("1",), ("2",))], "2024", DisclosureRules())
>>> t[["group", "comparison", "n_group", "n_comparison"]].values.tolist()
[['1', '2', 195, 205]]
>>> bool(t["ratio_ci_low"].iloc[0] > 1)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict
from scipy import stats

from ci_eval.analysis.codes import code_sort_key, code_text, codes_text
from ci_eval.analysis.disclosure_rules import quality_flag
from ci_eval.analysis.indicators import OVERALL, domain_levels
from ci_eval.codebook import Codebook
from ci_eval.errors import AnalysisError
from ci_eval.results.contract import columns
from ci_eval.results.disclosure import DisclosureRules
from ci_eval.toc.schema import ToCModel

COLUMNS = columns("equity_gaps")
ESTIMATED = COLUMNS[7:19]
EQUITY_VARIABLES = ("indigenous", "racialized_group", "lgbtq2s", "transgender", "disability",
                    "newcomer", "risk_any")  # fmt: skip
"""The demo instrument's equity variables (the shared names of issue 11's instrument)."""


@dataclass(frozen=True)
class EquityGroup:
    """An equity group and its comparison: codes (as text) of one categorical variable.

    ``comparison=None`` means every other answered category (the complement among those
    who answered; missing codes such as "prefer not to say" are in neither).
    """

    variable: str
    group: tuple[str, ...]
    comparison: tuple[str, ...] | None = None


class GroupSpec(BaseModel):
    """An explicit group, e.g. any Indigenous identity: ``{variable = "indigenous", group =
    [1, 2, 3], comparison = [4]}`` (``comparison`` omitted: the other answered codes)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    variable: str
    group: list[int | str]
    comparison: list[int | str] | None = None

    def as_group(self) -> EquityGroup:
        comparison = None if self.comparison is None else tuple(map(code_text, self.comparison))
        return EquityGroup(self.variable, tuple(map(code_text, self.group)), comparison)


class EquitySettings(BaseModel):
    """Settings of the ``equity_gaps`` table (for ``[analysis.equity]``, once wired).

    ``variables``: the equity variables; an indicator gets gaps for those among its
    ``disaggregate_by``, each category against the others (:func:`default_groups`);
    ``groups``: further groups; ``within``: the intersections (each group within each
    category of these variables).

    >>> s = EquitySettings.model_validate({"groups": [{"variable": "indigenous",
    ...     "group": [1, 2, 3], "comparison": [4]}]})
    >>> s.groups[0].as_group(), s.within
    (EquityGroup(variable='indigenous', group=('1', '2', '3'), comparison=('4',)), ['region'])
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    variables: list[str] = list(EQUITY_VARIABLES)
    groups: list[GroupSpec] = [
        GroupSpec(variable="indigenous", group=[1, 2, 3], comparison=[4]),
    ]
    within: list[str] = ["region"]


def equity_gap_table(
    designs: Mapping[tuple[str, str], object],
    model: ToCModel,
    rules: DisclosureRules,
    codebooks: Mapping[str, Codebook] | None = None,
    settings: EquitySettings | None = None,
    conf_level: float = 0.95,
    indicators: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The ``equity_gaps`` table: every mean or proportion indicator of the model, each of its
    ``disaggregate_by`` variables that is an equity variable, every wave of its survey.

    ``designs`` maps ``(survey, wave)`` to the weighted design holding the scored indicators
    (as for :func:`ci_eval.analysis.indicators.estimate_indicators`); with the ``indicators``
    table, its suppressed categories stay suppressed here (:func:`inherit_suppression`).
    """
    settings = settings or EquitySettings()
    codebooks = codebooks or {}
    extra = [g.as_group() for g in settings.groups]
    frames = []
    for indicator in model.indicators:
        if indicator.estimate_as == "total":
            continue
        variables = [v for v in indicator.disaggregate_by if v in settings.variables]
        for (survey, wave), design in sorted(designs.items()):
            if survey != indicator.survey or not variables:
                continue
            codebook = codebooks.get(survey)
            groups = [g for v in variables for g in default_groups(design.data, v, codebook)]
            groups += [g for g in extra if g.variable in variables]
            within = [v for v in settings.within if v in design.data.columns]
            frames.append(
                equity_gaps(design, [indicator.id], groups, wave, rules, within, codebook,
                            conf_level)
            )  # fmt: skip
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    table = pd.concat(frames, ignore_index=True)
    return table if indicators is None else inherit_suppression(table, indicators)


def default_groups(
    data: pd.DataFrame, variable: str, codebook: Codebook | None = None
) -> list[EquityGroup]:
    """Each category of ``variable`` against all its others; a yes/no variable gives one
    group (its first code, e.g. 1 = yes, against 2 = no).

    >>> df = pd.DataFrame({"risk_any": [1.0, 2.0, None], "indigenous": [1.0, 3.0, 4.0]})
    >>> [g.group for g in default_groups(df, "risk_any")]
    [('1',)]
    >>> [(g.group, g.comparison) for g in default_groups(df, "indigenous")][0]
    (('1',), ('3', '4'))
    """
    levels = answered_levels(data, variable, codebook)
    chosen = levels[:1] if len(levels) == 2 else levels
    return [
        EquityGroup(variable, (level,), tuple(x for x in levels if x != level)) for level in chosen
    ]


def equity_gaps(
    design: object,
    indicators: Sequence[str],
    groups: Sequence[EquityGroup],
    wave: str,
    rules: DisclosureRules,
    within: Sequence[str] = (),
    codebook: Codebook | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """The ``equity_gaps`` rows of one design (one survey wave): every indicator column (a
    mean or proportion) x every group, overall and within each category of each ``within``
    variable (columns :data:`COLUMNS`)."""
    data = design.data
    for column in [*indicators, *{g.variable for g in groups}, *within]:
        if column not in data.columns:
            raise AnalysisError(
                f"equity gaps, wave {wave}: {column!r} is not a column of the survey data; "
                "score the indicator or keep the group variable in the data"
            )
    z = float(stats.norm.ppf(0.5 + conf_level / 2))
    rows = []
    for indicator in indicators:
        y = pd.to_numeric(data[indicator], errors="coerce").to_numpy(dtype=float)
        for group in groups:
            codes = codes_text(data[group.variable])
            comparison = group.comparison or _complement(data, group, codebook)
            in_group = codes.isin(group.group).to_numpy()
            in_comparison = codes.isin(comparison).to_numpy()
            for domain, value, rows_in in _domains(data, within, codebook):
                a, b = in_group & rows_in, in_comparison & rows_in
                cells = gap_cells(design, y, a, b, z)
                rows.append(
                    {
                        "indicator": indicator,
                        "group_variable": group.variable,
                        "group": "+".join(group.group),
                        "comparison": "+".join(comparison),
                        "domain": domain,
                        "domain_value": value,
                        "wave": str(wave),
                        **cells,
                        **_disclosure(cells, rules),
                    }
                )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame.loc[frame["suppressed"].to_numpy(bool), ESTIMATED] = np.nan
    return frame.astype({"n_group": np.int64, "n_comparison": np.int64, "suppressed": bool})


def answered_levels(data: pd.DataFrame, variable: str, codebook: Codebook | None) -> list[str]:
    """The categories of ``variable`` (codebook and data) less its missing codes, even where
    the data still hold them (e.g. 9, prefer not to say): those rows are in no cell."""
    levels = domain_levels(data, variable, codebook)
    if codebook is None or variable not in codebook.variables:
        return levels
    missing = {code_text(c) for c in codebook.variables[variable].missing_codes}
    return [x for x in levels if x not in missing]


def _complement(data: pd.DataFrame, group: EquityGroup, codebook: Codebook | None) -> tuple:
    levels = answered_levels(data, group.variable, codebook)
    return tuple(x for x in levels if x not in group.group)


def _domains(data: pd.DataFrame, within: Sequence[str], codebook: Codebook | None):
    """``(domain, domain_value, rows)``: everyone, then each category of each ``within``."""
    yield OVERALL, "", np.ones(len(data), dtype=bool)
    for variable in within:
        codes = codes_text(data[variable])
        for level in sorted(answered_levels(data, variable, codebook), key=code_sort_key):
            yield variable, level, (codes == level).to_numpy()


def gap_cells(design: object, y: np.ndarray, a: np.ndarray, b: np.ndarray, z: float) -> dict:
    """Estimates, SEs, difference and ratio with intervals, for rows ``a`` against ``b``.

    Rows with a missing ``y`` are in neither cell (R's ``na.rm``; the design stays whole).

    >>> import pandas as pd
    >>> from ci_eval.survey import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"w": [1.0] * 6}), weights="w")
    >>> y = np.array([1.0, 1.0, 0.0, 1.0, 0.0, 0.0])
    >>> a = np.array([True, True, True, False, False, False])
    >>> c = gap_cells(d, y, a, ~a, 1.96)
    >>> round(c["difference"], 4), round(c["ratio"], 4), c["n_group"]
    (0.3333, 2.0, 3)
    """
    has_y = ~np.isnan(y)
    a, b = a & has_y, b & has_y
    n_a, n_b = int(a.sum()), int(b.sum())
    est, cov = _domain_means(design, np.where(has_y, y, 0.0), a, b)
    m_a, m_b = float(est[0]), float(est[1])
    diff = m_a - m_b
    se_diff = _sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = m_a / m_b if m_a > 0 and m_b > 0 else float("nan")
        var_log = cov[0, 0] / m_a**2 + cov[1, 1] / m_b**2 - 2 * cov[0, 1] / (m_a * m_b)
    se_log = _sqrt(var_log) if np.isfinite(ratio) else float("nan")
    return {
        "estimate_group": m_a,
        "se_group": _sqrt(cov[0, 0]),
        "estimate_comparison": m_b,
        "se_comparison": _sqrt(cov[1, 1]),
        "difference": diff,
        "difference_se": se_diff,
        "difference_ci_low": diff - z * se_diff,
        "difference_ci_high": diff + z * se_diff,
        "ratio": ratio,
        "log_ratio_se": se_log,
        "ratio_ci_low": ratio * float(np.exp(-z * se_log)),
        "ratio_ci_high": ratio * float(np.exp(z * se_log)),
        "n_group": n_a,
        "n_comparison": n_b,
    }


def _sqrt(value: float) -> float:
    return float(np.sqrt(value)) if np.isfinite(value) and value >= 0 else float("nan")


def _domain_means(
    design: object, y: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Means of ``y`` in rows ``a`` and ``b`` and their (2, 2) design covariance."""
    w = np.asarray(design.weights, dtype=float)
    masks = np.column_stack([a, b]).astype(float)
    totals = w @ masks
    if (totals <= 0).any():
        return np.full(2, np.nan), np.full((2, 2), np.nan)
    est = (w * y) @ masks / totals
    if hasattr(design, "repweights"):  # replicate design: R's svrVar of the two means
        reps = design.repweights
        rep_totals = reps.T @ masks
        with np.errstate(divide="ignore", invalid="ignore"):
            rep_est = ((reps * y[:, None]).T @ masks) / rep_totals
        return est, design.replicate_variance(est, rep_est)
    influence = masks * w[:, None] * (y[:, None] - est[None, :]) / totals[None, :]
    return est, design.vcov(influence, rows=np.flatnonzero(a | b))


def _disclosure(cells: dict, rules: DisclosureRules) -> dict:
    """``flag``, ``suppressed`` and ``reason`` of a gap from the rules of both cells."""
    flags, reasons = [], []
    for cell, est, se, n in (
        ("group", cells["estimate_group"], cells["se_group"], cells["n_group"]),
        ("comparison", cells["estimate_comparison"], cells["se_comparison"], cells["n_comparison"]),
    ):
        flag, suppressed, reason = quality_flag(est, se, n, rules)
        flags.append(flag)
        if suppressed:
            reasons.append(f"{cell}: {reason}")
    flag = "F" if "F" in flags else ("E" if "E" in flags else "")
    if not reasons and not np.isfinite(cells["ratio"]):
        return {"flag": flag, "suppressed": False, "reason": "ratio not estimable (a zero)"}
    return {"flag": flag, "suppressed": bool(reasons), "reason": "; ".join(reasons)}


def inherit_suppression(gaps: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Suppress every overall gap whose group or comparison holds a category that the
    ``indicators`` table suppresses (also by complementary suppression), so this table
    cannot publish a cell that the other one hides and undo its protection. A cell of several
    categories is suppressed too when it holds some of the hidden categories but not all of
    them: with the published categories it would give a hidden one back by difference. (A cell
    holding all of them is their union, which the indicators table already implies.)

    >>> gaps = pd.DataFrame({"indicator": "x", "wave": "1", "group_variable": "g",
    ...     "group": ["2", "3"], "comparison": ["1+3", "1+2"], "domain": "overall",
    ...     "domain_value": "", "estimate_group": 0.5, "suppressed": False, "reason": ""})
    >>> ind = pd.DataFrame({"indicator": "x", "wave": "1", "domain": "g",
    ...     "domain_value": ["1", "2", "3"], "suppressed": [True, True, False],
    ...     "reason": ["n < 10", "complementary suppression", ""]})
    >>> inherit_suppression(gaps, ind)[["suppressed", "reason", "estimate_group"]].values.tolist()
    [[True, 'group: complementary suppression', nan], [False, '', 0.5]]
    """
    hidden = indicators[indicators["suppressed"].astype(bool)]
    reason_of = {
        (r.indicator, r.wave, r.domain, r.domain_value): r.reason for r in hidden.itertuples()
    }
    hidden_codes: dict[tuple, set[str]] = {}
    for indicator, wave, domain, value in reason_of:
        hidden_codes.setdefault((indicator, wave, domain), set()).add(value)
    out = gaps.copy()
    for i, row in zip(out.index, out.itertuples(), strict=True):
        if row.domain != OVERALL or row.suppressed:
            continue
        for cell, codes in (("group", row.group), ("comparison", row.comparison)):
            variable = (row.indicator, row.wave, row.group_variable)
            hidden_keys = [(*variable, c) for c in codes.split("+") if (*variable, c) in reason_of]
            every = hidden_codes.get(variable, set())
            if hidden_keys and ("+" not in codes or len(hidden_keys) < len(every)):
                reason = f"{cell}: {reason_of[hidden_keys[0]]}"
                out.loc[i, ["suppressed", "reason"]] = [True, reason]
                out.loc[i, [c for c in ESTIMATED if c in out.columns]] = np.nan
                break
    return out

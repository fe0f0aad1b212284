"""The weighting stage: one design per survey wave, raked to the study's population margins.

The study's ``[weighting.<survey>]`` table says how::

    targets = "surveys/youth/population.csv"   # wave, <margin variables...>, population
    strata = "province"                        # optional sampling structure
    ids = "school"                             # optional cluster ids
    design_weight = "design_weight"            # optional; default every weight 1
    margins = [["age_band", "gender_plus"], ["province"]]   # a list crosses variables
    trim = { lower = 0.3, upper = 3.0 }        # bounds relative to the mean weight
    # trim options: strict (default true) repeats until every weight is inside; rerake (default
    # true) rakes again after trimming so the margins hold; relative_to = "design" instead
    # bounds final / design weight by bounded raking (calibrate, calfun="raking", bounds=)
    max_iter = 100
    tolerance = 1e-8

Each margin is the sum of the targets' ``population`` over the other columns for the wave being
weighted (rows of other waves are ignored when the targets have a ``wave`` column). A crossed
margin ``[a, b]`` rakes to the cells of ``a x b`` (a helper column ``"a x b"`` holding
``"<a code>:<b code>"``). Raking is iterative proportional fitting (Deming & Stephan 1940) by
:func:`ci_eval.survey.rake`; trimming, when set, follows it (:func:`ci_eval.survey.trim_weights`).
A survey with no ``[weighting]`` table gets the design weight (or 1) and no margins.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ci_eval.analysis.codes import codes_text
from ci_eval.errors import AnalysisError, validation_problems
from ci_eval.results.contract import columns, spec
from ci_eval.survey import SurveyDesign, calibrate, rake, trim_weights

WEIGHTING_COLUMNS = columns("weighting")
MARGIN_COLUMNS = columns("weighting_margins")
CROSS = " x "


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Trim(_Strict):
    """``trim = {...}``: bounds on the weights (see the module docstring)."""

    lower: float | None = Field(default=None, ge=0)
    upper: float | None = Field(default=None, gt=0)
    relative_to: Literal["mean", "design"] = "mean"
    strict: bool = True
    rerake: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> Trim:
        if self.lower is not None and self.upper is not None and self.lower >= self.upper:
            raise ValueError(
                f"lower = {self.lower} is not below upper = {self.upper}; "
                "write trim = { lower = 0.3, upper = 3.0 }"
            )
        outside = (self.lower or 0.0) > 1 or (self.upper is not None and self.upper < 1)
        if self.relative_to == "mean" and outside:
            raise ValueError(
                f"bounds relative to the mean weight must hold 1 (trimming keeps the total, so "
                f"the mean weight stays), got lower = {self.lower}, upper = {self.upper}"
            )
        return self


class WeightingSettings(_Strict):
    """One ``[weighting.<survey>]`` table, validated (the defaults are declared here).

    >>> WeightingSettings(margins=["region", ["age", "sex"]]).margin_lists
    [['region'], ['age', 'sex']]
    """

    targets: str | None = None
    strata: str | None = None
    ids: str | None = None
    design_weight: str | None = None
    lonely_psu: Literal["adjust", "average", "remove", "certainty", "fail"] = "adjust"
    margins: list[list[str] | str] = []
    trim: Trim | None = None
    max_iter: int = Field(default=100, ge=1)
    tolerance: float = Field(default=1e-8, gt=0)

    @property
    def margin_lists(self) -> list[list[str]]:
        """The margins as lists of variables (a single name is a one-variable margin)."""
        return [list(m) if isinstance(m, list) else [m] for m in self.margins]

    @classmethod
    def of(cls, settings: Mapping[str, Any] | WeightingSettings | None, where: str) -> Any:
        """Validate a table; ``AnalysisError`` names each key at fault (and the fix)."""
        if isinstance(settings, WeightingSettings):
            return settings
        try:
            return cls.model_validate(dict(settings or {}))
        except ValidationError as exc:
            problems = validation_problems(exc, cls, f"{where} ")
            raise AnalysisError("\n".join(problems)) from None


@dataclass(frozen=True)
class WeightedWave:
    """A wave's final design and what weighting did to it."""

    survey: str
    wave: str
    design: SurveyDesign
    diagnostics: dict[str, Any]
    margins: pd.DataFrame


def read_targets(path: str | Path) -> pd.DataFrame:
    """Read a population-targets CSV: one row per population cell (per wave when it has a
    ``wave`` column), a ``population`` count and one column per margin variable.

    ``AnalysisError`` names the file, the row and the fix when the file is empty, not a
    comma-separated table, has no ``population`` column, a count that is not a number or is
    0, a cell given twice, or a cell of the cross-classification missing.
    """
    path = Path(path)
    where = f"{path} ([weighting] targets)"
    if not path.is_file():
        raise AnalysisError(f"{path}: population targets not found; fix [weighting] targets")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        raise AnalysisError(
            f"{where}: the file is empty; it needs a header row "
            "(wave, <margin variables>, population) and one row per cell"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise AnalysisError(
            f"{where}: not a comma-separated table ({exc}); save it as CSV with a header row"
        ) from None
    if "population" not in frame.columns:
        header = ",".join(frame.columns)
        hint = (
            " (the header is one column holding ';': save it comma-separated)"
            if len(frame.columns) == 1 and ";" in header
            else ""
        )
        raise AnalysisError(
            f"{where}: needs a 'population' column of population counts; "
            f"the header is {header[:80]!r}{hint}"
        )
    _check_counts(frame, where)
    _check_cells(frame, where)
    return frame


def _check_counts(frame: pd.DataFrame, where: str) -> None:
    counts = pd.to_numeric(frame["population"], errors="coerce")
    bad = counts.isna() | ~(counts > 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        value = frame["population"].iloc[i]
        raise AnalysisError(
            f"{where}: row {i + 2}: population {value!r} is not a count above 0; a cell with "
            "no population cannot hold respondents: merge it with a neighbour or drop it"
        )
    frame["population"] = counts


def _check_cells(frame: pd.DataFrame, where: str) -> None:
    """Every cell once, and the cross-classification complete within each wave."""
    keys = [c for c in frame.columns if c not in ("population", "wave")]
    if frame[keys].isna().any().any():
        i = int(np.flatnonzero(frame[keys].isna().any(axis=1).to_numpy())[0])
        raise AnalysisError(
            f"{where}: row {i + 2} has an empty cell; every row gives a code "
            f"for each of {', '.join(keys)}"
        )
    cell = keys + (["wave"] if "wave" in frame.columns else [])
    twice = frame.duplicated(cell, keep="first")
    if twice.any():
        i = int(np.flatnonzero(twice.to_numpy())[0])
        first = int(np.flatnonzero(frame.duplicated(cell, keep="last").to_numpy())[0])
        raise AnalysisError(
            f"{where}: row {i + 2} repeats the cell of row {first + 2}; "
            "each cell is counted once: remove or merge the repeated row"
        )
    groups = frame.groupby("wave", sort=True) if "wave" in frame.columns else [("", frame)]
    for wave, rows in groups:
        expected = int(np.prod([rows[k].nunique() for k in keys]))
        if len(rows) < expected:
            present = set(map(tuple, rows[keys].to_numpy()))
            levels = [sorted(rows[k].unique()) for k in keys]
            gap = next(c for c in itertools.product(*levels) if c not in present)
            cell_text = ", ".join(f"{k}={v}" for k, v in zip(keys, gap, strict=True))
            in_wave = f" of wave {wave}" if wave != "" else ""
            raise AnalysisError(
                f"{where}: the cell {cell_text}{in_wave} is missing; give "
                "every combination of the margin variables a row"
            )


def margin_name(variables: Sequence[str]) -> str:
    """The column name of a (possibly crossed) margin.

    >>> margin_name(["age_band", "gender_plus"]), margin_name(["province"])
    ('age_band x gender_plus', 'province')
    """
    return CROSS.join(variables)


def margin_totals(
    targets: pd.DataFrame, variables: Sequence[str], wave: str, source: str = "targets"
) -> pd.Series:
    """Population totals of one (crossed) margin for one wave, indexed by cell text.

    >>> t = pd.DataFrame({"wave": ["1", "1", "1"], "a": ["1", "1", "2"], "b": ["1", "2", "1"],
    ...                   "population": [10, 20, 30]})
    >>> margin_totals(t, ["a"], "1").to_dict(), margin_totals(t, ["a", "b"], "1").to_dict()
    ({'1': 30.0, '2': 30.0}, {'1:1': 10.0, '1:2': 20.0, '2:1': 30.0})
    """
    rows = targets
    if "wave" in targets.columns:
        rows = targets[targets["wave"].astype(str) == str(wave)]
        if rows.empty:
            raise AnalysisError(f"{source}: no rows for wave {wave!r}; add them or fix the wave")
    missing = [v for v in variables if v not in rows.columns]
    if missing:
        raise AnalysisError(f"{source}: margin columns {missing} are not in the targets file")
    keys = _cell_text(rows, variables)
    return rows["population"].groupby(keys.to_numpy(), sort=True).sum().astype(float)


def _cell_text(frame: pd.DataFrame, variables: Sequence[str]) -> pd.Series:
    parts = [codes_text(_numbers_if_possible(frame[v])) for v in variables]
    out = parts[0].astype(object)
    for part in parts[1:]:
        out = out + ":" + part
    return out


def _numbers_if_possible(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers if numbers.notna().sum() == values.notna().sum() else values


def weight_wave(
    data: pd.DataFrame,
    survey: str,
    wave: str,
    settings: Mapping[str, Any] | None,
    targets: pd.DataFrame | None = None,
) -> WeightedWave:
    """Build one wave's design and rake (and trim) it to the population margins.

    The data's columns are not changed; a crossed margin adds a helper column ``"a x b"``.

    Examples
    --------
    >>> df = pd.DataFrame({"g": [1, 1, 2, 2], "w": [1.0, 1.0, 1.0, 1.0]})
    >>> pop = pd.DataFrame({"g": ["1", "2"], "population": [30, 10]})
    >>> ww = weight_wave(df, "s", "1", {"design_weight": "w", "margins": [["g"]]}, pop)
    >>> ww.design.weights.tolist(), ww.diagnostics["converged"]
    ([15.0, 15.0, 5.0, 5.0], True)
    """
    where = f"[weighting.{survey}]"
    settings = WeightingSettings.of(settings, where)
    data = data.copy()
    weight = settings.design_weight
    if weight is not None and weight not in data.columns:
        raise AnalysisError(
            f"{where} design_weight {weight!r} is not a column of the {survey} data"
        )
    weights = _design_weights(data, weight, f"{where} design_weight (wave {wave})")
    totals, shown = _population_totals(data, settings, targets, survey, wave, where)
    design = SurveyDesign(
        data,
        ids=settings.ids,
        strata=settings.strata,
        weights=weights,
        lonely_psu=settings.lonely_psu,
    )
    before = design.weights.to_numpy()
    design, iterations, trimmed, converged, margin_frame = _adjust_to_totals(
        design, totals, settings, where
    )
    w = design.weights.to_numpy()
    if len(margin_frame):
        margin_frame["after"] = _recount(design.data, margin_frame, w)
        margin_frame["before"] = _recount(design.data, margin_frame, before)
        margin_frame["level"] = [
            shown[m].get(str(level), str(level))
            for m, level in zip(margin_frame["margin"], margin_frame["level"], strict=True)
        ]
        margin_frame = _with_lists(margin_frame, {margin_name(v): v for v in settings.margin_lists})
    diagnostics = _diagnostics(w, iterations, trimmed, converged)
    return WeightedWave(survey, str(wave), design, diagnostics, margin_frame)


def _design_weights(data: pd.DataFrame, column: str | None, where: str) -> np.ndarray:
    """The design weights as numbers (1 without a column); ``AnalysisError`` names the first
    row that is text, missing, negative or infinite."""
    if column is None:
        return np.ones(len(data))
    values = pd.to_numeric(data[column], errors="coerce")
    bad = values.isna() | ~np.isfinite(values.fillna(0)) | (values < 0)
    if bad.any():
        row = data.index[bad.to_numpy()][0]
        raw = data[column][row]
        why = "is text" if isinstance(raw, str) else "is missing, negative or infinite"
        hint = (
            " (a ',' thousands separator? store weights as numbers, e.g. 1110.47)"
            if isinstance(raw, str) and "," in raw
            else "; every respondent needs a weight of 0 or more"
        )
        raise AnalysisError(
            f"{where}: column {column!r} row {row} {why}: {raw!r}{hint} "
            f"({int(bad.sum())} such rows)"
        )
    return values.to_numpy(float)


def _population_totals(
    data: pd.DataFrame,
    settings: WeightingSettings,
    targets: pd.DataFrame | None,
    survey: str,
    wave: str,
    where: str,
) -> tuple[dict[str, pd.Series], dict[str, dict[str, str]]]:
    """The population total of each level of each margin, keyed by the data's own level
    values, and the targets' labels of those levels; a crossed margin adds its helper
    column ``"a x b"`` to ``data``."""
    margins = settings.margin_lists
    totals: dict[str, pd.Series] = {}
    shown: dict[str, dict[str, str]] = {}
    for variables in margins:
        name = margin_name(variables)
        missing = [v for v in variables if v not in data.columns]
        if missing:
            raise AnalysisError(f"{where} margin {variables}: {missing} not in the {survey} data")
        if targets is None:
            raise AnalysisError(f"{where} names margins but no targets file")
        if len(variables) > 1:
            data[name] = _cell_text(data, variables)
        wanted = margin_totals(targets, variables, wave, f"{where} targets")
        totals[name], shown[name] = _as_data_categories(data[name], wanted, where, name)
    return totals, shown


def _adjust_to_totals(
    design: SurveyDesign, totals: dict[str, pd.Series], settings: WeightingSettings, where: str
) -> tuple[SurveyDesign, int, bool, bool, pd.DataFrame]:
    """Rake to the totals and trim as ``settings`` say: the design, raking iterations,
    whether weights were trimmed, whether every raking converged, and the margins
    before/after (as raking reports them)."""
    iterations, trimmed, converged = 0, False, True
    margin_frame = pd.DataFrame(columns=["margin", "level", "target", "before", "after"])
    trim = settings.trim
    relative_to = trim.relative_to if trim else "mean"
    max_iter, tol = settings.max_iter, settings.tolerance
    if totals and trim and relative_to == "design":
        bounds = (trim.lower or 0.0, np.inf if trim.upper is None else trim.upper)
        design = calibrate(design, totals, calfun="raking", bounds=bounds, max_iter=max_iter)
        iterations, trimmed = design.weighting_diagnostics.iterations, True
        margin_frame = design.weighting_diagnostics.margins.copy()
        converged = design.weighting_diagnostics.converged
    elif totals:
        design = rake(design, totals, max_iter=max_iter, tol=tol)
        iterations = design.weighting_diagnostics.iterations
        margin_frame = design.weighting_diagnostics.margins.copy()
        converged = design.weighting_diagnostics.converged
    if trim and relative_to == "mean":
        design, trimmed = _trim(design, trim, where)
        if trimmed and totals and trim.rerake:
            # trimming moves the margins; raking again restores them (rake-trim-rake,
            # Battaglia, Izrael, Hoaglin & Frankel 2009, "Practical considerations in raking")
            design = rake(design, totals, max_iter=max_iter, tol=tol)
            iterations += design.weighting_diagnostics.iterations
            converged = converged and design.weighting_diagnostics.converged
    return design, iterations, trimmed, converged, margin_frame


def _with_lists(frame: pd.DataFrame, crossings: Mapping[str, list[str]]) -> pd.DataFrame:
    """Add the contract's ``variables`` and ``levels`` (lists) of each margin row.

    The cell text of a crossed margin joins the codes with ``":"`` (:func:`_cell_text`), so
    this is where it is taken apart, once, for the results table.
    """
    frame = frame.copy()
    frame["variables"] = [list(crossings.get(m, [m])) for m in frame["margin"]]
    frame["levels"] = [
        str(level).split(":") if len(v) > 1 else [str(level)]
        for v, level in zip(frame["variables"], frame["level"], strict=True)
    ]
    return frame


def _as_data_categories(
    column: pd.Series, totals: pd.Series, where: str, name: str
) -> tuple[pd.Series, dict[str, str]]:
    """Totals indexed as the data's values print (``35.0``), and that text -> code text."""
    present = pd.unique(column.dropna())
    by_code = {codes_text(pd.Series([v])).iloc[0]: v for v in present}
    absent = [code for code, total in totals.items() if code not in by_code and total > 0]
    if absent:
        raise AnalysisError(
            f"{where} margin {name!r}: population categories {absent} have no respondents in the "
            "data; merge them with a neighbouring category in the targets and the data"
        )
    index = {str(by_code[c]): float(t) for c, t in totals.items() if c in by_code}
    return pd.Series(index, dtype=float), {str(v): c for c, v in by_code.items()}


def _trim(design: SurveyDesign, trim: Trim, where: str) -> tuple[SurveyDesign, bool]:
    mean = float(design.weights.mean())
    lower, upper = trim.lower, trim.upper
    w = design.weights.to_numpy()
    lo = None if lower is None else float(lower) * mean
    hi = None if upper is None else float(upper) * mean
    needed = (lo is not None and (w < lo).any()) or (hi is not None and (w > hi).any())
    if not needed:
        return design, False
    return trim_weights(design, lower=lo, upper=hi, strict=trim.strict), True


def _recount(data: pd.DataFrame, margins: pd.DataFrame, w: np.ndarray) -> list[float]:
    out = []
    for margin, level in zip(margins["margin"], margins["level"], strict=True):
        hit = data[margin].astype(str).to_numpy() == str(level)
        out.append(float(w[hit].sum()))
    return out


def _diagnostics(w: np.ndarray, iterations: int, trimmed: bool, converged: bool) -> dict[str, Any]:
    """Kish's design effect of unequal weights ``n sum w^2 / (sum w)^2`` (Kish 1965, §11.7),
    the weight range, and what the weighting steps reported (iterations, convergence)."""
    positive = w[w > 0]
    n = positive.size
    deff = float(n * (positive @ positive) / positive.sum() ** 2)
    return {
        "n": int(w.size),
        "sum_weights": float(w.sum()),
        "kish_deff": deff,
        "effective_n": n / deff,
        "min": float(positive.min()),
        "max": float(positive.max()),
        "ratio": float(positive.max() / positive.min()),
        "iterations": int(iterations),
        "converged": bool(converged),
        "trimmed": bool(trimmed),
    }


def weighting_tables(waves: Sequence[WeightedWave]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``weighting`` and ``weighting_margins`` tables, sorted by survey and wave.

    >>> df = pd.DataFrame({"g": [1, 2, 2]})
    >>> pop = pd.DataFrame({"g": ["1", "2"], "population": [5, 5]})
    >>> ww = weight_wave(df, "s", "1", {"margins": [["g"]]}, pop)
    >>> summary, margins = weighting_tables([ww])
    >>> summary["effective_n"].round(3).tolist(), margins["after"].tolist()
    ([2.667], [5.0, 5.0])
    >>> margins["variables"].tolist(), margins["levels"].tolist()
    ([['g'], ['g']], [['1'], ['2']])
    """
    waves = sorted(waves, key=lambda ww: (ww.survey, ww.wave))
    rows = [{"survey": ww.survey, "wave": ww.wave, **ww.diagnostics} for ww in waves]
    summary = pd.DataFrame(rows, columns=WEIGHTING_COLUMNS)
    frames = [ww.margins.assign(survey=ww.survey, wave=ww.wave) for ww in waves if len(ww.margins)]
    if frames:
        margins = pd.concat(frames, ignore_index=True)[MARGIN_COLUMNS]
    else:
        margins = spec("weighting_margins").empty()
    return summary, margins

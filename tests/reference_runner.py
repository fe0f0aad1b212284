"""Run the R ``survey`` reference cases of ``tests/reference/expected/*.json`` through ci_eval.

The case format is described in ``tests/reference/README.md``. Every file of that format in the
folder is read, so a new file adds cases without code changes. A case whose feature ci_eval does not
have yet is reported as skipped with the reason, never passed.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REFERENCE = Path(__file__).parent / "reference"
#: R's rake() defaults, used unless a case gives "control" in its weighting step
R_RAKE_CONTROL = {"epsilon": 1.0, "maxit": 10}


class NotBuiltYetError(Exception):
    """The case needs a part of ci_eval that does not exist yet."""


@dataclass(frozen=True)
class Case:
    file: str
    data_dir: Path
    spec: dict[str, Any]

    @property
    def id(self) -> str:
        return self.spec["id"]


def load_cases(folder: Path = REFERENCE / "expected") -> list[Case]:
    cases = []
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        data_dir = (path.parent.parent / doc.get("data_dir", "data")).resolve()
        cases += [Case(path.name, data_dir, spec) for spec in doc["cases"]]
    return cases


def _read(data_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(data_dir / f"{name}.csv" if not name.endswith(".csv") else data_dir / name)


def _design(case: Case, df: pd.DataFrame):
    from ci_eval.survey import SurveyDesign

    d = case.spec["design"]
    probs = d.get("probs")
    kwargs = dict(
        ids=d.get("ids"),
        strata=d.get("strata"),
        weights=d.get("weights"),
        fpc=d.get("fpc"),
        nest=bool(d.get("nest", False)),
        lonely_psu=d.get("lonely_psu", "fail"),
    )
    if probs == "one":
        kwargs["probs"] = 1.0
    elif probs is not None:
        kwargs["probs"] = probs
    if d.get("pps") is not None:
        kwargs["pps"] = _pps(case, d["pps"], df[d["strata"]] if d.get("strata") else None)
        kwargs["variance"] = d.get("variance", "HT")
    return SurveyDesign(df, **kwargs)


def _pps(case: Case, spec: Any, strata: pd.Series | None):
    """A case's ``design.pps``: a method name, or {"method": "HR" | "ppsmat", ...} (README)."""
    from ci_eval.survey.pps import HartleyRao, JointProbabilities

    if isinstance(spec, str):
        return spec
    if spec["method"] == "ppsmat":
        pij = _read(case.data_dir, spec["jointprob_file"]).to_numpy(dtype=float)
        return JointProbabilities(pij, tolerance=spec["tolerance"])
    psum = spec["psum"]
    if isinstance(psum, dict):  # JSON keys are text; the stratum labels are the column's values
        psum = {strata[strata.astype(str) == k].iloc[0]: v for k, v in psum.items()}
    return HartleyRao(psum)


def _feature(obj: Any, name: str, what: str) -> Any:
    try:
        return getattr(obj, name)
    except AttributeError as exc:
        raise NotBuiltYetError(f"{what} is not built yet") from exc


def _replicate(case: Case, design, df: pd.DataFrame):
    rep = case.spec.get("replicate")
    if not rep:
        return design
    import ci_eval.survey as survey

    kind = rep["type"]
    if "repweights_file" in rep:
        replicate_design = _feature(survey, "ReplicateDesign", "ReplicateDesign")
        reps = _read(case.data_dir, rep["repweights_file"])
        data = pd.concat([df.reset_index(drop=True), reps.add_prefix("__rep_")], axis=1)
        return replicate_design(
            data,
            repweights=[f"__rep_{c}" for c in reps.columns],
            weights=case.spec["design"].get("weights"),
            type=kind,
            scale=rep["scale"],
            rscales=rep["rscales"],
            mse=rep["mse"],
            **{k: rep[k] for k in ("fpc", "fpctype") if k in rep},
        )
    as_replicate = _feature(design, "as_replicate", f"as_replicate({kind!r})")
    extra = {k: v for k, v in rep.items() if k not in ("type", "counts_file")}
    if "counts_file" in rep:  # R's draws, one row per data row: how often its PSU was drawn
        extra["counts"] = psu_counts(design.structure.psu, _read(case.data_dir, rep["counts_file"]))
    return as_replicate(kind, **extra)


def psu_counts(psu: np.ndarray, rows: pd.DataFrame) -> np.ndarray:
    """Per-PSU bootstrap counts (PSU codes, R) from a row-aligned table of R's multipliers.

    >>> psu_counts(np.array([1, 0, 1]), pd.DataFrame({"r1": [2, 0, 2], "r2": [1, 1, 1]})).tolist()
    [[0.0, 1.0], [2.0, 1.0]]
    """
    values = rows.to_numpy(dtype=float)
    counts = np.full((int(psu.max()) + 1, values.shape[1]), np.nan)
    counts[psu] = values
    if not np.array_equal(counts[psu], values):
        raise ValueError("the bootstrap counts differ between rows of one PSU")
    return counts


def _weighting(case: Case, design, spec: dict[str, Any] | None = None):
    spec = spec or case.spec.get("weighting")
    if not spec:
        return design
    import ci_eval.survey as survey

    method = spec["method"]
    if method == "chain":
        for step in spec["steps"]:
            design = _weighting(case, design, step)
        return design
    if method in ("poststratify", "poststratify_trim"):
        poststratify = _feature(survey, "poststratify", "poststratify")
        totals = pd.Series(spec["totals"], dtype=float)
        design = poststratify(design, spec["var"], totals, partial=spec.get("partial", False))
        if method == "poststratify_trim":
            trim = _feature(survey, "trim_weights", "trim_weights")
            design = trim(design, lower=spec["trim"]["lower"], upper=spec["trim"]["upper"])
        return design
    if method == "rake":
        rake = _feature(survey, "rake", "rake")
        margins = {k: pd.Series(v, dtype=float) for k, v in spec["margins"].items()}
        # A case's R call ran rake() with R's stopping rule (default control: epsilon = 1,
        # maxit = 10), which ci_eval reproduces when given it; a `_converged` case (README)
        # was iterated to convergence, which is ci_eval's default.
        control = spec.get("control")
        if control is None and case.id.endswith("_converged"):
            return rake(design, margins)
        control = {**R_RAKE_CONTROL, **(control or {})}
        return rake(design, margins, max_iter=control["maxit"], epsilon=control["epsilon"])
    if method == "trim":
        trim = _feature(survey, "trim_weights", "trim_weights")
        return trim(
            design,
            lower=spec.get("lower"),
            upper=spec.get("upper"),
            strict=spec.get("strict", False),
        )
    if method == "calibrate":
        calibrate = _feature(survey, "calibrate", "calibrate")
        margins, population = calibration_margins(spec, design.data)
        kwargs = {"calfun": spec.get("calfun", "linear"), "population": population}
        if spec.get("bounds") is not None:
            kwargs["bounds"] = tuple(spec["bounds"])
        return calibrate(design, margins, **kwargs)
    raise NotBuiltYetError(f"weighting method {method!r}")


def calibration_margins(
    spec: dict[str, Any], df: pd.DataFrame
) -> tuple[dict[str, Any], float | None]:
    """R's calibration totals (``(Intercept)``, ``stypeH``, ``api99``) as ci_eval margins.

    Returns the margins and the population size for ``calibrate(population=)``: the intercept's
    total when no term is categorical (R's ``~api99``), None for a formula ``~ ... - 1``.
    """
    formula = spec["formula"].lstrip("~").strip()
    intercept = not formula.replace(" ", "").endswith("-1")
    terms = [t.strip() for t in formula.removesuffix("- 1").split("+")]
    totals = dict(spec["totals"])
    population = totals.pop("(Intercept)") if intercept else None
    margins: dict[str, Any] = {}
    for term in terms:
        col = df[term]
        if pd.api.types.is_numeric_dtype(col):
            margins[term] = float(totals[term])
            continue
        levels = sorted(col.dropna().astype(str).unique())
        given = {lev: float(totals[f"{term}{lev}"]) for lev in levels[1:]}
        first = population - sum(given.values())
        margins[term] = pd.Series({levels[0]: first, **given}, dtype=float)
    categorical = any(isinstance(m, pd.Series) for m in margins.values())
    return margins, None if categorical else population


GLM_CONTROL = re.compile(r"glm\.control\(([^)]*)\)")


def glm_control(r_call: str) -> dict[str, Any]:
    """``glm.control(epsilon=, maxit=)`` of a case's R call as ci_eval's ``glm`` arguments.

    >>> glm_control("svyglm(y~x, d, control=glm.control(epsilon=1e-14, maxit=100))")
    {'epsilon': 1e-14, 'maxit': 100}
    """
    match = GLM_CONTROL.search(r_call)
    if not match:
        return {}
    settings = dict(part.split("=", 1) for part in match.group(1).replace(" ", "").split(","))
    out: dict[str, Any] = {}
    if "epsilon" in settings:
        out["epsilon"] = float(settings["epsilon"])
    if "maxit" in settings:
        out["maxit"] = int(settings["maxit"])
    return out


# Features ci_eval leaves out on purpose, with the reason (a case using one is skipped, not passed).
NOT_SUPPORTED: dict[tuple[str, str | None], str] = {}


def run_case(case: Case):
    spec = case.spec
    key = (spec["call"]["fn"], spec["call"]["args"].get("method"))
    if key in NOT_SUPPORTED:
        raise NotBuiltYetError(NOT_SUPPORTED[key])
    df = _read(case.data_dir, spec["data"])
    if spec.get("data_rows"):  # the design is built on these rows of the data file only
        df = df.query(spec["data_rows"]).reset_index(drop=True)
    call = spec["call"]
    args = dict(call["args"])
    if call["fn"] == "glm":  # R's IRLS settings, when the case's R call sets them
        args = {**glm_control(spec["r"]), **args}
    for name, expr in (args.pop("derive", None) or {}).items():
        df[name] = df.eval(expr).astype(float)
    for name in args.pop("categorical", None) or []:
        df[name] = df[name].astype(str).astype("category")
    subset = spec.get("subset")
    design = _replicate(case, _design(case, df), df)
    design = _weighting(case, design)
    if subset:
        design = _feature(design, "subset", "subset")(df.eval(subset).to_numpy())
    if call["fn"] == "degf":
        return design, {"df": float(design.degf)}
    fn = _feature(design, call["fn"], f"the {call['fn']!r} estimator")
    return design, fn(**args)


def close(got: float, expected: float, tol: float) -> bool:
    if expected is None:
        return got is None or (isinstance(got, float) and math.isnan(got))
    if got is None or (isinstance(got, float) and math.isnan(got)):
        return False
    if expected == 0:
        return abs(got) <= tol
    return abs(got - expected) <= tol * abs(expected)


STAT_FIELDS = ("estimate", "se", "ci_low", "ci_high", "statistic", "df", "ndf", "ddf", "p_value")


def r_term(term: str) -> str:
    """ci_eval's term name as R names it: ``Intercept`` -> ``(Intercept)``, ``x[T.a]`` -> ``xa``."""
    if term == "Intercept":
        return "(Intercept)"
    if "[T." in term and term.endswith("]"):
        var, lev = term[:-1].split("[T.", 1)
        return f"{var}{lev}"
    return term


def _key(row: dict[str, Any]) -> tuple:
    level = row.get("level")
    by = row.get("by") or {}
    return (
        row.get("variable"),
        None if level is None or (isinstance(level, float) and math.isnan(level)) else str(level),
        tuple(sorted((k, str(v)) for k, v in by.items())),
    )


def compare(case: Case, design, result) -> list[str]:
    """Differences between ci_eval's result and R's, as messages (empty when they agree)."""
    spec = case.spec
    tol = float(spec["rel_tol"])
    expected = spec["expected"]
    problems: list[str] = []
    if isinstance(expected, dict) and "weights" in expected:
        got_w = np.asarray(design.weights, dtype=float)
        exp_w = np.asarray(expected["weights"], dtype=float)
        if got_w.shape != exp_w.shape:
            return [f"weights: {got_w.shape} values, R has {exp_w.shape}"]
        worst = np.max(np.abs(got_w - exp_w) / np.abs(exp_w))
        if worst > tol:
            problems.append(f"weights differ from R by a relative {worst:.3g}")
        expected = [expected["mean"]]
    if spec["call"]["fn"] in ("chisq", "ttest", "degf"):
        got_row = result if isinstance(result, dict) else result.iloc[0].to_dict()
        for field in STAT_FIELDS:
            want = expected[0].get(field)
            if want is not None and not close(float(got_row[field]), want, tol):
                problems.append(f"{field}: ci_eval {got_row[field]!r}, R {want!r}")
        return problems
    frame = result.copy()
    if "term" in frame.columns:
        rows = {r_term(r["term"]): r for r in frame.to_dict("records")}
        lookup = {row["term"]: rows.get(row["term"]) for row in expected}
        keyed = [(row["term"], row, lookup[row["term"]]) for row in expected]
    else:
        by_cols = [
            c for c in frame.columns if c not in ("variable", "level", *STAT_FIELDS, "n", "cv")
        ]
        got = {}
        for r in frame.to_dict("records"):
            by = {c: r[c] for c in by_cols}
            got[_key({"variable": r["variable"], "level": r.get("level"), "by": by})] = r
        keyed = []
        for row in expected:
            row = dict(row)
            if row.get("variable") is None and len(frame) == 1:
                row["variable"] = frame["variable"].iloc[0]
            keyed.append((_key(row), row, got.get(_key(row))))
    for key, row, got_row in keyed:
        if got_row is None:
            problems.append(f"no row {key} in ci_eval's result")
            continue
        for field in STAT_FIELDS:
            if field not in row:
                continue
            value = got_row.get(field)
            want = None if row[field] is None else float(row[field])  # null: R's NA
            if not close(None if value is None else float(value), want, tol):
                problems.append(f"{key} {field}: ci_eval {value!r}, R {row[field]!r}")
    return problems

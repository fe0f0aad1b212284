"""The project's exception hierarchy.

Every error a user can cause is a :class:`CiEvalError`; its message names the
file, column, row or setting at fault and, where there is one, the fix.

>>> from ci_eval.errors import DesignError, CiEvalError
>>> issubclass(DesignError, CiEvalError)
True
"""

from __future__ import annotations

import difflib
from typing import Any


class CiEvalError(Exception):
    """Base class of every error ci_eval raises on bad input or settings."""


class DesignError(CiEvalError, ValueError):
    """A survey design or an estimator call that cannot be honoured."""


class WeightingError(DesignError):
    """Post-stratification, raking, calibration or trimming that cannot be done."""


class ConvergenceError(WeightingError):
    """An iterative weighting step that did not converge."""


class SourceError(CiEvalError):
    """A survey source (server or file) that cannot be read."""


class CodebookError(CiEvalError):
    """A codebook, or a wave mapping, that does not fit the data."""


class ModelError(CiEvalError):
    """A theory-of-change model that does not validate."""


class QualityError(CiEvalError):
    """A response-quality rule that cannot be applied."""


class AnalysisError(CiEvalError):
    """An analysis stage that cannot produce its results."""


class StudyError(CiEvalError):
    """A study folder or ``ci-eval.toml`` that is missing or malformed."""


class ReportError(CiEvalError):
    """A report that cannot be built."""


def did_you_mean(name: str, known: list[str]) -> str:
    """`` (did you mean 'weighting'?)`` for a near miss among ``known``, else ``""``.

    >>> did_you_mean("wights", ["study", "weighting"]), did_you_mean("zzz", ["study"])
    (" (did you mean 'weighting'?)", '')
    """
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def validation_problems(exc: Any, model: Any, prefix: str = "") -> list[str]:
    """One line per error of a pydantic ``ValidationError`` raised by ``model``: the dotted
    key, then what is wrong; an unknown key lists the known ones with a "did you mean".

    >>> from pydantic import BaseModel, ConfigDict, ValidationError
    >>> class Trim(BaseModel):
    ...     model_config = ConfigDict(extra="forbid")
    ...     lower: float = 0.0
    >>> try:
    ...     Trim.model_validate({"lowr": 1})
    ... except ValidationError as exc:
    ...     validation_problems(exc, Trim, "[weighting.youth] trim.")
    ["[weighting.youth] trim.lowr: unknown key (did you mean 'lower'?); the keys are lower"]
    """
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
        key = (prefix + ".".join(str(p) for p in loc)).rstrip(". ")
        if err["type"] == "extra_forbidden":
            known = list(getattr(_model_at(model, loc[:-1]), "model_fields", {}))
            hint = did_you_mean(str(loc[-1]), known)
            kind = "table" if isinstance(err.get("input"), dict) else "key"
            problems.append(f"{key}: unknown {kind}{hint}; the keys are {', '.join(known)}")
        else:
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"{key}: {message}" if key else message)
    return problems


def _model_at(model: Any, loc: tuple[Any, ...]) -> Any:
    """The model class that validates the table at ``loc``: dict keys are skipped, and a
    discriminated union's tag (``file`` for ``FileSource``) picks its member."""
    candidates = [model]
    for part in loc:
        part = str(part)
        owner = next((m for m in candidates if part in m.model_fields), None)
        if owner is None:
            tagged = [m for m in candidates if m.__name__.lower().startswith(part.lower())]
            candidates = tagged or candidates
            continue  # a dict key (a survey or wave name) or a union tag
        candidates = _models_of(owner.model_fields[part].annotation)
        if not candidates:
            return None
    return candidates[0]


def _models_of(annotation: Any) -> list[Any]:
    """The models inside ``X``, ``X | None``, ``dict[str, X]``, ``list[X]``, ``A | B``."""
    if hasattr(annotation, "model_fields"):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) or () for m in _models_of(arg)]

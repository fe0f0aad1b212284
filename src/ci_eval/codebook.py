"""The codebook: one description of a survey's variables for every source.

A codebook names each harmonised variable, its label and value labels in every
report language, its type, the codes that mean "missing" (read as missing, the
code kept here), the source question it comes from, and how its name and codes
differed in earlier waves. It is stored as YAML (``surveys/<survey>/codebook.yaml``)
and can be edited by hand.

>>> cb = Codebook.from_dict({"survey": "youth", "variables": [
...     {"name": "had_mentor", "label": {"en": "Had a mentor", "fr": "A eu un mentor"},
...      "type": "categorical",
...      "value_labels": {1: {"en": "Yes", "fr": "Oui"}, 2: {"en": "No", "fr": "Non"},
...                       9: {"en": "Prefer not to say", "fr": "Préfère ne pas répondre"}},
...      "missing_codes": [9], "question": "Q12",
...      "waves": {"2021": {"name": "mentor", "recode": {1: 1, 0: 2}}}}]})
>>> cb.variables["had_mentor"].label["fr"]
'A eu un mentor'
>>> import pandas as pd
>>> cb.harmonise(pd.DataFrame({"mentor": [1, 0, 9]}), wave="2021")["had_mentor"].tolist()
[1, 2, 9]
>>> cb.apply_missing(pd.DataFrame({"had_mentor": [1, 2, 9]}))["had_mentor"].tolist()
[1.0, 2.0, nan]
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from ci_eval.errors import CodebookError

Code = int | float | str
"""A response code as it appears in the data: a number or a string."""

VariableType = Literal["numeric", "categorical", "text", "date", "datetime"]
Measure = Literal["nominal", "ordinal", "scale"]

__all__ = [
    "Change",
    "Code",
    "Codebook",
    "Variable",
    "WaveMapping",
    "load_yaml_text",
]


def _check_code(value: Any) -> Code:
    # YAML reads `true`/`false` as booleans; a boolean is never a survey code.
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"code {value!r} must be a number or a quoted string")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _normalise_label(value: Any) -> Any:
    # A single string is accepted as the English text.
    return {"en": value} if isinstance(value, str) else value


class WaveMapping(BaseModel):
    """How a variable looked in one wave's raw data.

    ``name`` is the column name in that wave (``None``: not asked that wave, the
    column is added as all missing); ``recode`` maps that wave's codes to the
    codebook's codes (codes not listed stay as they are).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None
    recode: dict[Code, Code] = {}

    @field_validator("recode", mode="before")
    @classmethod
    def _codes(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        return {_check_code(k): _check_code(v) for k, v in value.items()}


class Variable(BaseModel):
    """One harmonised variable of a survey.

    ``label`` says what the variable is (a question, with how it was derived); the report
    shows ``short_label`` where given (a few words: "Age band", not "Age band (derived;
    missing outside 18-30)"), else ``label``. ``by_label`` introduces the variable as a
    domain ("by age band", « selon le groupe d'âge »: French with its article); without it
    the report writes "by " and the short label (French: « selon la caractéristique « Groupe
    d'âge » », which reads less well). Both are ``{en: ..., fr: ...}`` like ``label``.
    ``peer_labels`` (per code, ``{en: ..., fr: ...}``) says in words what programs of a
    level are, as a phrase that follows "programs" (``in Ontario``, « en Ontario »), for a
    variable that forms peer groups (a program's benchmark page describes its group so).

    Examples
    --------
    >>> v = Variable(name="age", label={"en": "Age", "fr": "Âge"}, type="numeric")
    >>> v.label["fr"], v.missing_codes
    ('Âge', [])
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    label: dict[str, str] = {}
    short_label: dict[str, str] = {}
    by_label: dict[str, str] = {}
    type: VariableType
    value_labels: dict[Code, dict[str, str]] = {}
    peer_labels: dict[Code, dict[str, str]] = {}
    missing_codes: list[Code] = []
    question: str | None = None
    measure: Measure | None = None
    waves: dict[str, WaveMapping] = {}

    @model_validator(mode="before")
    @classmethod
    def _empty_is_default(cls, data: Any) -> Any:
        # A hand-edited `waves:` or `value_labels:` with nothing under it is YAML null.
        if isinstance(data, Mapping):
            empty = (
                *("label", "short_label", "by_label", "value_labels", "peer_labels"),
                *("missing_codes", "waves"),
            )
            data = {k: v for k, v in data.items() if not (k in empty and v is None)}
        return data

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be empty")
        return value

    @field_validator("label", "short_label", "by_label", mode="before")
    @classmethod
    def _label(cls, value: Any) -> Any:
        return _normalise_label(value)

    @field_validator("value_labels", "peer_labels", mode="before")
    @classmethod
    def _value_labels(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        return {_check_code(k): _normalise_label(v) for k, v in value.items()}

    @field_validator("missing_codes", mode="before")
    @classmethod
    def _missing(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [_check_code(v) for v in value]
        return value

    @field_validator("waves", mode="before")
    @classmethod
    def _waves(cls, value: Any) -> Any:
        # An unquoted YAML key 2021 is an int; waves are named by strings.
        if isinstance(value, Mapping):
            return {str(k): v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _codes_fit_the_type(self) -> Variable:
        # A numeric column never holds text: a quoted "-9" or an "NA" would match nothing,
        # and the code would be scored as an answer.
        if self.type == "numeric":
            text = [c for c in [*self.missing_codes, *self.value_labels] if isinstance(c, str)]
            if text:
                raise ValueError(
                    f"numeric variable {self.name!r} has text codes {sorted(set(text))} in "
                    "missing_codes or value_labels; a numeric column cannot hold them. Write "
                    "the number the data uses, unquoted (e.g. -9), or declare the variable "
                    "categorical or text"
                )
        unknown = [c for c in self.peer_labels if c not in self.value_labels]
        if unknown:
            raise ValueError(
                f"variable {self.name!r}: peer_labels of codes {unknown} that value_labels "
                "does not list; give each peer label the code of a value label"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        """The variable as plain data, leaving out empty optional fields."""
        out: dict[str, Any] = {"name": self.name, "label": dict(self.label)}
        for field in ("short_label", "by_label"):
            if getattr(self, field):
                out[field] = dict(getattr(self, field))
        out["type"] = self.type
        if self.value_labels:
            out["value_labels"] = {k: dict(v) for k, v in self.value_labels.items()}
        if self.peer_labels:
            out["peer_labels"] = {k: dict(v) for k, v in self.peer_labels.items()}
        if self.missing_codes:
            out["missing_codes"] = list(self.missing_codes)
        if self.question is not None:
            out["question"] = self.question
        if self.measure is not None:
            out["measure"] = self.measure
        if self.waves:
            out["waves"] = {
                w: {"name": m.name, **({"recode": dict(m.recode)} if m.recode else {})}
                for w, m in self.waves.items()
            }
        return out


class _CodebookModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    survey: str
    variables: list[Variable]

    @model_validator(mode="after")
    def _unique(self) -> _CodebookModel:
        seen: set[str] = set()
        for v in self.variables:
            if v.name in seen:
                raise ValueError(f"variable {v.name!r} is defined twice")
            seen.add(v.name)
        return self


@dataclass(frozen=True)
class Change:
    """One difference between two codebooks (see :meth:`Codebook.diff`)."""

    variable: str
    kind: Literal["added", "removed", "changed"]
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.variable}" + (f": {self.detail}" if self.detail else "")


class _CodeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: ~7x faster
    """A YAML loader where only true/false are booleans (YAML 1.2), so codes
    such as ``Y``, ``N``, ``yes`` or ``no`` stay strings."""


_CodeLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_CodeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml_text(text: str) -> Any:
    """Parse YAML where ``yes``/``no``/``on``/``off`` stay strings.

    Anchors and aliases (``&a`` / ``*a``) are refused: a codebook or model never needs them,
    and nested aliases expand exponentially ("billion laughs"); the error is a
    ``yaml.YAMLError`` with the line of the first alias.

    >>> load_yaml_text("a: no\\nb: true")
    {'a': 'no', 'b': True}
    """
    for event in yaml.parse(text, Loader=_CodeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None,
                None,
                f"an alias (*{event.anchor}) is not allowed here: write the value out",
                event.start_mark,
            )
    return yaml.load(text, Loader=_CodeLoader)


class Codebook:
    """The variables of one survey, in order, with their wave mappings.

    Parameters
    ----------
    survey : str
        The survey's key in the study (``"youth"``, ``"organisations"``).
    variables : iterable of Variable
        In the order they should appear; names must be unique.

    Examples
    --------
    >>> cb = Codebook("youth", [Variable(name="age", type="numeric")])
    >>> list(cb.variables)
    ['age']
    """

    def __init__(self, survey: str, variables: Iterable[Variable]) -> None:
        model = _CodebookModel(survey=survey, variables=list(variables))
        self.survey = model.survey
        self.variables: dict[str, Variable] = {v.name: v for v in model.variables}

    def __repr__(self) -> str:
        return f"Codebook(survey={self.survey!r}, variables={len(self.variables)})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Codebook)
            and self.survey == other.survey
            and list(self.variables.values()) == list(other.variables.values())
        )

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ I/O
    @classmethod
    def from_dict(cls, data: Any, *, source: str = "codebook") -> Codebook:
        """Build a codebook from plain data (the YAML form).

        Raises
        ------
        CodebookError
            Naming ``source`` and the entry (variable number and name) at fault.
        """
        if not isinstance(data, Mapping):
            raise CodebookError(
                f"{source}: expected a mapping with 'survey' and 'variables', "
                f"got {type(data).__name__}"
            )
        try:
            model = _CodebookModel.model_validate(data)
        except ValidationError as exc:
            raise CodebookError(_describe(exc, data, source)) from None
        return cls(model.survey, model.variables)

    @classmethod
    def from_yaml_text(cls, text: str, *, source: str = "codebook") -> Codebook:
        """Read a codebook from YAML text; ``source`` names it in errors."""
        try:
            data = load_yaml_text(text)
        except yaml.YAMLError as exc:
            raise CodebookError(f"{source}: not valid YAML: {exc}") from None
        return cls.from_dict(data, source=source)

    @classmethod
    def from_yaml(cls, path: str | Path) -> Codebook:
        """Read ``codebook.yaml``.

        Raises
        ------
        CodebookError
            If the file is missing, is not YAML, or an entry does not validate.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CodebookError(
                f"{path}: codebook not found; write one, or export it with "
                "`ci-eval codebook --survey <survey> --export PATH`"
            ) from None
        except UnicodeDecodeError as exc:
            raise CodebookError(f"{path}: not UTF-8 text ({exc.reason})") from None
        return cls.from_yaml_text(text, source=str(path))

    def to_dict(self) -> dict[str, Any]:
        """The codebook as plain data (the YAML form)."""
        return {"survey": self.survey, "variables": [v.to_dict() for v in self.variables.values()]}

    def to_yaml_text(self) -> str:
        """The YAML text :meth:`to_yaml` writes (deterministic, UTF-8, unsorted keys)."""
        return yaml.safe_dump(
            self.to_dict(), sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
        )

    def to_yaml(self, path: str | Path) -> None:
        """Write the codebook as YAML; reading it back gives an equal codebook."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_yaml_text(), encoding="utf-8")

    # ------------------------------------------------------------- the data
    def apply_missing(self, df: pd.DataFrame) -> pd.DataFrame:
        """Set each variable's missing codes to missing; change nothing else.

        Columns that the codebook does not describe, or that have no missing
        codes, are returned unchanged. Integer columns holding a missing code
        become float (they now hold NaN).
        """
        out = df.copy()
        for name, var in self.variables.items():
            if var.missing_codes and name in out.columns:
                col = out[name]
                hit = col.isin(var.missing_codes)
                if hit.any():
                    if isinstance(col.dtype, pd.CategoricalDtype):
                        col = col.cat.remove_categories(
                            [c for c in col.cat.categories if c in set(var.missing_codes)]
                        )
                        out[name] = col
                    else:
                        out[name] = col.mask(hit)
        return out

    def harmonise(
        self,
        df: pd.DataFrame,
        wave: str,
        *,
        extra: Literal["error", "drop", "keep"] = "error",
        columns: Mapping[str, str] | None = None,
        accepted: Collection[str] = (),
    ) -> pd.DataFrame:
        """Rename and recode one wave's raw responses to the codebook's names and codes.

        For each variable, the column is the wave's mapped ``name``, else its column in
        ``columns`` (a LimeSurvey wave: the column of its question), else the variable's
        own name; it is recoded with the wave's ``recode``. Differences the codebook does
        not map are reported, never guessed: a variable whose column is absent, a raw
        column the codebook does not describe (unless ``extra`` says to drop or keep it),
        and a categorical code outside the variable's value labels and missing codes.

        Parameters
        ----------
        df : DataFrame
            The wave's raw responses.
        wave : str
            The wave, as named in the ``waves`` of the codebook (``"2021"``).
        extra : {"error", "drop", "keep"}
            What to do with raw columns the codebook does not describe.
        columns : mapping, optional
            The source's column of each variable it names, where the wave has no mapping.
        accepted : collection of str
            Raw columns the source adds itself (LimeSurvey's ``id``, ``submitdate``...):
            dropped, never an error, unless a variable reads them.

        Returns
        -------
        DataFrame
            The codebook's variables in codebook order (then kept extras).

        Raises
        ------
        CodebookError
            Listing every unmapped difference and how to map it.

        Examples
        --------
        >>> cb = Codebook("s", [Variable(name="trust", type="numeric", question="C3_1")])
        >>> raw = pd.DataFrame({"id": [1], "C3_1": [4]})
        >>> cb.harmonise(raw, "2027", columns={"trust": "C3_1"}, accepted=["id"]).to_dict("list")
        {'trust': [4]}
        """
        wave = str(wave)
        problems: list[str] = []
        out_columns: dict[str, pd.Series] = {}
        used: set[str] = set()
        for name, var in self.variables.items():
            mapping = var.waves.get(wave)
            if mapping is not None and mapping.name is None:
                out_columns[name] = pd.Series(pd.NA, index=df.index, dtype="object")
                continue
            source = mapping.name if mapping is not None else name
            if mapping is None and columns is not None:
                source = columns.get(name, name)
            if source not in df.columns:
                problems.append(_no_column(var, source, wave, mapped=mapping is not None,
                                           by_question=columns is not None))  # fmt: skip
                continue
            used.add(source)
            col = df[source]
            if mapping is not None and mapping.recode:
                col = _recode(col, mapping.recode)
            out_columns[name] = col.rename(name)
            problems.extend(_unlabelled_codes(var, col, wave))
        unmapped = [c for c in df.columns if c not in used and c not in accepted]
        if unmapped and extra == "error":
            problems.append(_unmapped_columns(unmapped, by_question=columns is not None))
        if problems:
            raise CodebookError(
                f"codebook of survey {self.survey!r} does not fit wave {wave}:\n- "
                + "\n- ".join(problems)
            )
        out = pd.DataFrame(out_columns, index=df.index)
        if extra == "keep" and unmapped:
            out = pd.concat([out, df[unmapped]], axis=1)
        return out

    # ---------------------------------------------------------- comparison
    def diff(self, other: Codebook) -> list[Change]:
        """What changed from ``self`` (older) to ``other`` (newer), variable by variable.

        >>> a = Codebook("s", [Variable(name="x", type="numeric")])
        >>> b = Codebook("s", [Variable(name="x", type="text"), Variable(name="y", type="text")])
        >>> [str(c) for c in a.diff(b)]
        ['changed x: type numeric -> text', 'added y']
        """
        changes: list[Change] = []
        for name, new in other.variables.items():
            old = self.variables.get(name)
            if old is None:
                changes.append(Change(name, "added"))
                continue
            fields = [f for f in Variable.model_fields if getattr(old, f) != getattr(new, f)]
            details = [
                f"type {old.type} -> {new.type}" if f == "type" else f"{f} changed" for f in fields
            ]
            if details:
                changes.append(Change(name, "changed", "; ".join(details)))
        changes.extend(Change(n, "removed") for n in self.variables if n not in other.variables)
        return changes


def _no_column(var: Variable, source: str, wave: str, *, mapped: bool, by_question: bool) -> str:
    """What to do about a variable whose column is not in the wave."""
    fix = f"waves: {{'{wave}': {{name: <column>}}}} (name: null if not asked)"
    if mapped or not by_question:
        return f"variable {var.name!r}: column {source!r} is not in wave {wave}; map it with {fix}"
    if var.question is not None:
        return (
            f"variable {var.name!r}: its question {var.question!r} has no column {source!r} in "
            f"wave {wave}; correct the question code, or map it with {fix}"
        )
    return (
        f"variable {var.name!r} has no question and wave {wave} has no column {source!r}; give "
        f"it the code it is asked with (question: <code>), or map it with {fix}"
    )


def _unmapped_columns(unmapped: Sequence[str], *, by_question: bool) -> str:
    """What to do about raw columns that no variable reads."""
    names = ", ".join(map(str, unmapped))
    if by_question:
        return (
            f"columns that no variable's question matches: {names}; give the variable asked "
            "there its question code (the column C3_1 is question: C3_1), add it to the "
            "codebook, or map it in a variable's waves"
        )
    return (
        f"columns not in the codebook: {names}; add them as variables or map them to a "
        "variable's waves"
    )


def _recode(col: pd.Series, recode: Mapping[Code, Code]) -> pd.Series:
    def one(value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            key: Any = int(value)
        else:
            key = value
        try:
            return recode.get(key, value)
        except TypeError:  # unhashable values are never codes
            return value

    return col.map(one)


def _unlabelled_codes(var: Variable, col: pd.Series, wave: str) -> list[str]:
    if var.type != "categorical" or not var.value_labels:
        return []
    known = set(var.value_labels) | set(var.missing_codes)
    present = pd.unique(col.dropna())
    odd = sorted({_display(v) for v in present if _normal(v) not in known}, key=str)
    if not odd:
        return []
    return [
        f"variable {var.name!r}: codes {', '.join(odd)} in wave {wave} have no value label; "
        f"add them to value_labels or missing_codes, or recode them in waves: {{'{wave}': ...}}"
    ]


def _normal(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value.item() if hasattr(value, "item") else value


def _display(value: Any) -> str:
    return repr(_normal(value))


def _describe(exc: ValidationError, data: Mapping[str, Any], source: str) -> str:
    lines = []
    variables = data.get("variables")
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(p) for p in loc) or "(top level)"
        if len(loc) >= 2 and loc[0] == "variables" and isinstance(loc[1], int):
            entry = variables[loc[1]] if isinstance(variables, list) else None
            name = entry.get("name") if isinstance(entry, Mapping) else None
            rest = ".".join(str(p) for p in loc[2:])
            where = f"variable #{loc[1] + 1}" + (f" ({name!r})" if name else "")
            where += f", field {rest}" if rest else ""
        lines.append(f"{where}: {err['msg']}")
    return f"{source}: invalid codebook:\n- " + "\n- ".join(lines)

"""Validate a theory-of-change model against its codebooks, reporting every problem at once.

Each problem carries its place in the file: the path of keys (``indicators[4]
(belonging_score).items[2]``) and, when the model was read from YAML, the line.

>>> data = {"name": {"en": "Demo", "fr": "Démo"},
...         "outcomes": [{"id": "a", "label": {"en": "A"}, "level": "output", "leads_to": ["a"]}],
...         "indicators": []}
>>> model, problems = check_model(data)
>>> [p.message.split(";")[0] for p in problems]
['missing French label', 'cycle in leads_to: a -> a']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ci_eval.codebook import Codebook, Variable, load_yaml_text
from ci_eval.errors import ModelError
from ci_eval.toc import expression
from ci_eval.toc.graph import find_cycles
from ci_eval.toc.schema import LEVELS, Contribution, Indicator, Label, Outcome, ToCModel

Loc = tuple[str | int, ...]
_NOT_SCORABLE = ("text", "date", "datetime")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a model, with its place in the file."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        return f"{where}{self.path}: {self.message}"


def load_model(path: str | Path, codebooks: Mapping[str, Codebook] | None = None) -> ToCModel:
    """Read and validate ``models/*.yaml``; ``ModelError`` lists every problem.

    Parameters
    ----------
    path : str or Path
        The model file.
    codebooks : mapping of survey -> Codebook, optional
        When given, items, scoring rules, universes and disaggregations are
        checked against them.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError(f"{path}: model file not found; check `model =` in ci-eval.toml") from None
    try:
        data = load_yaml_text(text)
        lines = _line_map(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ModelError(f"{path}: not valid YAML: {exc}") from None
    model, problems = check_model(data, codebooks, lines=lines)
    if problems or model is None:
        raise ModelError(format_problems(str(path), problems))
    return model


def format_problems(source: str, problems: Sequence[Problem]) -> str:
    """One message listing every problem, for a ``ModelError``."""
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    return f"{source}: the theory-of-change model has {count}:\n- " + "\n- ".join(
        map(str, problems)
    )


def check_model(
    data: Any,
    codebooks: Mapping[str, Codebook] | None = None,
    *,
    lines: Mapping[Loc, int] | None = None,
) -> tuple[ToCModel | None, list[Problem]]:
    """Validate plain model data; return the model (``None`` if unusable) and all problems."""
    checker = _Checker(data if isinstance(data, Mapping) else {}, codebooks, lines or {})
    if not isinstance(data, Mapping):
        checker.add((), "the model must be a mapping with name, outcomes, indicators")
        return None, checker.problems
    model = checker.run()
    # In file order when lines are known (the sort is stable: same line, check order).
    problems = sorted(checker.problems, key=lambda p: p.line if p.line is not None else 0)
    return model, problems


def _line_map(node: yaml.Node | None, loc: Loc = ()) -> dict[Loc, int]:
    """Map each key path of a composed YAML document to its 1-based line."""
    lines: dict[Loc, int] = {}
    if node is None:
        return lines
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines.update(_line_map(value, (*loc, key.value)))
            # A key's own line (not its value's, which may start on the next line).
            lines[(*loc, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.update(_line_map(item, (*loc, i)))
    return lines


class _Checker:
    def __init__(
        self, data: Mapping[str, Any], codebooks: Mapping[str, Codebook] | None, lines: Mapping
    ) -> None:
        self.data = data
        self.codebooks = codebooks
        self.lines = lines
        self.problems: list[Problem] = []

    # -------------------------------------------------------------- reporting
    def add(self, loc: Loc, message: str) -> None:
        line = None
        for end in range(len(loc), -1, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                break
        self.problems.append(Problem(self._path(loc), message, line))

    def _path(self, loc: Loc) -> str:
        out = ""
        for i, part in enumerate(loc):
            if isinstance(part, int):
                out += f"[{part}]"
                entry = self._entry(loc[: i + 1])
                if i == 1 and isinstance(entry, Mapping) and "id" in entry:
                    out += f" ({entry['id']})"
            else:
                out += f".{part}" if out else str(part)
        return out or "(top level)"

    def _entry(self, loc: Loc) -> Any:
        node: Any = self.data
        for part in loc:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    # ------------------------------------------------------------------ shape
    def _parse(self, key: str, cls: type[BaseModel]) -> list[tuple[int, Any]]:
        entries = self.data.get(key, [])
        if entries is None:
            entries = []
        if not isinstance(entries, list):
            self.add((key,), f"{key} must be a list")
            return []
        parsed = []
        for i, entry in enumerate(entries):
            try:
                parsed.append((i, cls.model_validate(entry)))
            except ValidationError as exc:
                for error in exc.errors():
                    loc = (key, i, *_schema_loc(error["loc"]))
                    self.add(loc, _schema_message(error))
        return parsed

    def run(self) -> ToCModel | None:
        for key in ("name", "outcomes", "indicators"):
            if key not in self.data:
                self.add((key,), f"{key} is required")
        unknown = sorted(set(self.data) - {"name", "outcomes", "indicators", "contributions"})
        for key in unknown:
            self.add(
                (key,), "unknown top-level key; expected name, outcomes, indicators, contributions"
            )
        name = None
        if "name" in self.data:
            try:
                name = Label.model_validate(self.data["name"])
            except ValidationError as exc:
                for error in exc.errors():
                    self.add(("name", *_schema_loc(error["loc"])), _schema_message(error))
        outcomes = self._parse("outcomes", Outcome)
        indicators = self._parse("indicators", Indicator)
        contributions = self._parse("contributions", Contribution)
        if name is not None:
            self._french(("name",), name)
        self._check_outcomes(outcomes)
        self._check_indicators(indicators, {o.id for _, o in outcomes})
        self._check_contributions(contributions, indicators)
        if name is None:
            return None
        return ToCModel.model_construct(
            name=name,
            outcomes=[o for _, o in outcomes],
            indicators=[i for _, i in indicators],
            contributions=[c for _, c in contributions],
        )

    def _french(self, loc: Loc, label: Label | None) -> None:
        if label is not None and not (label.fr or "").strip():
            self.add(
                (*loc, "fr") if label.fr is not None else loc,
                "missing French label; add fr: next to en:",
            )

    # --------------------------------------------------------------- outcomes
    def _check_outcomes(self, outcomes: list[tuple[int, Outcome]]) -> None:
        seen: dict[str, int] = {}
        for i, outcome in outcomes:
            self._french(("outcomes", i, "label"), outcome.label)
            self._french(("outcomes", i, "short_label"), outcome.short_label)
            if outcome.description is not None:
                self._french(("outcomes", i, "description"), outcome.description)
            if outcome.id in seen:
                self.add(
                    ("outcomes", i, "id"),
                    f"outcome id {outcome.id!r} is used twice "
                    f"(also outcomes[{seen[outcome.id]}]); ids must be unique",
                )
            seen.setdefault(outcome.id, i)
        for i, outcome in outcomes:
            for j, target in enumerate(outcome.leads_to):
                if target not in seen:
                    self.add(
                        ("outcomes", i, "leads_to", j),
                        f"leads to unknown outcome {target!r}; known: {_few(seen)}",
                    )
        self._check_reached(outcomes)
        edges = {o.id: list(o.leads_to) for _, o in outcomes}
        for cycle in find_cycles(edges):
            self.add(
                ("outcomes", seen[cycle[0]], "leads_to"),
                f"cycle in leads_to: {' -> '.join(cycle)}; a theory of change must flow "
                "one way, remove one of these links",
            )

    def _check_reached(self, outcomes: list[tuple[int, Outcome]]) -> None:
        """An outcome above the model's lowest level that no outcome leads to floats in the
        diagram with no cause; it needs a link, or ``starting_point: true`` if change starts
        there."""
        levels = [LEVELS.index(o.level) for _, o in outcomes]
        reached = {target for _, o in outcomes for target in o.leads_to}
        for i, outcome in outcomes:
            if LEVELS.index(outcome.level) == min(levels) or outcome.id in reached:
                continue
            if not outcome.starting_point:
                self.add(
                    ("outcomes", i, "id"),
                    f"no outcome leads to {outcome.id!r}; add it to the leads_to of the "
                    "outcomes that bring it about, or set starting_point: true if change "
                    "starts there",
                )

    # ------------------------------------------------------------- indicators
    def _check_indicators(
        self, indicators: list[tuple[int, Indicator]], outcome_ids: set[str]
    ) -> None:
        seen: dict[str, int] = {}
        for i, ind in indicators:
            if ind.id in seen:
                self.add(
                    ("indicators", i, "id"),
                    f"indicator id {ind.id!r} is used twice "
                    f"(also indicators[{seen[ind.id]}]); ids must be unique",
                )
            seen.setdefault(ind.id, i)
        by_id = {ind.id: ind for _, ind in indicators}
        for i, ind in indicators:
            loc: Loc = ("indicators", i)
            self._french((*loc, "label"), ind.label)
            self._french((*loc, "short_label"), ind.short_label)
            self._french((*loc, "universe_label"), ind.universe_label)
            for name in ("baseline", "target"):  # a source given per language needs its French
                benchmark = getattr(ind, name)
                if benchmark is not None and isinstance(benchmark.source, Label):
                    self._french((*loc, name, "source"), benchmark.source)
            if ind.outcome is None:
                self.add(loc, "indicator is on no outcome; add outcome: <outcome id>")
            elif ind.outcome not in outcome_ids:
                self.add(
                    (*loc, "outcome"),
                    f"indicator is on no outcome: {ind.outcome!r} is "
                    f"not an outcome id; known: {_few(outcome_ids)}",
                )
            codebook = self._codebook(loc, ind.survey)
            self._check_items(loc, ind, codebook)
            self._check_scoring(loc, ind, codebook, by_id)
            self._check_universe(loc, ind, codebook, by_id)
            for j, column in enumerate(ind.disaggregate_by):
                if codebook is not None and column not in codebook.variables:
                    self.add((*loc, "disaggregate_by", j), _unknown_item(column, codebook))
        depends = {ind.id: sorted(_indicator_refs(ind, by_id)) for _, ind in indicators}
        for cycle in find_cycles(depends):
            self.add(
                ("indicators", seen[cycle[0]]),
                f"indicators depend on each other in a cycle: {' -> '.join(cycle)}",
            )

    def _codebook(self, loc: Loc, survey: str) -> Codebook | None:
        if self.codebooks is None:
            return None
        if survey not in self.codebooks:
            self.add(
                (*loc, "survey"),
                f"survey {survey!r} has no codebook in this study; surveys: {_few(self.codebooks)}",
            )
            return None
        return self.codebooks[survey]

    def _check_items(self, loc: Loc, ind: Indicator, codebook: Codebook | None) -> None:
        if codebook is None:
            return
        for j, item in enumerate(ind.items):
            if item not in codebook.variables:
                self.add((*loc, "items", j), _unknown_item(item, codebook))
            elif codebook.variables[item].type in _NOT_SCORABLE:
                self.add(
                    (*loc, "items", j),
                    f"item {item!r} is of type "
                    f"{codebook.variables[item].type} and cannot be scored",
                )

    def _check_scoring(
        self, loc: Loc, ind: Indicator, codebook: Codebook | None, by_id: Mapping[str, Indicator]
    ) -> None:
        rule = ind.scoring
        at = (*loc, "scoring")
        method = rule.method
        one_item = method in ("value", "recode", "threshold")
        if one_item and len(ind.items) != 1:
            self.add(
                (*loc, "items"),
                f"scoring method {method} needs exactly one item, got {len(ind.items)}",
            )
        if method == "derived":
            if ind.items:
                self.add(
                    (*loc, "items"),
                    "a derived indicator has no items; refer to other indicators in its expression",
                )
            self._check_expression((*at, "expression"), rule.expression, ind, by_id, None)
            return
        if not ind.items:
            if not one_item:
                self.add((*loc, "items"), f"scoring method {method} needs at least one item")
            return
        if method in ("mean", "sum"):
            self._check_scale(at, ind, codebook)
        if method == "threshold" and (rule.values is None) == (
            rule.min is None and rule.max is None
        ):
            self.add(at, "threshold needs either values: [codes] or min:/max:, not both")
        variables = self._known(ind, codebook)
        for item, var in variables.items():
            if method == "value" and var.type != "numeric":
                self.add(
                    at,
                    f"method value needs a numeric item; {item!r} is {var.type} "
                    "(use recode to give its codes numbers)",
                )
            if method == "recode":
                self._check_codes((*at, "map"), item, var, list(rule.map))
            if method in ("any_of", "all_of") or (method == "threshold" and rule.values):
                self._check_codes((*at, "values"), item, var, list(rule.values or []))
            if method == "threshold" and rule.values is None and not _numeric_codes(var):
                self.add(
                    at,
                    f"threshold min/max needs a numeric or ordinal item; {item!r} "
                    "has non-numeric codes (use values: [codes])",
                )

    def _check_scale(self, at: Loc, ind: Indicator, codebook: Codebook | None) -> None:
        rule = ind.scoring
        if rule.min_answered is not None and rule.min_answered > len(ind.items):
            self.add(
                (*at, "min_answered"),
                f"min_answered is {rule.min_answered} but the scale has {len(ind.items)} items",
            )
        for j, item in enumerate(rule.reverse):
            if item not in ind.items:
                self.add((*at, "reverse", j), f"reverse item {item!r} is not one of the items")
        if rule.reverse and rule.range is None:
            self.add(
                (*at, "reverse"),
                "reverse-coding needs range: [lowest, highest] of the answer scale",
            )
        for item, var in self._known(ind, codebook).items():
            if rule.recode is not None:
                self._check_codes((*at, "recode"), item, var, list(rule.recode))
                continue
            if not _numeric_codes(var) or var.measure == "nominal":
                self.add(
                    at,
                    f"a scale {rule.method} needs numeric or ordinal items; {item!r} is "
                    f"{var.measure or var.type} (recode it first)",
                )
            elif rule.range is not None:
                valid = _valid_codes(var)
                outside = [c for c in valid if not rule.range[0] <= c <= rule.range[1]]
                if outside:
                    self.add(
                        (*at, "range"),
                        f"item {item!r} has codes {outside} outside range "
                        f"{list(rule.range)}; declare them missing or widen the range",
                    )

    def _check_codes(self, at: Loc, item: str, var: Variable, codes: list[Any]) -> None:
        if var.type == "numeric" or not var.value_labels:
            return
        missing = [c for c in codes if c in var.missing_codes]
        unknown = [c for c in codes if c not in var.value_labels]
        if missing:
            self.add(
                at,
                f"codes {missing} of item {item!r} are missing codes and never reach "
                "scoring; remove them",
            )
        if unknown:
            self.add(
                at,
                f"codes {unknown} are not codes of item {item!r}; its codes are "
                f"{_valid_codes(var)}",
            )

    def _check_universe(
        self, loc: Loc, ind: Indicator, codebook: Codebook | None, by_id: Mapping[str, Indicator]
    ) -> None:
        if ind.universe is not None:
            self._check_expression((*loc, "universe"), ind.universe, ind, by_id, codebook)

    def _check_expression(
        self,
        at: Loc,
        text: str,
        ind: Indicator,
        by_id: Mapping[str, Indicator],
        codebook: Codebook | None,
    ) -> None:
        try:
            used = expression.names(text)
        except ModelError as exc:
            self.add(at, str(exc))
            return
        same_survey = {k for k, v in by_id.items() if v.survey == ind.survey}
        is_universe = at[-1] == "universe"
        items = set(codebook.variables) if codebook is not None and is_universe else set()
        for name in sorted(used):
            if name == ind.id:
                self.add(at, f"the expression refers to the indicator itself ({name!r})")
            elif name in same_survey and name in items:
                self.add(at, f"{name!r} is both an item and an indicator; rename the indicator")
            elif name in same_survey or name in items or (is_universe and codebook is None):
                continue
            else:
                where = "items or indicators" if is_universe else "indicators"
                self.add(at, f"unknown name {name!r}: not one of the {ind.survey!r} {where}")

    # ---------------------------------------------------------- contributions
    def _check_contributions(
        self, contributions: list[tuple[int, Contribution]], indicators: list[tuple[int, Indicator]]
    ) -> None:
        by_id = {ind.id: ind for _, ind in indicators}
        for i, contribution in contributions:
            loc: Loc = ("contributions", i)
            if contribution.label is not None:
                self._french((*loc, "label"), contribution.label)
            for code, label in contribution.levels.items():
                self._french((*loc, "levels", code), label)
            target = by_id.get(contribution.indicator)
            if target is None:
                self.add((*loc, "indicator"), f"unknown indicator {contribution.indicator!r}")
                continue
            codebook = (self.codebooks or {}).get(target.survey)
            names = [("exposure", contribution.exposure)] + [
                (("adjust_for", j), name) for j, name in enumerate(contribution.adjust_for)
            ]
            for key, name in names:
                known = name in by_id and by_id[name].survey == target.survey
                unchecked = self.codebooks is None
                if (
                    not known
                    and not unchecked
                    and (codebook is None or name not in codebook.variables)
                ):
                    where = key if isinstance(key, tuple) else (key,)
                    self.add(
                        (*loc, *where),
                        f"{name!r} is neither a {target.survey!r} indicator nor an item",
                    )

    @staticmethod
    def _known(ind: Indicator, codebook: Codebook | None) -> dict[str, Variable]:
        if codebook is None:
            return {}
        return {i: codebook.variables[i] for i in ind.items if i in codebook.variables}


def _indicator_refs(ind: Indicator, by_id: Mapping[str, Indicator]) -> set[str]:
    texts = [ind.universe] if ind.universe else []
    if ind.scoring.method == "derived":
        texts.append(ind.scoring.expression)
    refs: set[str] = set()
    for text in texts:
        try:
            refs |= expression.names(text)
        except ModelError:
            continue
    return {r for r in refs if r in by_id and r != ind.id}


def _valid_codes(var: Variable) -> list[Any]:
    return [c for c in var.value_labels if c not in var.missing_codes]


def _numeric_codes(var: Variable) -> bool:
    if var.type == "numeric":
        return True
    codes = _valid_codes(var)
    return (
        var.type == "categorical" and bool(codes) and all(isinstance(c, int | float) for c in codes)
    )


def _unknown_item(name: str, codebook: Codebook) -> str:
    return (
        f"unknown item {name!r}: not a variable of the {codebook.survey!r} codebook; check "
        "the spelling or add it to surveys/<survey>/codebook.yaml"
    )


def _few(names: Any) -> str:
    names = sorted(names)
    return ", ".join(names[:8]) + (", ..." if len(names) > 8 else "") if names else "(none)"


def _schema_loc(loc: tuple[Any, ...]) -> Loc:
    # pydantic puts the discriminator tag into the location (scoring.mean.min_answered); drop it.
    return tuple(
        p
        for i, p in enumerate(loc)
        if not (i > 0 and loc[i - 1] == "scoring" and p in _SCORING_TAGS)
    )


_SCORING_TAGS = {"value", "recode", "mean", "sum", "threshold", "any_of", "all_of", "derived"}


def _schema_message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field; check its spelling"
    if kind == "union_tag_invalid":
        return f"unknown scoring method; use one of {', '.join(sorted(_SCORING_TAGS))}"
    if kind == "literal_error":
        return f"{error['msg'].lower()}"
    return str(error["msg"])

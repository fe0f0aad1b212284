"""Benchmark tables: every program against its peer group and all programs (private), and a
public list of the peer groups (their criteria and sizes, no value).

For the benchmark survey's latest wave, the programs are partitioned into peer groups
(:mod:`.peers`); each program gets ``programs/<program_id>``: for every indicator of that
survey, for the latest wave and the one before, its own value beside its group's figures and
all programs' figures under the peer rule (:mod:`.disclosure`). The previous wave's figures of
a group are those of the programs meeting the same criteria then; they are withheld when the
group's membership changed by fewer than ``peer_k`` programs (the difference would give those
programs away).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ci_eval.analysis.benchmark.disclosure import (
    PROTECT,
    PeerFigures,
    group_figures,
    rank_band,
    withheld,
)
from ci_eval.analysis.benchmark.page_audit import PublicCells, audit_pages
from ci_eval.analysis.benchmark.peers import PeerGroup, members_in, peer_partition
from ci_eval.analysis.indicators import statistic_of
from ci_eval.errors import AnalysisError
from ci_eval.results.contract import columns
from ci_eval.results.contract import program_table as program_table_name
from ci_eval.results.disclosure import DisclosureRules
from ci_eval.toc.schema import ToCModel

PROGRAM_COLUMNS = columns(program_table_name("P"))  # one declaration for every program
PEER_COLUMNS = columns("benchmark_peers")
NATIONAL = PeerGroup((), ())
"""The 'group' of all programs (its members are every program of the wave)."""


@dataclass(frozen=True)
class Measure:
    """How one indicator is shown: a yes/no count or a number, its range and whether its
    answers are whole numbers (as the peer rule needs them)."""

    indicator: str
    yes_no: bool
    bounds: tuple[float, float]
    integral: bool


def measures(model: ToCModel, survey: str, waves: Mapping[str, pd.DataFrame]) -> list[Measure]:
    """One :class:`Measure` per indicator of ``survey`` present in the programs' data.

    A yes/no indicator (a proportion) ranges over 0-1; a total (a count such as youth served)
    from 0 without an upper bound; a mean over its observed range (a score's scale).
    """
    out = []
    for indicator in model.indicators_for(survey):
        values = [w[indicator.id] for w in waves.values() if indicator.id in w.columns]
        if not values:
            continue
        observed = pd.concat(values).dropna().astype(float)
        statistic = statistic_of(indicator, observed)
        yes_no = statistic == "proportion"
        low = 0.0 if observed.empty or observed.min() >= 0 else float(observed.min())
        high = 1.0 if yes_no else (math.inf if statistic == "total" else float(observed.max()))
        integral = bool(observed.empty or np.allclose(observed, np.round(observed)))
        out.append(Measure(indicator.id, yes_no, (low, high), integral))
    return out


def measures_of_data(programs: pd.DataFrame, indicators: Sequence[str]) -> list[Measure]:
    """:class:`Measure` of indicators known only by their values (no model): yes/no when
    every value is 0 or 1, else a number from 0 (or its least value) without an upper bound.

    >>> measures_of_data(pd.DataFrame({"x": [0.0, 1.0], "y": [2.5, 3.0]}), ["x", "y"])[1]
    Measure(indicator='y', yes_no=False, bounds=(0.0, inf), integral=False)
    """
    out = []
    for name in indicators:
        observed = programs[name].dropna().astype(float)
        yes_no = bool(len(observed)) and bool(observed.isin([0.0, 1.0]).all())
        low = 0.0 if observed.empty or observed.min() >= 0 else float(observed.min())
        integral = bool(observed.empty or np.allclose(observed, np.round(observed)))
        out.append(Measure(name, yes_no, (low, 1.0 if yes_no else math.inf), integral))
    return out


def program_table(
    programs: pd.DataFrame,
    program_id: str,
    indicators: Sequence[str],
    peer_by: Sequence[str],
    rules: DisclosureRules,
    wave: str = "",
) -> tuple[pd.DataFrame, dict[str, int]]:
    """One program's benchmark from one wave's programs (indexed by id, the indicators and
    ``peer_by`` columns), and the sizes of the wave's peer groups.

    >>> p = pd.DataFrame({"x": [1.0, 2, 3, 5, 8, 13], "region": [1] * 6},
    ...                  index=["A", "B", "C", "D", "E", "F"])
    >>> t, sizes = program_table(p, "A", ["x"], ["region"], DisclosureRules())
    >>> t[["scope", "value", "n", "median", "rank_band"]].values.tolist()[0], sizes
    (['group', 1.0, 6, nan, 'bottom'], {'all programs': 6})
    """
    data = programs.copy()
    data.index = data.index.astype(str)
    bench = Benchmark({wave: data}, measures_of_data(data, indicators), peer_by, rules)
    sizes = dict(bench.peers_table().itertuples(index=False, name=None))
    return bench.table(str(program_id)), sizes


def programs_of_wave(data: pd.DataFrame, id_column: str, keep: Sequence[str]) -> pd.DataFrame:
    """One row per program (indexed by id as text), the ``keep`` columns as numbers."""
    if id_column not in data.columns:
        raise AnalysisError(f"benchmark survey: no id column {id_column!r}")
    programs = data.drop_duplicates(id_column).set_index(id_column).sort_index()
    programs.index = programs.index.astype(str)
    present = [c for c in keep if c in programs.columns]
    return programs[present].apply(pd.to_numeric, errors="coerce").astype(float)


class Benchmark:
    """The figures of every group of one study's benchmark survey, computed once and shared by
    the members' tables."""

    def __init__(
        self,
        waves: Mapping[str, pd.DataFrame],
        measures_: Sequence[Measure],
        peer_by: Sequence[str],
        rules: DisclosureRules,
        withheld: Collection[tuple[str, str, str]] = (),
        national: pd.DataFrame | None = None,
    ) -> None:
        self.order = sorted(waves)
        self.latest = self.order[-1]
        self.previous = self.order[-2] if len(self.order) > 1 else None
        self.waves = waves
        self.measures = list(measures_)
        self.rules = rules
        self.withheld = set(withheld)
        self.groups = peer_partition(waves[self.latest], peer_by, rules.min_group)
        self._figures: dict[tuple[str, str, str], PeerFigures] = {}
        self._members: dict[tuple[str, str], tuple[str, ...]] = {}
        self._values: dict[tuple[str, str, str], np.ndarray] = {}
        self.national = _national_rows(national)

    def withhold(self, keys: Collection[tuple[str, str, str]]) -> None:
        """Withhold more ``(wave, peer_group, indicator)`` figures (those an audit found)."""
        self.withheld |= set(keys)
        for key in keys:
            self._figures.pop(key, None)

    def published(self) -> Iterator[tuple[str, str, str, tuple[str, ...], np.ndarray, PeerFigures]]:
        """Every group figure the pages show: ``(wave, peer_group, indicator, member ids,
        their answers, figures)``, each group once (its members share one page)."""
        groups = {g.label: g for g in self.groups.values()}
        for label in sorted(groups):
            group = groups[label]
            for wave in [w for w in (self.latest, self.previous) if w is not None]:
                for measure in self.measures:
                    figures = self.figures(group, wave, measure)
                    if not figures.suppressed:
                        members = self.members(group, wave)
                        values = self.values(group, wave, measure.indicator)
                        yield wave, label, measure.indicator, members, values, figures

    def members(self, group: PeerGroup, wave: str) -> tuple[str, ...]:
        """The group's programs in ``wave`` (the latest wave's members, or those meeting the
        group's criteria in an earlier wave)."""
        key = (group.label, wave)
        if key not in self._members:
            found = (
                group.members
                if wave == self.latest
                else members_in(self.waves[wave], group.criteria)
            )
            self._members[key] = found
        return self._members[key]

    def values(self, group: PeerGroup, wave: str, indicator: str) -> np.ndarray:
        """The answers of the group's programs in ``wave`` (NaN: no answer)."""
        key = (group.label, wave, indicator)
        if key not in self._values:
            self._values[key] = (
                self.waves[wave].loc[list(self.members(group, wave)), indicator].to_numpy(float)
            )
        return self._values[key]

    def figures(self, group: PeerGroup, wave: str, measure: Measure) -> PeerFigures:
        """The group's figures of one indicator in one wave, under the peer rule."""
        key = (wave, group.label, measure.indicator)
        if key not in self._figures:
            self._figures[key] = self._compute(group, wave, measure)
        return self._figures[key]

    def _compute(self, group: PeerGroup, wave: str, measure: Measure) -> PeerFigures:
        members = self.members(group, wave)
        values = self.values(group, wave, measure.indicator)
        got = group_figures(
            values,
            self.rules,
            yes_no=measure.yes_no,
            bounds=measure.bounds,
            integral=measure.integral,
        )
        if wave != self.latest:
            changed = len(set(members) ^ set(self.members(group, self.latest)))
            if 0 < changed < self.rules.peer_k and not got.suppressed:
                reason = f"the group changed by too few programs since {wave} to compare"
                got = withheld(got.n, reason)
        if (wave, group.label, measure.indicator) in self.withheld and not got.suppressed:
            got = withheld(got.n, PROTECT)
        return got

    def table(self, program_id: str) -> pd.DataFrame:
        """The private table of one program (rows: indicator, wave, then group and national)."""
        if program_id not in self.groups:
            raise AnalysisError(
                f"program {program_id!r} is not in the benchmark survey's latest wave; check "
                "the id (ids are as in the organisation survey, e.g. P0001)"
            )
        group = self.groups[program_id]
        rows = []
        for measure in self.measures:
            for wave in [self.latest, self.previous]:
                if wave is None:
                    continue
                for scope, g in (("group", group), ("national", NATIONAL)):
                    rows.append(self._row(program_id, measure, wave, scope, g))
        return pd.DataFrame(rows, columns=PROGRAM_COLUMNS)

    def _row(
        self, program_id: str, measure: Measure, wave: str, scope: str, group: PeerGroup
    ) -> dict[str, object]:
        data = self.waves[wave]
        own = float("nan")
        if program_id in data.index:
            own = float(data.at[program_id, measure.indicator])
        if scope == "national":
            return self._national_row(own, measure, wave)
        got = self.figures(group, wave, measure)
        values = self.values(group, wave, measure.indicator)
        return {
            "indicator": measure.indicator,
            "wave": wave,
            "scope": scope,
            "peer_group": group.label,
            "peer_variables": group.variables,
            "peer_levels": group.levels,
            "kind": "yes_no" if measure.yes_no else "number",
            "value": own,
            "n": got.n,
            "average": got.average,
            "p25": got.p25,
            "median": got.median,
            "p75": got.p75,
            "yes": got.yes,
            "rank_band": "" if measure.yes_no else rank_band(own, values, self.rules),
            # every benchmark suppression protects the programs: confidentiality, ``x``
            "symbol": "x" if got.suppressed else "",
            "suppressed": got.suppressed,
            "reason": got.reason,
        }

    def _national_row(self, own: float, measure: Measure, wave: str) -> dict[str, object]:
        """All programs: the public ``indicators`` table's overall figure (nothing new)."""
        nan = float("nan")
        found = self.national.get((measure.indicator, wave))
        n = int(found["n"]) if found is not None else 0
        hidden = found is None or bool(found["suppressed"])
        average = nan if hidden else float(found["estimate"])
        if not hidden and found["statistic"] == "total":
            average = average / n if n else nan
        yes = round(average * n) if measure.yes_no and not hidden else nan
        return {
            "indicator": measure.indicator,
            "wave": wave,
            "scope": "national",
            "peer_group": NATIONAL.label,
            "peer_variables": [],
            "peer_levels": [],
            "kind": "yes_no" if measure.yes_no else "number",
            "value": own,
            "n": n,
            "average": average,
            "p25": nan,
            "median": nan,
            "p75": nan,
            "yes": float(yes),
            "rank_band": "",
            "symbol": "x" if hidden else "",
            "suppressed": hidden,
            "reason": "" if not hidden else "not published for all programs",
        }

    def peers_table(self) -> pd.DataFrame:
        """``benchmark_peers``: every group of the latest wave and its number of programs."""
        sizes = {g.label: len(g.members) for g in self.groups.values()}
        return pd.DataFrame(sorted(sizes.items()), columns=PEER_COLUMNS)


def _national_rows(indicators: pd.DataFrame | None) -> dict[tuple[str, str], pd.Series]:
    """The overall rows of the public ``indicators`` table by (indicator, wave)."""
    if indicators is None or indicators.empty:
        return {}
    overall = indicators[indicators["domain"] == "overall"]
    return {(str(r["indicator"]), str(r["wave"])): r for _, r in overall.iterrows()}


def benchmark_tables(
    frames: Mapping[tuple[str, str], pd.DataFrame],
    model: ToCModel,
    survey: str,
    id_column: str,
    peer_by: Sequence[str],
    rules: DisclosureRules,
    withheld: Collection[tuple[str, str, str]] = (),
    national: pd.DataFrame | None = None,
    public: Mapping[tuple[str, str], PublicCells] | None = None,
) -> dict[str, pd.DataFrame]:
    """``benchmark_peers`` and one ``programs/<program_id>`` table per program of the latest
    wave. ``withheld`` lists ``(wave, peer_group, indicator)`` figures to withhold; ``public``
    (the public cells by ``(indicator, wave)``, :func:`.page_audit.public_cells`) has every
    group figure audited beside the public tables (:mod:`.page_audit`), and those that would
    bring back a suppressed cell withheld.

    Examples
    --------
    >>> frame = pd.DataFrame({"program_id": [f"P{k}" for k in range(8)],
    ...                       "x": [1.0, 2, 3, 5, 8, 13, 21, 34], "region": [1] * 8})
    >>> model = ToCModel.model_validate({"name": {"en": "M"}, "outcomes": [], "indicators": [
    ...     {"id": "x", "label": {"en": "X"}, "survey": "o", "items": ["q"],
    ...      "scoring": {"method": "value"}}]})
    >>> tables = benchmark_tables({("o", "2024"): frame}, model, "o", "program_id",
    ...                           ["region"], DisclosureRules())
    >>> tables["benchmark_peers"].values.tolist()
    [['all programs', 8]]
    >>> tables["programs/P0"][["scope", "value", "n", "median", "rank_band"]].values.tolist()[0]
    ['group', 1.0, 8, nan, 'bottom']
    """
    bench = benchmark(frames, model, survey, id_column, peer_by, rules, withheld, national)
    if bench is None:
        return {"benchmark_peers": pd.DataFrame(columns=PEER_COLUMNS)}
    if public:
        bench.withhold(audit_pages(bench.published(), public, rules))
    tables = {program_table_name(p): bench.table(p) for p in sorted(bench.groups)}
    return {"benchmark_peers": bench.peers_table(), **tables}


def benchmark(
    frames: Mapping[tuple[str, str], pd.DataFrame],
    model: ToCModel,
    survey: str,
    id_column: str,
    peer_by: Sequence[str],
    rules: DisclosureRules,
    withheld: Collection[tuple[str, str, str]] = (),
    national: pd.DataFrame | None = None,
) -> Benchmark | None:
    """The :class:`Benchmark` of ``survey`` (``None`` when it has no wave)."""
    waves = {w: f for (s, w), f in frames.items() if s == survey}
    if not waves:
        return None
    keep = [i.id for i in model.indicators_for(survey)] + list(peer_by)
    programs = {w: programs_of_wave(f, id_column, keep) for w, f in waves.items()}
    found = measures(model, survey, programs)
    return Benchmark(programs, found, peer_by, rules, withheld, national)

"""Benchmark tables: every program against its peers (private), and a public peer summary.

For the benchmark survey's latest wave, each program gets ``programs/<program_id>``: for every
indicator of that survey its own value, the peer group (:mod:`.peers`, widened per indicator
until enough peers have a value), and the peer quartiles and percentile rank under disclosure
control (:mod:`.disclosure`). ``benchmark_peers`` lists the peer groups used and how many
programs each holds; it names no program and shows no value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ci_eval.analysis.benchmark.disclosure import compare_with_peers
from ci_eval.analysis.benchmark.peers import PeerIndex
from ci_eval.errors import AnalysisError
from ci_eval.results.contract import columns
from ci_eval.results.contract import program_table as program_table_name
from ci_eval.toc.schema import ToCModel

PROGRAM_COLUMNS = columns(program_table_name("P"))  # one declaration for every program
PEER_COLUMNS = columns("benchmark_peers")


def program_table(
    programs: pd.DataFrame,
    program_id: str,
    indicators: Sequence[str],
    peer_by: Sequence[str],
    min_peers: int,
    wave: str = "",
    index: PeerIndex | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """One program's benchmark rows and the sizes of the peer groups they used.

    ``programs`` is indexed by program id with the indicator and ``peer_by`` columns; ``index``
    (built from them) saves time when many programs are benchmarked.

    Examples
    --------
    >>> p = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6], "region": [1] * 6},
    ...                  index=["A", "B", "C", "D", "E", "F"])
    >>> t, _ = program_table(p, "A", ["x"], ["region"], 5)
    >>> t[["value", "peer_group", "peer_n", "median", "percentile_rank"]].values.tolist()
    [[1.0, 'region=1', 5, 4.0, 0.0]]
    """
    if program_id not in programs.index:
        raise AnalysisError(
            f"program {program_id!r} is not in the benchmark survey's latest wave; check the id "
            "(ids are as in the organisation survey, e.g. P0001)"
        )
    index = index or PeerIndex(programs, peer_by)
    position = index.position[str(program_id)]
    rows, groups = [], {}
    for indicator in indicators:
        values = pd.to_numeric(programs[indicator], errors="coerce").to_numpy(float)
        group = index.find(program_id, min_peers, ~np.isnan(values))
        peer_values = values[group.mask]
        own = float(values[position])
        result = compare_with_peers(own, peer_values, min_peers)
        groups[group.label] = group.size
        rows.append(
            {
                "indicator": indicator,
                "wave": str(wave),
                "value": own,
                "peer_group": group.label,
                "peer_n": result.peer_n,
                "p25": result.p25,
                "median": result.median,
                "p75": result.p75,
                "percentile_rank": result.percentile_rank,
                # every benchmark suppression protects the peers: confidentiality, ``x``
                "symbol": "x" if result.suppressed else "",
                "suppressed": result.suppressed,
                "reason": result.reason,
            }
        )
    return pd.DataFrame(rows, columns=PROGRAM_COLUMNS), groups


def benchmark_tables(
    frames: Mapping[tuple[str, str], pd.DataFrame],
    model: ToCModel,
    survey: str,
    id_column: str,
    peer_by: Sequence[str],
    min_peers: int,
) -> dict[str, pd.DataFrame]:
    """``benchmark_peers`` and one ``programs/<program_id>`` table per program (latest wave).

    Examples
    --------
    >>> frame = pd.DataFrame({"program_id": [f"P{k}" for k in range(8)],
    ...                       "x": [1.0, 2, 3, 4, 5, 6, 7, 8], "region": [1] * 8})
    >>> model = ToCModel.model_validate({"name": {"en": "M"}, "outcomes": [], "indicators": [
    ...     {"id": "x", "label": {"en": "X"}, "survey": "o", "items": ["q"],
    ...      "scoring": {"method": "value"}}]})
    >>> tables = benchmark_tables({("o", "2024"): frame}, model, "o", "program_id",
    ...                           ["region"], 5)
    >>> tables["benchmark_peers"].values.tolist(), tables["programs/P0"]["median"].tolist()
    ([['region=1', 8]], [5.0])
    """
    waves = sorted(w for (s, w) in frames if s == survey)
    if not waves:
        return {"benchmark_peers": pd.DataFrame(columns=PEER_COLUMNS)}
    wave = waves[-1]
    data = frames[(survey, wave)]
    if id_column not in data.columns:
        raise AnalysisError(f"benchmark survey {survey!r}: no id column {id_column!r}")
    programs = data.drop_duplicates(id_column).set_index(id_column).sort_index()
    programs.index = programs.index.astype(str)
    indicators = [i.id for i in model.indicators_for(survey) if i.id in programs.columns]
    numeric = programs[indicators].apply(pd.to_numeric, errors="coerce").astype(float)
    programs = pd.concat([numeric, programs[[c for c in peer_by if c in programs.columns]]], axis=1)
    index = PeerIndex(programs, peer_by)
    tables: dict[str, pd.DataFrame] = {}
    sizes: dict[str, int] = {}
    for program_id in programs.index:
        table, groups = program_table(
            programs, program_id, indicators, peer_by, min_peers, wave, index
        )
        tables[program_table_name(program_id)] = table
        sizes.update(groups)
    peers = pd.DataFrame(sorted(sizes.items()), columns=PEER_COLUMNS)
    return {"benchmark_peers": peers, **tables}

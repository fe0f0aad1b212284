"""The partnership network: who works with whom, from the partner survey's roster.

Each respondent says, for every other member ``m``, whether they worked together this year
(``tie_<m>``: 1 yes, 2 no), how (``info_<m>``, ``joint_<m>``, ``data_<m>``, ``fund_<m>``: 1
selected) and rates the relationship as the PARTNER tool does (Varda et al., 2008-): trust is
the mean of ``trust_open_<m>``, ``trust_reliable_<m>`` and ``trust_mission_<m>``, value the mean
of ``value_power_<m>``, ``value_resources_<m>`` and ``value_involve_<m>`` (1-4; a rating needs
two of its three items).

**Rules for the two sides of a tie** (:func:`tie_table`):

- a tie exists when **either** side reports it (a member who did not answer can still be
  tied, by the reports of those who did);
- a type of collaboration counts when either side reports it;
- the tie's trust and value are the mean of the two sides' ratings when both rated it, else
  the one rating given.

**Non-respondents** (:func:`network_metrics`): ties between two members who both did not
answer are never seen, so every metric is computed twice. ``respondents``: the network among
responding members only, where every pair had two chances to be reported (its density is an
unbiased estimate of the whole network's when non-response is unrelated to ties).
``reconstructed``: every member, with every reported tie; its density is over the pairs that
could be seen (at least one respondent) and its degrees, centralisation and isolates count the
non-respondents as observed through others. When the two agree, non-response does not drive
the finding.

**Uncertainty** (:func:`jackknife_metrics`): the respondents are a sample without replacement
of the wave's members (as for the condition scores), so every metric gets a delete-one
jackknife standard error over the respondents with the finite-population correction, and a
normal CI cut to the metric's range; a change between waves adds the two waves' variances.
Each wave's network is on that wave's members (the membership list may differ by wave).

>>> reports = pd.DataFrame({"reporter": ["A", "B", "A"], "partner": ["B", "A", "C"],
...     "info": [True, False, True], "joint": [False, True, False], "data": False,
...     "fund": False, "trust": [3.0, 4.0, float("nan")], "value": [2.0, 3.0, 2.0]})
>>> t = tie_table(reports)
>>> t[["a", "b", "sides", "info", "joint", "trust"]].values.tolist()
[['A', 'B', 2, True, True, 3.5], ['A', 'C', 1, True, False, nan]]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import networkx as nx
import numpy as np
import pandas as pd
from scipy.stats import norm

from ci_eval.analysis.codes import code_sort_key, code_text
from ci_eval.analysis.partnership import wave_members
from ci_eval.results.contract import columns, spec

TIE_TYPES = ("info", "joint", "data", "fund")
"""Ways of working together: shared information, joint activity, shared data, joint funding."""
TRUST_ITEMS = ("trust_open", "trust_reliable", "trust_mission")
VALUE_ITEMS = ("value_power", "value_resources", "value_involve")
MIN_RATINGS = 2
SCOPES = ("respondents", "reconstructed")
METRICS = ("members", "respondents", "ties", "density", "backbone_tied", "cross_sector",
           "centralisation", "isolates", "mean_trust", "mean_value", "confirmed",
           *(f"type_{t}" for t in TIE_TYPES))  # fmt: skip
"""Metrics in table order; ``confirmed``: share of ties among respondents reported by both
sides; ``type_<t>``: share of ties of that type."""
EXACT = ("members", "respondents")
"""Counts known without sampling error (their standard error is 0)."""
RANGES: dict[str, tuple[float, float]] = {
    **{m: (0.0, 1.0) for m in ("density", "backbone_tied", "cross_sector", "centralisation",
                               "confirmed", *(f"type_{t}" for t in TIE_TYPES))},
    "mean_trust": (1.0, 4.0),
    "mean_value": (1.0, 4.0),
}  # fmt: skip
"""The range of each bounded metric (a CI is cut to it); the counts start at 0."""


def roster_columns(member_ids: Sequence[str]) -> set[str]:
    """Every roster column of the members (``tie_<m>``, the types and the ratings): their
    labels name the member organisations.

    >>> sorted(roster_columns(["M1"]))[:3]
    ['data_M1', 'fund_M1', 'info_M1']
    """
    kinds = ("tie", *TIE_TYPES, *TRUST_ITEMS, *VALUE_ITEMS)
    return {f"{kind}_{member}" for member in member_ids for kind in kinds}


def roster_reports(data: pd.DataFrame, id_column: str, member_ids: Sequence[str]) -> pd.DataFrame:
    """One row per tie a respondent reported: ``reporter, partner``, the types (bool) and its
    trust and value ratings (mean of at least :data:`MIN_RATINGS` answered items).

    ``data`` holds the respondents' roster columns with missing codes already missing."""
    rows = []
    for member in member_ids:
        tie = f"tie_{member}"
        if tie not in data.columns:
            continue
        said = data[pd.to_numeric(data[tie], errors="coerce") == 1]
        said = said[said[id_column].astype(str) != member]
        if said.empty:
            continue
        part = pd.DataFrame({"reporter": said[id_column].astype(str).to_numpy(),
                             "partner": member})  # fmt: skip
        for kind in TIE_TYPES:
            col = f"{kind}_{member}"
            values = said[col] if col in said.columns else pd.Series(np.nan, index=said.index)
            part[kind] = (pd.to_numeric(values, errors="coerce") == 1).to_numpy()
        part["trust"] = _rating(said, TRUST_ITEMS, member)
        part["value"] = _rating(said, VALUE_ITEMS, member)
        rows.append(part)
    if not rows:
        return pd.DataFrame(columns=["reporter", "partner", *TIE_TYPES, "trust", "value"])
    return pd.concat(rows, ignore_index=True)


def _rating(said: pd.DataFrame, items: Sequence[str], member: str) -> np.ndarray:
    cols = [f"{i}_{member}" for i in items if f"{i}_{member}" in said.columns]
    if not cols:
        return np.full(len(said), np.nan)
    values = said[cols].apply(pd.to_numeric, errors="coerce")
    enough = values.notna().sum(axis=1) >= min(MIN_RATINGS, len(cols))
    return values.mean(axis=1).where(enough).to_numpy(float)


def tie_table(reports: pd.DataFrame) -> pd.DataFrame:
    """Undirected ties ``a < b`` from the reports of both sides (rules in the module docstring):
    ``a, b, sides`` (1 or 2 reports), the types (either side) and mean ``trust``, ``value``."""
    if reports.empty:
        return pd.DataFrame(columns=["a", "b", "sides", *TIE_TYPES, "trust", "value"])
    r = reports.copy()
    first = r["reporter"] < r["partner"]
    r["a"] = np.where(first, r["reporter"], r["partner"])
    r["b"] = np.where(first, r["partner"], r["reporter"])
    agg = {"sides": ("reporter", "nunique"), **{k: (k, "any") for k in TIE_TYPES},
           "trust": ("trust", "mean"), "value": ("value", "mean")}  # fmt: skip
    return r.groupby(["a", "b"], sort=True).agg(**agg).reset_index()


def network_graph(ties: pd.DataFrame, members: pd.DataFrame, nodes: Sequence[str]) -> nx.Graph:
    """The graph on ``nodes`` (member ids) with the ties among them; node attributes are the
    membership list's columns (``sector``, ``role``), tie attributes the tie table's."""
    keep = set(nodes)
    graph = nx.Graph()
    info = members.drop(columns="wave", errors="ignore").set_index("partner_id")
    attributes = info.to_dict("index")
    for node in sorted(keep):
        graph.add_node(node, **attributes[node])
    inside = ties[ties["a"].isin(keep) & ties["b"].isin(keep)]
    for row in inside.to_dict("records"):
        graph.add_edge(row.pop("a"), row.pop("b"), **row)
    return graph


def degree_centralisation(graph: nx.Graph) -> float:
    """Freeman's degree centralisation: ``sum(max degree - degree) / ((n - 1)(n - 2))``, 1 for
    a star, 0 when every member has the same degree.

    >>> degree_centralisation(nx.star_graph(4)), degree_centralisation(nx.cycle_graph(5))
    (1.0, 0.0)
    """
    n = graph.number_of_nodes()
    if n < 3:
        return float("nan")
    degrees = np.array([d for _, d in graph.degree()])
    return float((degrees.max() - degrees).sum() / ((n - 1) * (n - 2)))


def network_metrics(
    graph: nx.Graph, respondents: Sequence[str], backbone_role: object, sides_known: bool = True
) -> dict[str, float]:
    """The metrics of :data:`METRICS` for one graph (see the module docstring).

    ``respondents`` are the members who answered; density is over the pairs with at least one
    of them; ``backbone_tied`` is the share of the other members tied to a member whose
    ``role`` is ``backbone_role``.
    """
    n = graph.number_of_nodes()
    answered = set(respondents) & set(graph.nodes)
    silent = n - len(answered)
    pairs = n * (n - 1) / 2 - silent * (silent - 1) / 2
    ties = graph.number_of_edges()
    backbone = {v for v, r in graph.nodes(data="role") if code_text(r) == code_text(backbone_role)}
    others = [v for v in graph.nodes if v not in backbone]
    tied = [any(graph.has_edge(v, b) for b in backbone) for v in others]
    edges = list(graph.edges(data=True))
    sector = dict(graph.nodes(data="sector"))
    among = [d for u, v, d in edges if u in answered and v in answered]
    out = {
        "members": float(n),
        "respondents": float(len(answered)),
        "ties": float(ties),
        "density": ties / pairs if pairs else float("nan"),
        "backbone_tied": float(np.mean(tied)) if backbone and others else float("nan"),
        "cross_sector": _share([sector[u] != sector[v] for u, v, _ in edges]),
        "centralisation": degree_centralisation(graph),
        "isolates": float(nx.number_of_isolates(graph)),
        "mean_trust": _mean([d.get("trust") for _, _, d in edges]),
        "mean_value": _mean([d.get("value") for _, _, d in edges]),
        "confirmed": _share([d.get("sides") == 2 for d in among]),
    }
    for kind in TIE_TYPES:
        out[f"type_{kind}"] = _share([bool(d.get(kind)) for _, _, d in edges])
    return out


def _share(flags: list[bool]) -> float:
    return float(np.mean(flags)) if flags else float("nan")


def _mean(values: list) -> float:
    arr = np.array([v for v in values if v is not None], dtype=float)
    arr = arr[np.isfinite(arr)]
    return float(arr.mean()) if len(arr) else float("nan")


def network_tables(
    frames: Mapping[str, pd.DataFrame],
    members: pd.DataFrame,
    id_column: str,
    baseline_wave: str,
    backbone_role: object,
    survey: str = "partners",
    conf_level: float = 0.95,
    names: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(partnership_network, partnership_sector_ties, partnership_members)`` from each
    wave's respondents, each wave's network on that wave's members
    (:func:`~ci_eval.analysis.partnership.wave_members`) and each metric with its jackknife CI
    (:func:`jackknife_metrics`). ``partnership_members`` (:func:`member_ties`) is empty unless
    ``names`` (member id to the name the report may show) is given."""
    z = float(norm.ppf(0.5 + conf_level / 2))
    metrics, sectors, named = [], [], []
    for wave, data in sorted(frames.items()):
        members_now = wave_members(members, wave)
        ids = members_now["partner_id"].astype(str).tolist()
        respondents = data[id_column].astype(str).tolist()
        reports = roster_reports(data, id_column, ids)
        values = wave_metrics(reports, members_now, respondents, backbone_role)
        ses = jackknife_metrics(reports, members_now, respondents, backbone_role)
        for scope in SCOPES:
            for metric, value in values[scope].items():
                se = ses[scope][metric]
                low, high = _bounded(metric, value - z * se, value + z * se)
                metrics.append([survey, scope, metric, str(wave), value, se, low, high])
        graph = network_graph(tie_table(reports), members_now, ids)
        sectors.append(sector_ties(graph, survey, str(wave)))
        if names is not None:
            named.append(member_ties(graph, respondents, names, survey, str(wave)))
    table = pd.DataFrame(metrics, columns=["survey", "scope", "metric", "wave", "value", "se",
                                           "ci_low", "ci_high"])  # fmt: skip
    members_table = (
        pd.concat(named, ignore_index=True) if named else spec("partnership_members").empty()
    )
    network = _with_change(table, str(baseline_wave), z)
    return network, pd.concat(sectors, ignore_index=True), members_table


def wave_metrics(
    reports: pd.DataFrame, members: pd.DataFrame, respondents: Sequence[str], backbone_role: object
) -> dict[str, dict[str, float]]:
    """The metrics of both :data:`SCOPES` from one wave's roster reports."""
    ties = tie_table(reports)
    ids = members["partner_id"].astype(str).tolist()
    out = {}
    for scope in SCOPES:
        graph = network_graph(ties, members, respondents if scope == "respondents" else ids)
        out[scope] = network_metrics(graph, respondents, backbone_role)
    return out


def jackknife_metrics(
    reports: pd.DataFrame, members: pd.DataFrame, respondents: Sequence[str], backbone_role: object
) -> dict[str, dict[str, float]]:
    """The standard error of every metric: a delete-one jackknife over the respondents with
    the finite-population correction of the membership (as the condition scores' census).

    Replicate ``i`` treats respondent ``i`` as a non-respondent (its reports are dropped, its
    ties still seen when the other side reported them) and recomputes every metric; then
    ``se^2 = (1 - n/N) (n - 1)/n sum_i (theta_(i) - mean theta)^2`` over the ``n`` replicates
    where the metric is defined (node-deletion jackknife, Snijders & Borgatti 1999,
    *Connections* 22; the fpc with ``N`` members: 0 when every member answered). The counts of
    :data:`EXACT` are known and get 0.
    """
    n, total = len(respondents), len(members)
    replicates: dict[str, dict[str, list[float]]] = {s: {m: [] for m in METRICS} for s in SCOPES}
    for dropped in respondents:
        kept = [r for r in respondents if r != dropped]
        got = wave_metrics(reports[reports["reporter"] != dropped], members, kept, backbone_role)
        for scope in SCOPES:
            for metric in METRICS:
                replicates[scope][metric].append(got[scope][metric])
    fpc = 1.0 - n / total if total else 0.0
    return {
        scope: {m: 0.0 if m in EXACT else _jackknife_se(replicates[scope][m], fpc) for m in METRICS}
        for scope in SCOPES
    }


def _jackknife_se(replicates: list[float], fpc: float) -> float:
    """``sqrt(fpc (k - 1)/k sum (theta_i - mean)^2)`` over the ``k`` finite replicates.

    >>> round(_jackknife_se([1.0, 2.0, 3.0, float("nan")], 0.75), 6)  # 0.75 * 2/3 * 2
    1.0
    """
    values = np.array(replicates, dtype=float)
    values = values[np.isfinite(values)]
    k = len(values)
    if k < 2:
        return float("nan")
    return math.sqrt(fpc * (k - 1) / k * float(((values - values.mean()) ** 2).sum()))


def _bounded(metric: str, low: float, high: float) -> tuple[float, float]:
    """A CI within the metric's range: shares in 0-1, counts from 0, ratings in 1-4."""
    lower, upper = RANGES.get(metric, (0.0, math.inf))
    return max(low, lower), min(high, upper)


def _with_change(table: pd.DataFrame, baseline_wave: str, z: float) -> pd.DataFrame:
    """The baseline value and the change of every metric, with its CI: the waves' jackknife
    variances added (independent waves, as the condition trends)."""
    base = table[table["wave"] == baseline_wave][["scope", "metric", "value", "se"]]
    base = base.rename(columns={"value": "baseline", "se": "baseline_se"})
    out = table.merge(base, on=["scope", "metric"], how="left", sort=False)
    out["baseline_wave"] = baseline_wave if len(base) else ""
    out["change"] = out["value"] - out["baseline"]
    change_se = np.sqrt(out["se"] ** 2 + out["baseline_se"] ** 2)
    at_base = out["wave"] == baseline_wave
    out["change_ci_low"] = (out["change"] - z * change_se).mask(at_base)
    out["change_ci_high"] = (out["change"] + z * change_se).mask(at_base)
    rank = {
        "scope": {v: k for k, v in enumerate(SCOPES)},
        "metric": {v: k for k, v in enumerate(METRICS)},
    }
    out = out.sort_values(
        ["scope", "wave", "metric"], key=lambda c: c.map(rank[c.name]) if c.name in rank else c
    )
    return out[columns("partnership_network")].reset_index(drop=True)


def member_ties(
    graph: nx.Graph, respondents: Sequence[str], names: Mapping[str, str], survey: str, wave: str
) -> pd.DataFrame:
    """The ``partnership_members`` rows of one wave: each member (by its name in ``names``,
    else its id) with its sector, role, whether it answered, its ties and those across
    sectors, most ties first. Written only when the study allows partner names.

    >>> g = nx.Graph([("A", "B"), ("B", "C")])
    >>> nx.set_node_attributes(g, {"A": 1, "B": 1, "C": 2}, "sector")
    >>> nx.set_node_attributes(g, 3, "role")
    >>> t = member_ties(g, ["B"], {"B": "Big Sisters"}, "s", "1")
    >>> t[["partner", "responded", "ties", "cross_sector_ties"]].values.tolist()
    [['Big Sisters', True, 2, 1], ['A', False, 1, 0], ['C', False, 1, 1]]
    """
    answered = set(respondents)
    rows = []
    for node, data in graph.nodes(data=True):
        cross = sum(1 for other in graph[node] if graph.nodes[other]["sector"] != data["sector"])
        name = str(names.get(node) or node)
        rows.append([survey, wave, name, code_text(data["sector"]), code_text(data["role"]),
                     node in answered, graph.degree(node), cross])  # fmt: skip
    table = pd.DataFrame(rows, columns=columns("partnership_members"))
    table = table.sort_values(["ties", "partner"], ascending=[False, True], kind="stable")
    return table.reset_index(drop=True)


def sector_ties(graph: nx.Graph, survey: str, wave: str) -> pd.DataFrame:
    """Ties within and between sectors (the network drawn by sector, no organisation named).

    >>> g = nx.Graph([("A", "B"), ("B", "C")])
    >>> nx.set_node_attributes(g, {"A": 1, "B": 1, "C": 2}, "sector")
    >>> sector_ties(g, "s", "1")[["sector_a", "sector_b", "ties", "density"]].values.tolist()
    [['1', '1', 1, 1.0], ['1', '2', 1, 0.5], ['2', '2', 0, nan]]
    """
    sector = {v: code_text(s) for v, s in graph.nodes(data="sector")}
    codes = sorted(set(sector.values()), key=code_sort_key)
    size = {c: sum(1 for s in sector.values() if s == c) for c in codes}
    counts: dict[tuple[str, str], int] = {}
    for u, v in graph.edges:
        a, b = sorted((sector[u], sector[v]), key=code_sort_key)
        counts[(a, b)] = counts.get((a, b), 0) + 1
    rows = []
    for i, a in enumerate(codes):
        for b in codes[i:]:
            pairs = size[a] * (size[a] - 1) / 2 if a == b else size[a] * size[b]
            ties = counts.get((a, b), 0)
            rows.append([survey, wave, a, b, size[a], size[b], ties,
                         ties / pairs if pairs else float("nan")])  # fmt: skip
    return pd.DataFrame(rows, columns=columns("partnership_sector_ties"))

"""Compare two results stores table by table: ``python tests/compare_stores.py OLD NEW``.

Every table of ``OLD`` is looked up in ``NEW`` (public ``index.json`` and, when present,
``private/index.json``; a store made before the results contract kept the private tables under
``tables/programs/``). A table is *identical* when its CSV and Parquet bytes are the same.

Tables whose columns the results contract restructured are *equivalent* when the old CSV is
rebuilt, byte for byte, from the new table (so every other column is identical and the new
columns carry all the old information) and the new columns are in turn computed from the old
ones (so they carry nothing else):

- ``indicators``: a ``symbol`` column was added (``F`` where the CV flag is F, ``x`` for any other
  suppressed row, else the flag ``E`` or nothing);
- ``contributions``: ``contrast`` (``"1 vs 0"``) became ``high`` and ``low``;
- ``weighting_margins``: ``margin`` (``"a x b"``) and ``level`` (``"1:2"``) became the lists
  ``variables`` and ``levels``;
- ``toc_outcomes``: ``leads_to`` joined by commas became a list;
- ``programs/<id>``: a ``symbol`` column was added (``x`` where suppressed).

Exit status 0 when every table is identical or equivalent, 1 otherwise.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ci_eval.results.contract import is_private


def entries(root: Path) -> dict[str, Path]:
    """``{table name: CSV path}`` of a store, public and private."""
    found = {}
    for base in (root, root / "private"):
        index = base / "index.json"
        if index.exists():
            tables = json.loads(index.read_text(encoding="utf-8"))["tables"]
            found.update({name: base / e["csv"] for name, e in tables.items()})
    return found


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _old_indicators(new: pd.DataFrame, old: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    rebuilt = new.drop(columns=["symbol"])
    derived = ["F" if f == "F" else ("x" if s else f) for f, s in zip(old["flag"].fillna(""),
               old["suppressed"], strict=True)]  # fmt: skip
    return rebuilt, derived == new["symbol"].tolist()


def _old_contributions(new: pd.DataFrame, old: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    rebuilt = new.copy()
    at = list(new.columns).index("high")
    pairs = zip(new["high"].fillna(""), new["low"].fillna(""), strict=True)
    rebuilt.insert(at, "contrast", [f"{h} vs {lo}" if h or lo else "" for h, lo in pairs])
    rebuilt = rebuilt.drop(columns=["high", "low"])
    parts = [str(c).split(" vs ") if isinstance(c, str) else ["", ""] for c in old["contrast"]]
    same = [p[0] for p in parts] == new["high"].fillna("").tolist() and [
        p[-1] for p in parts
    ] == new["low"].fillna("").tolist()
    return rebuilt, same


def _old_margins(new: pd.DataFrame, old: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    rebuilt = new.copy()
    rebuilt.insert(2, "margin", [" x ".join(v) for v in new["variables"]])
    rebuilt.insert(3, "level", [":".join(v) for v in new["levels"]])
    rebuilt = rebuilt.drop(columns=["variables", "levels"])
    same = [m.split(" x ") for m in old["margin"]] == [list(v) for v in new["variables"]] and [
        str(lv).split(":") for lv in old["level"]
    ] == [list(v) for v in new["levels"]]
    return rebuilt, same


def _old_toc(new: pd.DataFrame, old: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    rebuilt = new.assign(leads_to=[",".join(v) for v in new["leads_to"]])
    links = [
        [t for t in str(v).split(",") if t] if isinstance(v, str) else [] for v in old["leads_to"]
    ]
    return rebuilt, links == [list(v) for v in new["leads_to"]]


def _old_program(new: pd.DataFrame, old: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    derived = ["x" if s else "" for s in old["suppressed"]]
    return new.drop(columns=["symbol"]), derived == new["symbol"].fillna("").tolist()


RESTRUCTURED: dict[str, Callable[[pd.DataFrame, pd.DataFrame], tuple[pd.DataFrame, bool]]] = {
    "indicators": _old_indicators,
    "contributions": _old_contributions,
    "weighting_margins": _old_margins,
    "toc_outcomes": _old_toc,
}


def _rule(name: str):
    return _old_program if is_private(name) else RESTRUCTURED.get(name)


def compare(old_root: Path, new_root: Path) -> dict[str, list[str]]:
    """``{"identical", "equivalent", "different", "missing", "extra"}`` lists of table names."""
    old, new = entries(old_root), entries(new_root)
    out: dict[str, list[str]] = {k: [] for k in ("identical", "equivalent", "different")}
    out["missing"] = sorted(set(old) - set(new))
    out["extra"] = sorted(set(new) - set(old))
    for name in sorted(set(old) & set(new)):
        o, n = old[name], new[name]
        if o.read_bytes() == n.read_bytes() and (
            o.with_suffix(".parquet").read_bytes() == n.with_suffix(".parquet").read_bytes()
        ):
            out["identical"].append(name)
            continue
        rule = _rule(name)
        if rule is not None:
            new_frame = pd.read_parquet(n.with_suffix(".parquet"))
            old_frame = pd.read_parquet(o.with_suffix(".parquet"))
            rebuilt, carried = rule(new_frame, old_frame)
            if carried and _csv(rebuilt) == o.read_bytes():
                out["equivalent"].append(name)
                continue
        out["different"].append(name)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.splitlines()[0])
        return 2
    result = compare(Path(argv[0]), Path(argv[1]))
    for key, names in result.items():
        shown = names if key != "identical" and len(names) < 20 else [*names[:5], "..."]
        print(f"{key}: {len(names)}" + (f"  {', '.join(shown)}" if names else ""))
    return 0 if not (result["different"] or result["missing"] or result["extra"]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

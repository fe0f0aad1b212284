"""The contract between analysis and report, and the store that keeps it.

- :mod:`~ci_eval.results.contract`: one declaration per table (typed columns, description,
  public or private, producing module);
- :mod:`~ci_eval.results.store`: :class:`ResultsStore`, public ``tables/`` and ``private/`` apart;
- :mod:`~ci_eval.results.manifest`: ``manifest.json``, what an edition was built from;
- :mod:`~ci_eval.results.disclosure`: the disclosure rules and their defaults.

>>> from ci_eval.results import ResultsStore, TABLES, PRIVATE_PREFIX
>>> PRIVATE_PREFIX, "indicators" in TABLES
('programs/', True)
"""

from ci_eval.results.contract import (
    LANGUAGES,
    PRIVATE_PREFIX,
    TABLES,
    TableSpec,
    columns,
    is_private,
    spec,
)
from ci_eval.results.disclosure import DEFAULT_RULES, DisclosureRules
from ci_eval.results.store import ResultsStore, WriteSummary, csv_bytes, parquet_bytes

__all__ = [
    "DEFAULT_RULES",
    "LANGUAGES",
    "PRIVATE_PREFIX",
    "TABLES",
    "DisclosureRules",
    "ResultsStore",
    "TableSpec",
    "WriteSummary",
    "columns",
    "csv_bytes",
    "is_private",
    "parquet_bytes",
    "spec",
]

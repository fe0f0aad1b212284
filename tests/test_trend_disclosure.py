"""The published trend tables cannot give back a suppressed cell (issue 13).

A change is the later estimate less the baseline: were it published beside one of the two
cells while the other is suppressed, the suppressed one would be that cell plus or minus the
change (and its interval would bound it). Played on the demo's tables: every trend row whose
baseline or latest cell the ``indicators`` table suppresses shows no number at all, and every
number a trend row shows is the published cell's (nothing new to add and subtract).
"""

from __future__ import annotations

import numpy as np
import pytest

from ci_eval.results import ResultsStore

pytestmark = pytest.mark.slow
NUMBERS = ["baseline", "estimate", "change", "se", "ci_low", "ci_high", "p_value", "q_value"]


def test_no_trend_row_gives_back_a_suppressed_cell(demo_built):
    store = ResultsStore(demo_built / "reports/2024")
    cells = store.read("indicators").set_index(["indicator", "domain", "domain_value", "wave"])
    trends = store.read("trends")
    checked = leaked = 0
    for row in trends.to_dict("records"):
        key = (row["indicator"], row["domain"], row["domain_value"])
        before, after = cells.loc[(*key, row["baseline_wave"])], cells.loc[(*key, row["wave"])]
        if before["suppressed"] or after["suppressed"]:
            checked += 1
            shown = [c for c in NUMBERS if not np.isnan(row[c])]
            leaked += bool(shown)
            assert not shown and row["suppressed"], (key, shown)
        else:
            for column, cell in (("baseline", before), ("estimate", after)):
                if not np.isnan(row[column]):
                    assert row[column] == pytest.approx(cell["estimate"], rel=1e-12), key
    assert checked > 0 and leaked == 0  # the demo has suppressed cells in trends' domains

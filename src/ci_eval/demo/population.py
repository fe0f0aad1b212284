"""Population targets of the demo study: Canadians aged 18-30 by province, age band and gender.

The numbers approximate Statistics Canada, Table 17-10-0005-01, *Population
estimates on July 1, by age and gender* (https://doi.org/10.25318/1710000501-eng),
for July 1 2021 and July 1 2024, rounded. They were written from general
knowledge of that table for a demonstration, not downloaded: use the table
itself for real work. The cross-classification assumes the age-by-gender split
is the same in every province (the table publishes each margin; the demo needs a
consistent cross), so any raking margin is a sum of ``population.csv`` rows.

Gender follows Statistics Canada's two-category convention for population
estimates, *Men+* and *Women+* (non-binary people are distributed between them);
the survey's own ``gender`` question has more categories, and ``gender_plus`` is
its weighting counterpart.

>>> cells = population_cells("2024")
>>> int(cells["population"].sum()) == TOTAL_18_30["2024"]
True
>>> sorted(cells.columns)
['age_band', 'gender_plus', 'population', 'province', 'wave']
"""

from __future__ import annotations

import pandas as pd

PROVINCES: dict[int, tuple[str, str, int]] = {
    # SGC code: (abbreviation, name, region code)
    10: ("NL", "Newfoundland and Labrador", 1),
    11: ("PE", "Prince Edward Island", 1),
    12: ("NS", "Nova Scotia", 1),
    13: ("NB", "New Brunswick", 1),
    24: ("QC", "Quebec", 2),
    35: ("ON", "Ontario", 3),
    46: ("MB", "Manitoba", 4),
    47: ("SK", "Saskatchewan", 4),
    48: ("AB", "Alberta", 4),
    59: ("BC", "British Columbia", 5),
    60: ("YT", "Yukon", 6),
    61: ("NT", "Northwest Territories", 6),
    62: ("NU", "Nunavut", 6),
}
"""Provinces and territories by Standard Geographical Classification code."""

REGIONS: dict[int, tuple[str, str]] = {
    1: ("Atlantic", "Atlantique"),
    2: ("Quebec", "Québec"),
    3: ("Ontario", "Ontario"),
    4: ("Prairies", "Prairies"),
    5: ("British Columbia", "Colombie-Britannique"),
    6: ("Territories", "Territoires"),
}

AGE_BANDS: dict[int, tuple[str, int, int]] = {
    1: ("18-21", 18, 21),
    2: ("22-25", 22, 25),
    3: ("26-30", 26, 30),
}

TOTAL_18_30 = {"2021": 6_480_000, "2024": 7_380_000}
"""Canadians aged 18 to 30 on July 1 (approximate)."""

_PROVINCE_SHARE = {
    # share (%) of Canadians aged 18-30 living in each province/territory
    "2021": {10: 1.22, 11: 0.40, 12: 2.45, 13: 1.85, 24: 21.2, 35: 39.4, 46: 3.55, 47: 2.95,
             48: 11.9, 59: 14.0, 60: 0.12, 61: 0.13, 62: 0.14},
    "2024": {10: 1.15, 11: 0.42, 12: 2.50, 13: 1.90, 24: 20.6, 35: 40.1, 46: 3.50, 47: 2.85,
             48: 12.2, 59: 14.1, 60: 0.12, 61: 0.12, 62: 0.13},
}  # fmt: skip

_AGE_SHARE = {"2021": {1: 0.287, 2: 0.303, 3: 0.410}, "2024": {1: 0.286, 2: 0.315, 3: 0.399}}
_MEN_SHARE = {"2021": {1: 0.512, 2: 0.512, 3: 0.508}, "2024": {1: 0.515, 2: 0.521, 3: 0.516}}


def population_cells(wave: str) -> pd.DataFrame:
    """Population by province x age band x gender (``1`` Women+, ``2`` Men+) for one wave.

    Cells are rounded to the nearest 10; the last cell absorbs the rounding so the
    cells add up to :data:`TOTAL_18_30`.
    """
    total = TOTAL_18_30[wave]
    provinces = _PROVINCE_SHARE[wave]
    scale = sum(provinces.values())
    rows = []
    for province, share in provinces.items():
        for band, band_share in _AGE_SHARE[wave].items():
            men = _MEN_SHARE[wave][band]
            for gender, gender_share in ((1, 1.0 - men), (2, men)):
                cell = total * share / scale * band_share * gender_share
                rows.append((wave, province, band, gender, int(round(cell, -1))))
    cells = pd.DataFrame(
        rows, columns=["wave", "province", "age_band", "gender_plus", "population"]
    )
    cells.loc[cells.index[-1], "population"] += total - int(cells["population"].sum())
    return cells


def population_table(waves: tuple[str, ...] = ("2021", "2024")) -> pd.DataFrame:
    """The demo's ``population.csv``: cells of every wave, one row per cell."""
    return pd.concat([population_cells(w) for w in waves], ignore_index=True)

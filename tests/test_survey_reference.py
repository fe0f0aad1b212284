"""ci_eval's statistics core against R ``survey``: every case in tests/reference/expected/.

The numbers are R's (see tests/reference/README.md for the R and package versions and how to
regenerate them). Each case states its tolerance, relative (absolute where R's value is 0): 1e-8 for
closed-form estimators, looser only where R iterates (raking) and says so in the case's note.
"""

from __future__ import annotations

import pytest

from reference_runner import NotBuiltYetError, compare, load_cases, run_case

CASES = load_cases()


def test_reference_cases_are_present() -> None:
    assert len(CASES) >= 37
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique across files"


@pytest.mark.parametrize("case", CASES, ids=[f"{c.file}:{c.id}" for c in CASES])
def test_agrees_with_r_survey(case) -> None:
    try:
        design, result = run_case(case)
    except NotBuiltYetError as exc:
        pytest.skip(f"{case.id}: {exc}")
    problems = compare(case, design, result)
    assert not problems, f"{case.id} ({case.spec['r']}):\n  " + "\n  ".join(problems)

"""Plant response-quality problems in the demo youth survey, so the quality stage has work.

Each problem row is *extra* (careless or ineligible respondents on top of the clean
sample), except ``out_of_range``, which mistypes the number of mentors of a few
clean respondents. The kinds and counts are in :data:`ci_eval.demo.youth.PROBLEMS`.

>>> import numpy as np, pandas as pd
>>> answers = pd.DataFrame({"belong_1": [4, 2], "duration_seconds": [800.0, 900.0]})
>>> lined = straightline(np.random.default_rng(0), answers.copy(), ["belong_1"])
>>> bool(lined["belong_1"].between(1, 5).all())
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ci_eval.demo.youth import CORE_ITEMS, GRIDS, PROBLEMS, sample_respondents, to_answers


def careless(rng: np.random.Generator, answers: pd.DataFrame) -> pd.DataFrame:
    """Random answers to every grid item (uniform 1-5), as a careless respondent gives."""
    for items in GRIDS.values():
        for item in items:
            asked = answers[item].notna()
            answers.loc[asked, item] = rng.integers(1, 6, int(asked.sum()))
    return answers


def straightline(rng: np.random.Generator, answers: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """The same answer to every item of every grid, one value per respondent."""
    value = rng.integers(1, 6, len(answers))
    for item in items:
        asked = answers[item].notna()
        answers.loc[asked, item] = value[asked.to_numpy()]
    return answers


def youth_wave(rng: np.random.Generator, wave: str) -> tuple[pd.DataFrame, pd.Series]:
    """All rows of one youth wave (clean + planted problems), shuffled, with ids and weights.

    Returns the answers and, per row, which problem was planted (``""`` if none),
    which the generator keeps only for its own checks (it is not written to the data).
    """
    people, stratum_sizes = sample_respondents(rng, wave)
    clean = to_answers(rng, people, wave)
    parts, kinds = [clean], [pd.Series("", index=clean.index)]

    pool, _ = sample_respondents(rng, wave)
    pool = pool.iloc[rng.permutation(len(pool))].reset_index(drop=True)
    taken = 0

    def extra(kind: str) -> pd.DataFrame:
        nonlocal taken
        rows = to_answers(rng, pool.iloc[taken : taken + PROBLEMS[kind]], wave)
        taken += PROBLEMS[kind]
        return rows.reset_index(drop=True)

    ineligible = extra("ineligible")
    ineligible["age"] = rng.choice([16, 17, 31, 32], len(ineligible))
    ineligible["age_band"] = np.nan
    speeders = careless(rng, extra("speeder"))
    speeders["duration_seconds"] = np.rint(
        np.median(clean["duration_seconds"]) * rng.uniform(0.1, 0.25, len(speeders))
    )
    liners = straightline(rng, extra("straightliner"), [i for g in GRIDS.values() for i in g])
    inattentive = careless(rng, extra("attention"))
    inattentive["attention_check"] = rng.choice([1, 3, 4, 5], len(inattentive))
    incomplete = extra("incomplete")
    stops = rng.integers(2, int(0.6 * len(CORE_ITEMS)), len(incomplete))
    after_stop = np.arange(len(CORE_ITEMS))[None, :] >= stops[:, None]
    incomplete[CORE_ITEMS] = incomplete[CORE_ITEMS].astype("float64").mask(after_stop)
    duplicates = clean.iloc[rng.choice(len(clean), PROBLEMS["duplicate"], replace=False)].copy()
    duplicates["duration_seconds"] = np.rint(duplicates["duration_seconds"] * 1.1)
    mentored = np.flatnonzero(clean["num_mentors"].notna().to_numpy())
    typo = rng.choice(mentored, PROBLEMS["out_of_range"], replace=False)
    clean.loc[clean.index[typo], "num_mentors"] = rng.choice([40, 50, 65, 77], len(typo))
    kinds[0].iloc[typo] = "out_of_range"
    for kind, frame in (("ineligible", ineligible), ("speeder", speeders),
                        ("straightliner", liners), ("attention", inattentive),
                        ("incomplete", incomplete), ("duplicate", duplicates)):  # fmt: skip
        parts.append(frame)
        kinds.append(pd.Series(kind, index=frame.index))
    answers = pd.concat(parts, ignore_index=True)
    planted = pd.concat(kinds, ignore_index=True)
    order = rng.permutation(len(answers))
    answers, planted = answers.iloc[order].reset_index(drop=True), planted.iloc[order]
    answers.insert(0, "respondent_id", [f"R{wave[2:]}{i + 1:05d}" for i in range(len(answers))])
    counts = answers["province"].value_counts()
    weights = answers["province"].map(lambda p: stratum_sizes[p] / counts[p])
    answers.insert(answers.columns.get_loc("region") + 1, "design_weight", weights.round(4))
    return answers, planted.reset_index(drop=True)

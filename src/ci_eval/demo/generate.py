"""Write the bundled demo study: settings, model, codebooks, data, population and truth.

``generate_study(folder, seed)`` writes the same bytes for the same seed (the
``.sav`` header's clock stamp is fixed, see :mod:`ci_eval.demo.savfile`), so the
demo committed at the repository root can be checked by regenerating it.

Random streams: each part draws from ``numpy.random.default_rng([seed, k])`` with
its own ``k`` (youth waves 1-2, truth 11-12, programs 21-23, partners 31-33), so changing one part
does not shift the others; the equity items draw from child streams of those
(``Generator.spawn``, which leaves the parent's numbers as they were).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ci_eval.demo import equity, organisations, partners
from ci_eval.demo.codebooks import codebook_dict, organisation_variables, youth_variables
from ci_eval.demo.organisations import organisation_answers, program_universe
from ci_eval.demo.partner_codebook import partner_variables
from ci_eval.demo.population import population_table
from ci_eval.demo.problems import youth_wave
from ci_eval.demo.savfile import write_sav
from ci_eval.demo.youth import EFFECTS, INCOME_BY_REGION, PROBLEMS, SAMPLE_SIZE, true_effects

WAVES = ("2021", "2024")
DEFAULT_SEED = 2024
TEMPLATES = ("ci-eval.toml", "models/mentoring.yaml", "surveys/README.md")


def generate_study(folder: str | Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the demo study into ``folder``; return the files written, in order.

    Examples
    --------
    >>> import tempfile
    >>> files = generate_study(tempfile.mkdtemp(), seed=7)  # doctest: +SKIP
    """
    folder = Path(folder)
    written = [_copy_template(folder, name, seed) for name in TEMPLATES]
    youth, organisations = youth_variables(), organisation_variables()
    written.append(
        _write_yaml(folder / "surveys/youth/codebook.yaml", codebook_dict("youth", youth))
    )
    written.append(
        _write_yaml(
            folder / "surveys/organisations/codebook.yaml",
            codebook_dict("organisations", organisations),
        )
    )
    population = folder / "surveys/youth/population.csv"
    population_table(WAVES).to_csv(population, index=False, lineterminator="\n")
    written.append(population)
    universe = program_universe(np.random.default_rng([seed, 21]))
    for k, wave in enumerate(WAVES):
        answers, _ = youth_wave(np.random.default_rng([seed, 1 + k]), wave)
        path = folder / f"surveys/youth/data/youth_{wave}.sav"
        written.append(_write_survey(path, answers, youth, wave))
        programs = organisation_answers(np.random.default_rng([seed, 22 + k]), universe, wave)
        path = folder / f"surveys/organisations/data/organisations_{wave}.sav"
        written.append(_write_survey(path, programs, organisations, wave))
    partner_truth = _write_partners(folder, seed, written)
    truth = {
        wave: true_effects(np.random.default_rng([seed, 11 + k]), wave)
        for k, wave in enumerate(WAVES)
    }
    written.append(
        _write_yaml(folder / "surveys/demo_truth.yaml", _truth_document(seed, truth, partner_truth))
    )
    return written


def _write_partners(folder: Path, seed: int, written: list[Path]) -> dict[str, Any]:
    """The partner survey: membership list, codebook and both waves; returns its truth."""
    members = partners.member_universe(np.random.default_rng([seed, 31]))
    path = folder / "surveys/partners/members.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    partners.members_table(members).to_csv(path, index=False, lineterminator="\n")
    written.append(path)
    variables = partner_variables(members["partner_id"].tolist())
    codebook = codebook_dict("partners", variables)
    written.append(_write_yaml(folder / "surveys/partners/codebook.yaml", codebook))
    items = {}
    for k, wave in enumerate(WAVES):
        answers, items[wave] = partners.partner_answers(
            np.random.default_rng([seed, 32 + k]), members, wave
        )
        path = folder / f"surveys/partners/data/partners_{wave}.sav"
        written.append(_write_survey(path, answers, variables, wave))
    return partners.partner_truth(members, items)


def _copy_template(folder: Path, name: str, seed: int) -> Path:
    text = resources.files("ci_eval.demo").joinpath(f"study/{name}").read_text(encoding="utf-8")
    if name == "ci-eval.toml":
        text = re.sub(r"(?m)^seed = \d+$", f"seed = {seed}", text)
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _write_yaml(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(text, encoding="utf-8")
    return path


def _write_survey(
    path: Path, answers: pd.DataFrame, variables: list[dict[str, Any]], wave: str
) -> Path:
    """Write one wave as ``.sav`` in codebook order, in that wave's raw names and codes."""
    frame = answers[[v["name"] for v in variables]].copy()
    labels, values, missing, measure = {}, {}, {}, {}
    for var in variables:
        name, mapping = var["name"], var.get("waves", {}).get(wave)
        codes = {c: lab["en"] for c, lab in var.get("value_labels", {}).items()}
        if mapping is not None:
            back = {new: old for old, new in mapping["recode"].items()}
            frame[name] = frame[name].map(lambda x, b=back: b.get(x, x))
            codes = {back.get(c, c): text for c, text in codes.items()}
            frame = frame.rename(columns={name: mapping["name"]})
            name = mapping["name"]
        labels[name] = var["label"]["en"]
        measure[name] = var.get("measure", "nominal")
        if codes and all(isinstance(c, int | float) for c in codes):
            values[name] = {float(c): text for c, text in codes.items()}
        if var.get("missing_codes"):
            missing[name] = [float(c) for c in var["missing_codes"]]
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].astype("float64")
    write_sav(
        frame,
        path,
        column_labels=labels,
        value_labels=values,
        missing_values=missing,
        measure=measure,
        file_label=f"ci_eval demo (simulated), wave {wave}",
    )
    return path


def _truth_document(
    seed: int, truth: dict[str, Any], partner_truth: dict[str, Any]
) -> dict[str, Any]:
    return {
        "description": (
            "Truth of the simulated demo study (ci_eval.demo). average_treatment_effect: "
            "mean of Y(1) - Y(0) over the population of the wave, where Y(1) and Y(0) are "
            "each person's outcomes with and without a mentor at ages 6-18 (same noise). "
            "Confounders: family_income (1 lower, 2 average, 3 higher) and region. "
            "Scores: belonging_score = mean of belong_1..4 with belong_3 reversed; "
            "swemwbs_score = sum of swemwbs_1..7; strong_belonging = belonging_score >= 4; "
            "good_mental_health = mental_health in (3, 4); employed_or_studying = employed "
            "or in_education."
        ),
        "seed": seed,
        "effects": _plain(EFFECTS),
        "equity": {
            "identity_and_risk": _plain(equity.EQUITY),
            "indigenous_shares": {
                "by_region": {r: list(p) for r, p in equity.INDIGENOUS["region"].items()},
                "by_territory": {t: list(p) for t, p in equity.INDIGENOUS["province"].items()},
            },
            "racialized_share_by_region": dict(equity.RACIALIZED_SHARE),
            "unmet_need_logit": dict(equity.UNMET_NEED_LOGIT),
            "barriers_logit": _plain(equity.BARRIERS_LOGIT),
            "barrier_reasons": dict(equity.BARRIER_REASONS),
            "groups": {
                name: {"variable": v, "group": list(g), "comparison": list(c)}
                for name, (v, g, c) in equity.TRUTH_GROUPS.items()
            },
            "small_groups": (
                "Inuit youth (indigenous == 3) live mostly in Nunavut: outside the Territories "
                "each region's sample holds a handful, so indigenous x region cells are suppressed"
            ),
        },
        "changes": _changes(),
        "income_by_region": {r: list(p) for r, p in INCOME_BY_REGION.items()},
        "design": {
            "strata": "province",
            "allocation": "square root of stratum population, at least 25",
            "clean_sample_size": dict(SAMPLE_SIZE),
            "design_weight": "stratum population / stratum rows in the file",
            "nonresponse": "propensity = product of the response_propensity factors in effects",
        },
        "planted_problems_per_wave": dict(PROBLEMS),
        "partners": partner_truth,
        "waves": truth,
    }


def _changes() -> dict[str, Any]:
    """True values in each wave and the change, for the indicators with a planted change.

    Youth: population shares (the mentoring intercept is calibrated to the population, and a
    mentored person had a mentor at 12-18 unless mentored at 6-11 only). Programs: the
    superpopulation rates of the organisation model.
    """
    shares, periods = EFFECTS["mentored_share"], EFFECTS["period_probs"]
    values = {
        "mentored_6_18": {w: shares[w] for w in WAVES},
        "mentored_12_18": {w: shares[w] * (1 - periods[w][0]) for w in WAVES},
        "offers_ementoring": dict(organisations.EMENTORING_RATE),
        "has_waitlist": dict(organisations.WAITLIST_RATE),
        "demand_outpaces_capacity": dict(organisations.DEMAND_EXCEEDS_RATE),
    }
    first, last = WAVES[0], WAVES[-1]
    return {
        indicator: {
            **{w: round(v, 4) for w, v in by_wave.items()},
            "change": round(by_wave[last] - by_wave[first], 4),
        }
        for indicator, by_wave in values.items()
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value

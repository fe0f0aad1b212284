"""The analysis stage: from scored responses to every table the report publishes.

Entry point for the pipeline::

    from ci_eval.analysis import analyse
    tables = analyse(study, model, codebooks, scored, raw=raw, settings=None, quality=None)

Parameters:

- ``study``: :class:`ci_eval.study.Study` (waves, ``[weighting.<survey>]``, ``[disclosure]``,
  an optional ``[analysis]`` table, see :mod:`ci_eval.analysis.settings`);
- ``model``: the :class:`~ci_eval.toc.schema.ToCModel`;
- ``codebooks``: ``{survey: Codebook}`` (labels, categorical covariates, domain categories);
- ``scored``: ``{survey: {wave: DataFrame}}`` of indicator values per respondent
  (:func:`ci_eval.toc.score_indicators`);
- ``raw``: ``{survey: {wave: DataFrame}}`` of the clean responses with the same index (design,
  disaggregation and covariate columns); optional when ``scored`` already holds them;
- ``settings``: an :class:`~ci_eval.analysis.settings.AnalysisSettings` or a mapping like the
  ``[analysis]`` table (default: the study's);
- ``quality``: ``{(survey, wave): QualityResult}`` or a ready ``quality`` frame, copied to the
  ``quality`` table.

Returns ``{table name: DataFrame}`` with the names and columns of the results-store contract
(``labels``, ``indicators``, ``trends``, ``scorecard``, ``trend_families``, ``equity_gaps``,
``targets``, ``contributions``,
``balance``, ``overlap``, ``dose_response``, ``gap_projection``, ``reliability``, ``weighting``,
``weighting_margins``, ``quality``, ``surveys``, ``benchmark_peers``, the ``partnership_*``
tables of :mod:`ci_eval.analysis.partnership_stage` and ``programs/<program_id>``), values
unrounded and rows in a deterministic order. Tables whose name starts with
:data:`~ci_eval.results.contract.PRIVATE_PREFIX` are private; the results contract
(:mod:`ci_eval.results.contract`) declares every table and :class:`~ci_eval.results.ResultsStore`
keeps the private ones apart.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ci_eval.analysis.benchmark.page_audit import public_cells
from ci_eval.analysis.benchmark.tables import benchmark_tables
from ci_eval.analysis.contribution.tables import EMPTY_COLUMNS, contribution_tables
from ci_eval.analysis.equity import equity_gap_table
from ci_eval.analysis.indicators import estimate_indicators
from ci_eval.analysis.labels import crossed_margin_labels, label_table
from ci_eval.analysis.partnership_stage import (
    TABLE_NAMES,
    census_designs,
    partnership_tables,
    public_labels,
)
from ci_eval.analysis.reliability_stage import reliability_table
from ci_eval.analysis.scoring_checks import scoring_warnings, with_warnings
from ci_eval.analysis.settings import AnalysisSettings
from ci_eval.analysis.surveys import survey_table
from ci_eval.analysis.targets import progress_to_targets
from ci_eval.analysis.trend_families import family_scorecard
from ci_eval.analysis.trends import change_since_baseline, scorecard
from ci_eval.analysis.weighting_stage import (
    WeightedWave,
    read_targets,
    weight_wave,
    weighting_tables,
)
from ci_eval.codebook import Codebook
from ci_eval.errors import AnalysisError
from ci_eval.quality import quality_table
from ci_eval.results.contract import columns
from ci_eval.results.contract import spec as table_spec
from ci_eval.toc.schema import ToCModel


def analysis_settings(study: Any, settings: Any = None) -> AnalysisSettings:
    """The stage's settings: given, or from the study's ``[analysis]`` and ``[disclosure]``."""
    if isinstance(settings, AnalysisSettings):
        return settings
    table = settings if settings is not None else (getattr(study, "analysis", None) or {})
    return AnalysisSettings.from_mapping(table, getattr(study, "disclosure", None))


def analysis_frames(
    scored: Mapping[str, Mapping[str, pd.DataFrame]],
    raw: Mapping[str, Mapping[str, pd.DataFrame]] | None,
    codebooks: Mapping[str, Codebook],
) -> dict[tuple[str, str], pd.DataFrame]:
    """One frame per survey wave: clean responses (missing codes set missing) plus the scores."""
    frames = {}
    for survey, waves in scored.items():
        for wave, scores in waves.items():
            base = (raw or {}).get(survey, {}).get(wave)
            if base is None:
                frame = scores.copy()
            else:
                if not base.index.equals(scores.index):
                    raise AnalysisError(
                        f"scored and raw {survey} data of wave {wave} have different rows; "
                        "score the clean responses and pass both with their index"
                    )
                frame = base.copy()
                if survey in codebooks:
                    frame = codebooks[survey].apply_missing(frame)
                for column in scores.columns:
                    frame[column] = scores[column]
            frames[(survey, str(wave))] = frame
    return frames


def weight_all(study: Any, frames: Mapping[tuple[str, str], pd.DataFrame]) -> list[WeightedWave]:
    """Every survey wave weighted with its ``[weighting.<survey>]`` settings."""
    out, targets_cache = [], {}
    for (survey, wave), frame in sorted(frames.items()):
        config = dict((getattr(study, "weighting", {}) or {}).get(survey, {}))
        targets = None
        if config.get("targets"):
            path = study.path(config["targets"])
            if path not in targets_cache:
                targets_cache[path] = read_targets(path)
            targets = targets_cache[path]
        out.append(weight_wave(frame, survey, wave, config, targets))
    return out


def analyse(
    study: Any,
    model: ToCModel,
    codebooks: Mapping[str, Codebook],
    scored: Mapping[str, Mapping[str, pd.DataFrame]],
    raw: Mapping[str, Mapping[str, pd.DataFrame]] | None = None,
    settings: Any = None,
    quality: Any = None,
) -> dict[str, pd.DataFrame]:
    """Run the whole analysis stage (see the module docstring)."""
    config = analysis_settings(study, settings)
    frames = analysis_frames(scored, raw, codebooks)
    weighted = weight_all(study, frames)
    designs = {(ww.survey, ww.wave): ww.design for ww in weighted}
    tables: dict[str, pd.DataFrame] = {}
    waves = list(study.waves.all)
    survey_labels = {name: dict(cfg.label) for name, cfg in study.surveys.items()}
    populations = {name: cfg.population_label for name, cfg in study.surveys.items()}
    tables["labels"] = label_table(model, codebooks, survey_labels, waves, populations)
    tables["weighting"], tables["weighting_margins"] = weighting_tables(weighted)
    tables["labels"] = pd.concat(
        [tables["labels"], crossed_margin_labels(tables["weighting_margins"], codebooks)],
        ignore_index=True,
    )
    if config.partnership is not None:  # a census of the members, named only if allowed
        designs.update(census_designs(study, frames, config.partnership))
        tables["labels"] = public_labels(tables["labels"], study, config.partnership)
    indicators = estimate_indicators(
        designs, model, config.disclosure, codebooks, config.conf_level
    )
    tables["indicators"] = indicators
    trends = change_since_baseline(
        indicators,
        model,
        study.waves.baseline,
        config.alpha,
        config.conf_level,
        config.independent_waves,
        config.trends,
    )
    tables["trends"] = trends
    tables["scorecard"] = scorecard(trends)
    tables["trend_families"] = family_scorecard(trends)
    tables["equity_gaps"] = equity_gap_table(
        designs,
        model,
        config.disclosure,
        codebooks,
        config.equity,
        config.conf_level,
        indicators=indicators,
    )
    tables["targets"] = progress_to_targets(indicators, model, study.waves.baseline)
    tables.update(_contributions(designs, model, codebooks, config))
    languages = {name: cfg.language for name, cfg in study.surveys.items()}
    tables["reliability"] = reliability_table(frames, model, codebooks, languages)
    tables["quality"] = with_warnings(
        _quality(quality), scoring_warnings(model, codebooks, raw, frames)
    )
    tables["surveys"] = survey_table(study, tables["quality"])
    tables.update(_partnership(study, raw, codebooks, config))
    bench = config.benchmark
    if bench.survey in study.surveys:
        id_column = study.surveys[bench.survey].id_column
        tables.update(
            benchmark_tables(
                frames,
                model,
                bench.survey,
                id_column,
                bench.peer_by,
                config.disclosure,
                national=indicators,
                public=public_cells(
                    designs, model, bench.survey, id_column, indicators, config.disclosure
                ),
            )
        )
    return tables


def _partnership(study, raw, codebooks, config) -> dict[str, pd.DataFrame]:
    """The partnership tables, empty when the study has no ``[analysis.partnership]``."""
    if config.partnership is None:
        return {name: table_spec(name).empty() for name in TABLE_NAMES}
    return partnership_tables(
        study,
        raw or {},
        codebooks,
        config.partnership,
        config.disclosure,
        alpha=config.alpha,
        conf_level=config.conf_level,
    )


def _contributions(designs, model, codebooks, config) -> dict[str, pd.DataFrame]:
    parts: dict[str, list[pd.DataFrame]] = {
        k: [] for k in ("contributions", "balance", "overlap", "dose_response", "gap_projection")
    }
    for spec in model.contributions:
        survey = model.indicator(spec.indicator).survey
        for (s, wave), design in sorted(designs.items()):
            if s != survey:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                result = contribution_tables(
                    design,
                    spec,
                    model,
                    wave,
                    codebooks.get(survey),
                    config.gap_indicator,
                    config.gap_exposure,
                    config.conf_level,
                    config.propensity_bins,
                    config.disclosure.min_cell,
                    config.primary_estimator,
                )
            for name in parts:
                frame = getattr(result, name)
                if len(frame):
                    parts[name].append(frame)
    return {name: _concat(frames, name) for name, frames in parts.items()}


def _concat(frames: list[pd.DataFrame], name: str) -> pd.DataFrame:
    if frames:
        return pd.concat(frames, ignore_index=True)
    return pd.DataFrame(columns=EMPTY_COLUMNS[name])


def _quality(quality: Any) -> pd.DataFrame:
    """The quality table from a frame, or from ``{(survey, wave): result with .summary}``."""
    if quality is None:
        return pd.DataFrame(columns=columns("quality"))
    if isinstance(quality, pd.DataFrame):
        frame = quality.reset_index(drop=True)
        return frame if "about" in frame else frame.assign(about="")
    return quality_table({(s, str(w)): result for (s, w), result in quality.items()})

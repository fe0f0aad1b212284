"""Survey sources: LimeSurvey pulls, vendor files, and the raw snapshot store.

A source is read into an immutable snapshot (see :mod:`ci_eval.sources.snapshots`):
:mod:`ci_eval.sources.limesurvey` pulls from a LimeSurvey server through ``citric``,
:mod:`ci_eval.sources.files` reads SPSS, Stata, SAS, CSV and Parquet files, and
:mod:`ci_eval.sources.pull` runs a study's pulls.
"""

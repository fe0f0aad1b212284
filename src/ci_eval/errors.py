"""The project's exception hierarchy.

Every error a user can cause is a :class:`CiEvalError`; its message names the
file, column, row or setting at fault and, where there is one, the fix.

>>> from ci_eval.errors import DesignError, CiEvalError
>>> issubclass(DesignError, CiEvalError)
True
"""


class CiEvalError(Exception):
    """Base class of every error ci_eval raises on bad input or settings."""


class DesignError(CiEvalError, ValueError):
    """A survey design or an estimator call that cannot be honoured."""


class WeightingError(DesignError):
    """Post-stratification, raking, calibration or trimming that cannot be done."""


class ConvergenceError(WeightingError):
    """An iterative weighting step that did not converge."""


class SourceError(CiEvalError):
    """A survey source (server or file) that cannot be read."""


class CodebookError(CiEvalError):
    """A codebook, or a wave mapping, that does not fit the data."""


class ModelError(CiEvalError):
    """A theory-of-change model that does not validate."""


class QualityError(CiEvalError):
    """A response-quality rule that cannot be applied."""


class AnalysisError(CiEvalError):
    """An analysis stage that cannot produce its results."""


class StudyError(CiEvalError):
    """A study folder or ``ci-eval.toml`` that is missing or malformed."""


class ReportError(CiEvalError):
    """A report that cannot be built."""

"""ci_eval: survey and theory-of-change evaluation for collective-impact initiatives.

The statistics core lives in :mod:`ci_eval.survey`; see ``DESIGN.md`` in the
repository for the architecture and data flow.
"""

from ci_eval.errors import CiEvalError

__all__ = ["CiEvalError", "__version__"]
__version__ = "0.1.0"

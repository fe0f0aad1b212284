"""Dose-response: the standardised outcome at each level of an ordered exposure.

For an exposure with more than two ordered levels (e.g. relationship length), the adjusted
outcome model (exposure levels as dummies plus the covariates) gives by g-computation the mean
outcome if everyone had each level (Robins 1986; Hernán & Robins, *Causal Inference: What If*,
§13), with design-based SEs (:func:`~ci_eval.analysis.contribution.regression.standardised_means`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ci_eval.analysis.contribution.data import ContributionData
from ci_eval.analysis.contribution.regression import WeightedGLM, standardised_means
from ci_eval.results.contract import columns
from ci_eval.survey import SurveyDesign

COLUMNS = columns("dose_response")[2:-2]  # without contribution, wave and suppression


def dose_response(
    design: SurveyDesign, data: ContributionData, fit: WeightedGLM, conf_level: float = 0.95
) -> pd.DataFrame:
    """One row per exposure level (lowest code first) from the adjusted model ``fit``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ci_eval.analysis.contribution.data import contribution_data
    >>> from ci_eval.analysis.contribution.regression import fit_glm
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 2.0, 3.0, 4.0, 5.0], "k": [1, 1, 2, 2, 3, 3],
    ...                    "w": 1.0})
    >>> d = SurveyDesign(df, weights="w")
    >>> data = contribution_data(d, "y", "k", [], binary=False)
    >>> fit = fit_glm(d, data.matrix(), data.y, data.w, binary=False)
    >>> dose_response(d, data, fit)["estimate"].round(4).tolist()
    [1.5, 2.5, 4.5]
    """
    z = stats.norm.ppf(0.5 + conf_level / 2)
    means = standardised_means(design, fit, [data.matrix(lv) for lv in data.levels], data.w)
    se = np.sqrt(np.maximum(np.diag(means.vcov), 0.0))
    rows = []
    for k, level in enumerate(data.levels):
        rows.append(
            {
                "exposure_level": level,
                "order": k + 1,
                "estimate": float(means.estimate[k]),
                "se": float(se[k]),
                "ci_low": float(means.estimate[k] - z * se[k]),
                "ci_high": float(means.estimate[k] + z * se[k]),
                "n": int(((data.exposure == level) & data.keep).sum()),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)

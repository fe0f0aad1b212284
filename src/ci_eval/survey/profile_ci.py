"""Profile-likelihood interval of a proportion, as R ``svyciprop(method="likelihood")``.

R ``survey`` 4.1.1 (``svyciprop``, ``confint.svyglm``, and its own copies of MASS's profiling code,
``MASSprofile_glm`` and ``confint_profile``; Venables and Ripley 2002, *MASS*, §8.4) computes it
as follows, and so does :func:`likelihood_interval`:

1. Fit the intercept-only quasi-binomial ``svyglm``: prior weights are the sampling weights
   scaled to mean 1 over the design's rows; coefficient ``b0`` on the logit scale, its design
   standard error ``se`` (Binder's sandwich) and its model-based variance ``naive = (X'WX)^-1``
   (working weights ``W`` of the last IRLS step).
2. The design effect ``lambda = se^2 / naive`` rescales the tail probability: with ``df`` the
   design degrees of freedom, ``alpha = Phi(t_df((1 - level) / 2) * sqrt(lambda)) / 2``
   (``Phi`` the normal distribution function; ``df = Inf`` uses the normal quantile), so the
   model-based likelihood ratio is read against the design-based sampling variability.
3. Profile the deviance: at ``b = b0 + s * k * del * se`` (``s = -1, 1``, ``k = 1, 2, ...``
   while ``k < 10`` and ``|z| < zmax``, with ``zmax = sqrt(F^-1(1 - alpha; 1, n - 1))``, ``n``
   the rows of the fit, and
   ``del = zmax / 5``), the signed root ``z = s * sqrt((D(b) - D(b0)) / phi)`` of the deviance
   difference, scaled by the dispersion ``phi``: the design-weighted variance (R's ``svyvar``,
   divisor ``m - 1`` with ``m`` the rows of positive weight) of ``svyglm``'s Pearson
   residuals, ``(y - mu) / sqrt(mu (1 - mu))`` times the square root of prior weight over
   scaled sampling weight (1 unless rows of the domain miss ``y``). R scales the sampling
   weights there by their mean over the rows of the fitted design: a calibrated design keeps
   the rows without ``y`` in it with weight 0, any other design drops them, so the two give
   different residuals for the same data (R is inconsistent; ci_eval follows it).
4. Interpolate ``z`` as a function of ``b`` by an FMM cubic spline at three times as many
   points as the profile has (``b0`` among them), then invert it by linear interpolation at
   ``z = Phi^-1(2 alpha)`` and ``Phi^-1(1 - 2 alpha)``
   (:mod:`ci_eval.survey.interpolation`), and map back with the inverse logit.

A limit the profile does not reach is missing (NaN), as in R (with a warning): the profile takes
at most nine steps each way, which can fall short with a design effect far below 1 or very few
design degrees of freedom.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from ci_eval.errors import ConvergenceError, DesignError
from ci_eval.survey.glm import coefficient_influence
from ci_eval.survey.glm_family import get_family, r_binomial_deviance, r_logit_inverse
from ci_eval.survey.glm_fit import glm_irls
from ci_eval.survey.interpolation import approx, spline

MAX_STEPS = 10  # MASS's profile.glm(maxsteps = 10): at most 9 steps on each side


@dataclass(frozen=True)
class InterceptFit:
    """Step 1: the intercept-only quasi-binomial ``svyglm`` behind the interval."""

    y: np.ndarray  # the response on the fit's rows
    prior: np.ndarray  # prior weights: sampling weights scaled to mean 1 over the design's rows
    weights: np.ndarray  # the sampling weights of the fit's rows
    mu: np.ndarray  # fitted values
    b0: float  # the coefficient (logit of the proportion)
    se: float  # its design standard error
    design_effect: float  # design variance / model-based variance of b0 (R's lambda)
    deviance: float


def likelihood_interval(
    design: Any,
    y: np.ndarray,
    rows: np.ndarray,
    domain_rows: np.ndarray,
    conf_level: float,
    df: float,
    weights: np.ndarray | None = None,
) -> tuple[float, float]:
    """Profile-likelihood interval for the proportion of ``y`` (see the module docstring).

    ``y`` is the 0/1 variable aligned with the design's data; ``rows`` are the positions that
    enter the fit (the domain's rows with a value of ``y``) and ``domain_rows`` those of the
    design R fits on (the prior weights are scaled to mean 1 over them). ``df`` is the design
    degrees of freedom for the level adjustment. ``weights`` (aligned with the data; the design's
    weights if None) replace the sampling weights: R's domain of a calibrated design keeps every
    row, those outside the domain with weight 0, so ``domain_rows`` are then all rows, the
    weights are 0 outside the domain, and the rows without ``y`` stay in R's fitted design with
    weight 0 (they count in the mean weight of the Pearson residuals, step 3).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ci_eval.survey import SurveyDesign
    >>> df = pd.DataFrame({"y": [1.0, 0, 1, 1, 0, 1, 1, 0, 1, 1], "psu": np.arange(10) % 5})
    >>> d = SurveyDesign(df, ids="psu", weights=np.ones(10))
    >>> rows = np.arange(10)
    >>> lo, hi = likelihood_interval(d, df["y"].to_numpy(), rows, rows, 0.95, d.degf)
    >>> bool(0 < lo < 0.7 < hi < 1)
    True
    """
    _check_arguments(design, conf_level, df)
    rows = np.asarray(rows)
    w_all = np.asarray(design.sampling_weights if weights is None else weights, dtype=float)
    fit = fit_intercept(design, y, rows, w_all[rows], float(np.mean(w_all[domain_rows])))
    alpha = tail_probability(conf_level, df, fit.design_effect)
    # R's fitted design: every row of a calibrated design's domain, else the fit's rows
    held = len(domain_rows) if weights is not None else len(rows)
    phi = pearson_dispersion(fit, held)
    betas, zs = _profile(fit.y, fit.prior, fit.b0, fit.se, fit.deviance, phi, alpha, len(rows))
    if np.unique(zs[np.isfinite(zs)]).size < 2:
        # a design variance of rounding size (the proportion is a calibration margin): the
        # profile's steps do not move the deviance, and R's limits lie within rounding of the
        # estimate (in either order), so the interval is the point
        p = float(_expit(np.array([fit.b0]))[0])
        return p, p
    return invert_profile(betas, zs, alpha)


def _check_arguments(design: Any, conf_level: float, df: float) -> None:
    if design.is_replicate:
        raise DesignError(
            "ciprop(method='likelihood') needs a design with PSUs and strata (Taylor "
            "linearisation); for a replicate design use method='logit', 'xlogit' or 'beta' "
            "(R survey 4.1.1 returns no likelihood interval there either)"
        )
    if not 0 < conf_level < 1:
        raise DesignError(f"conf_level must lie between 0 and 1 (e.g. 0.95), got {conf_level!r}")
    if not df > 0:
        raise DesignError(
            f"ciprop(method='likelihood') needs positive design degrees of freedom, got {df!r}"
        )


def fit_intercept(
    design: Any, y: np.ndarray, rows: np.ndarray, w: np.ndarray, mean_weight: float
) -> InterceptFit:
    """Step 1: fit ``y ~ 1`` (quasi-binomial) on ``rows`` with sampling weights ``w`` scaled by
    ``mean_weight`` (their mean over the rows of the design R fits on)."""
    prior = w / mean_weight
    yk = np.asarray(y, dtype=float)[rows]
    observed = yk[prior > 0]
    if observed.size == 0 or np.all(observed == observed[0]):
        share = "no rows" if observed.size == 0 else f"all {observed[0]:g}"
        raise DesignError(
            f"ciprop(method='likelihood') needs both 0s and 1s in the domain, but it has "
            f"{share}: the likelihood has no maximum (R stops with an error too); use "
            "method='beta' for a proportion of 0 or 1"
        )
    X = np.ones((len(rows), 1))
    fit = glm_irls(
        X, yk, prior, get_family("quasibinomial"), what="the intercept-only model of ciprop"
    )
    influence = np.zeros((len(design.data), 1))
    influence[rows] = coefficient_influence(X, fit)
    var_design = float(design.vcov(influence, rows=rows)[0, 0])
    naive = float(fit.normalized_cov_params[0, 0])
    return InterceptFit(
        y=yk,
        prior=prior,
        weights=w,
        mu=np.asarray(fit.mu),
        b0=float(fit.params[0]),
        se=float(np.sqrt(var_design)),
        design_effect=var_design / naive,
        deviance=float(fit.deviance),
    )


def tail_probability(conf_level: float, df: float, design_effect: float) -> float:
    """Step 2: the tail probability adjusted to the design effect (R's ``confint.svyglm``).

    >>> round(tail_probability(0.95, np.inf, 1.0), 6)
    0.0125
    """
    quantile = stats.norm.ppf if np.isinf(df) else (lambda p: stats.t.ppf(p, df))
    return float(stats.norm.cdf(quantile((1 - conf_level) / 2) * np.sqrt(design_effect)) / 2)


def pearson_dispersion(fit: InterceptFit, held_rows: int) -> float:
    """Step 3's dispersion: the design-weighted variance of ``svyglm``'s Pearson residuals.

    R's residuals multiply by ``sqrt(prior / pw)`` with ``pw`` the sampling weights scaled to
    mean 1 over the ``held_rows`` rows of the fitted design (R's ``residuals.svyglm``); rows
    without ``y`` count there only when R keeps them with weight 0 (a calibrated design).
    """
    pos = fit.weights != 0
    w = fit.weights[pos]
    ratio = fit.prior[pos] / (w / (np.sum(w) / held_rows))
    mu = fit.mu[pos]
    pearson = (fit.y[pos] - mu) * np.sqrt(ratio) / np.sqrt(mu * (1 - mu))
    n_pos = int(np.sum(pos))
    centre = np.sum(w * pearson) / np.sum(w)
    return float(np.sum(w * ((pearson - centre) ** 2 * n_pos / (n_pos - 1))) / np.sum(w))


def invert_profile(betas: np.ndarray, zs: np.ndarray, alpha: float) -> tuple[float, float]:
    """Step 4: the interval where the splined profile crosses ``Phi^-1(2 alpha)`` and
    ``Phi^-1(1 - 2 alpha)``, on the proportion scale (NaN, with a warning, where it does not)."""
    grid, z_grid = spline(betas, zs)
    cutoff = np.array([stats.norm.ppf(2 * alpha), stats.norm.isf(2 * alpha)])
    lo, hi = _expit(approx(z_grid, grid, cutoff))
    if np.isnan(lo) or np.isnan(hi):
        warnings.warn(
            "ciprop(method='likelihood'): the likelihood profile does not reach a limit of the "
            "interval (few design degrees of freedom or a design effect far from 1), so it is "
            "missing, as in R; consider method='logit' or 'beta'",
            UserWarning,
            stacklevel=4,
        )
    return float(lo), float(hi)


def _profile(
    y: np.ndarray,
    prior: np.ndarray,
    b0: float,
    se: float,
    deviance0: float,
    dispersion: float,
    alpha: float,
    n: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The profile points ``(b, z)`` in increasing ``z``, ``(b0, 0)`` among them (MASS's
    ``profile.glm`` for a model whose only coefficient is profiled: each point is the model
    with that coefficient fixed as an offset, so no refit is needed)."""
    # R: sqrt(qf(alpha, 1, n - 1, lower.tail = FALSE)); F(1, m) is the square of t(m), and
    # scipy's t quantile stays accurate far into the tail, where its F quantile overflows
    zmax = float(stats.t.isf(alpha / 2, n - 1))
    step_size = zmax / 5
    betas, zs = [b0], [0.0]
    for sign in (-1.0, 1.0):
        step, z = 0, 0.0
        while (step := step + 1) < MAX_STEPS and abs(z) < zmax:
            b = b0 + sign * step * step_size * se
            mu = r_logit_inverse(np.full(len(y), b))
            zz = (r_binomial_deviance(y, mu, prior) - deviance0) / dispersion
            if zz <= -0.001:
                raise ConvergenceError(
                    "the likelihood profile of ciprop found a better fit than the fitted "
                    "proportion (the fit had not converged); use method='logit'"
                )
            z = sign * np.sqrt(max(zz, 0.0))
            betas.append(b)
            zs.append(z)
    order = np.argsort(zs, kind="stable")
    return np.asarray(betas)[order], np.asarray(zs)[order]


def _expit(eta: np.ndarray) -> np.ndarray:
    """R ``survey``'s ``expit``, ``exp(eta) / (1 + exp(eta))``, with its arithmetic: NaN stays
    NaN, and so does ``eta > 709`` (``Inf / Inf``), where R's result is missing too."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(eta)
        return e / (1 + e)

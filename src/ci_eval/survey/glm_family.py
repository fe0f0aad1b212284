"""The GLM families ``svyglm`` accepts, as statsmodels families plus what R adds to them.

statsmodels gives each family's link, variance and deviance; R's ``family`` objects add what a
fit must repeat to agree with ``glm.fit``: the starting means (``family()$initialize``: with prior
weights ``w``, ``(w y + 0.5) / (w + 1)`` for the binomial, ``y + 0.1`` for the Poisson, ``y`` for
the Gaussian) and the quasi families, whose point estimates and design-based variances are those
of their likelihood family (the dispersion does not enter ``svyglm``'s sandwich).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special
from statsmodels.genmod import families

from ci_eval.errors import ModelError

Array = np.ndarray
EPS = float(np.finfo(float).eps)  # R's .Machine$double.eps
THRESH = 30.0  # R's logit link (family.c) treats |eta| > 30 as the boundary


@dataclass(frozen=True)
class Family:
    """A GLM family by R's name, with its canonical link.

    Attributes
    ----------
    name : R's name (``"quasibinomial"``, ...).
    link : the canonical link's name.
    statsmodels : builds the statsmodels family (links, variance, deviance).
    start : R's starting means ``mustart(y, w)``.
    check : a problem with the response values, or None.
    """

    name: str
    link: str
    statsmodels: Callable[[], families.Family]
    start: Callable[[Array, Array], Array]
    check: Callable[[Array], str | None]


def r_logit_inverse(eta: Array) -> Array:
    """R's inverse logit (``make.link("logit")$linkinv``, C ``logit_linkinv``): beyond
    ``|eta| > 30`` the mean is held at ``eps / (1 + eps)`` or ``1 / (1 + eps)``, where
    statsmodels' inverse keeps moving; the likelihood profile of ``ciprop`` walks that far.

    Examples
    --------
    >>> float(r_logit_inverse(np.array([40.0]))[0]) == 1 / (1 + EPS)
    True
    """
    tmp = np.where(
        eta < -THRESH, EPS, np.where(eta > THRESH, 1.0 / EPS, np.exp(np.clip(eta, -50, 50)))
    )
    return tmp / (1.0 + tmp)


def r_logit_mu_eta(eta: float) -> float:
    """R's ``d mu / d eta`` of the logit link (C ``logit_mu_eta``): ``exp(eta) / (1 +
    exp(eta))^2``, held at ``eps`` beyond ``|eta| > 30``.

    >>> r_logit_mu_eta(0.0)
    0.25
    """
    if abs(eta) > THRESH:
        return EPS
    opexp = 1.0 + float(np.exp(eta))
    return float(np.exp(eta)) / (opexp * opexp)


def r_binomial_deviance(y: Array, mu: Array, w: Array) -> float:
    """R's binomial deviance ``2 sum w [y log(y / mu) + (1 - y) log((1 - y) / (1 - mu))]``
    without statsmodels' clipping of ``mu`` (which moves it in the far tails).

    Examples
    --------
    >>> round(r_binomial_deviance(np.array([1.0, 0.0]), np.array([0.5, 0.5]), np.ones(2)), 6)
    2.772589
    """
    unit = special.xlogy(y, y / mu) + special.xlogy(1.0 - y, (1.0 - y) / (1.0 - mu))
    return float(2.0 * np.sum(w * unit))


def _check_proportion(y: Array) -> str | None:
    if np.any((y < 0) | (y > 1)):
        return "the response must lie in [0, 1] (a 0/1 indicator or a proportion)"
    return None


def _check_count(y: Array) -> str | None:
    if np.any(y < 0):
        return "the response must not be negative (counts)"
    return None


def _gaussian() -> Family:
    return Family(
        "gaussian", "identity", families.Gaussian, lambda y, w: y.astype(float), lambda y: None
    )


def _binomial(name: str) -> Family:
    return Family(
        name,
        "logit",
        families.Binomial,
        lambda y, w: (w * y + 0.5) / (w + 1.0),
        _check_proportion,
    )


def _poisson(name: str) -> Family:
    return Family(name, "log", families.Poisson, lambda y, w: y + 0.1, _check_count)


FAMILIES: dict[str, Callable[[], Family]] = {
    "gaussian": _gaussian,
    "binomial": lambda: _binomial("binomial"),
    "quasibinomial": lambda: _binomial("quasibinomial"),
    "poisson": lambda: _poisson("poisson"),
    "quasipoisson": lambda: _poisson("quasipoisson"),
}


def get_family(name: str) -> Family:
    """The family called ``name`` (with its canonical link).

    Examples
    --------
    >>> import numpy as np
    >>> fam = get_family("binomial")
    >>> fam.link, float(fam.statsmodels().link.inverse(np.array([0.0]))[0])
    ('logit', 0.5)
    """
    if name not in FAMILIES:
        raise ModelError(
            f"family={name!r} is not supported; use one of {', '.join(FAMILIES)} "
            "(each with its canonical link)"
        )
    return FAMILIES[name]()

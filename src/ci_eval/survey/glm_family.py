"""Exponential-family distributions with their canonical links, as R's ``family`` objects.

Each family gives the link and its inverse, ``dmu/deta``, the variance function, the deviance
and R's starting values (``family()$initialize``). Clamping follows R's ``make.link`` and
``binomial()``/``poisson()`` so fitted values and working weights agree with ``glm.fit``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

from ci_eval.errors import ModelError

EPS = float(np.finfo(float).eps)  # R's .Machine$double.eps
_THRESH = 30.0  # R's logit link (family.c) treats |eta| > 30 as the boundary

Array = np.ndarray


@dataclass(frozen=True)
class Family:
    """A GLM family: ``name``, canonical ``link`` and the functions IRLS needs."""

    name: str
    link: str
    linkfun: Callable[[Array], Array]
    linkinv: Callable[[Array], Array]
    mu_eta: Callable[[Array], Array]
    variance: Callable[[Array], Array]
    unit_deviance: Callable[[Array, Array], Array]
    start: Callable[[Array, Array], Array]
    check: Callable[[Array], str | None]

    def deviance(self, y: Array, mu: Array, w: Array) -> float:
        """Weighted deviance ``sum w_i d(y_i, mu_i)``."""
        return float(np.sum(w * self.unit_deviance(y, mu)))


def _logit_inv(eta: Array) -> Array:
    tmp = np.where(
        eta < -_THRESH, EPS, np.where(eta > _THRESH, 1.0 / EPS, np.exp(np.clip(eta, -50, 50)))
    )
    return tmp / (1.0 + tmp)


def _logit_mu_eta(eta: Array) -> Array:
    e = np.exp(np.clip(eta, -50, 50))
    return np.where(np.abs(eta) > _THRESH, EPS, e / (1.0 + e) ** 2)


def _binomial_deviance(y: Array, mu: Array) -> Array:
    return 2.0 * (special.xlogy(y, y / mu) + special.xlogy(1.0 - y, (1.0 - y) / (1.0 - mu)))


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
        name="gaussian",
        link="identity",
        linkfun=lambda mu: mu,
        linkinv=lambda eta: eta,
        mu_eta=np.ones_like,
        variance=np.ones_like,
        unit_deviance=lambda y, mu: (y - mu) ** 2,
        start=lambda y, w: y.astype(float),
        check=lambda y: None,
    )


def _binomial(name: str) -> Family:
    return Family(
        name=name,
        link="logit",
        linkfun=special.logit,
        linkinv=_logit_inv,
        mu_eta=_logit_mu_eta,
        variance=lambda mu: mu * (1.0 - mu),
        unit_deviance=_binomial_deviance,
        start=lambda y, w: (w * y + 0.5) / (w + 1.0),
        check=_check_proportion,
    )


def _poisson(name: str) -> Family:
    return Family(
        name=name,
        link="log",
        linkfun=np.log,
        linkinv=lambda eta: np.maximum(np.exp(eta), EPS),
        mu_eta=lambda eta: np.maximum(np.exp(eta), EPS),
        variance=lambda mu: mu,
        unit_deviance=lambda y, mu: 2.0 * (special.xlogy(y, y / mu) - (y - mu)),
        start=lambda y, w: y + 0.1,
        check=_check_count,
    )


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
    >>> fam.link, float(fam.linkinv(np.array([0.0]))[0])
    ('logit', 0.5)
    """
    if name not in FAMILIES:
        raise ModelError(
            f"family={name!r} is not supported; use one of {', '.join(FAMILIES)} "
            "(each with its canonical link)"
        )
    return FAMILIES[name]()

"""LimeSurvey credentials: from environment variables, or a keyring when present.

The study file only names a prefix (``credentials = "CI_EVAL_LS"``); the user
name comes from ``CI_EVAL_LS_USER`` and the password from ``CI_EVAL_LS_PASSWORD``
or, when the ``keyring`` package is installed, from the keyring entry of service
``CI_EVAL_LS`` for that user. The password is never shown: not in ``repr``,
logs, errors, manifests or reports.

>>> creds = credentials_from_env("CI_EVAL_LS", {"CI_EVAL_LS_USER": "analyst",
...                                              "CI_EVAL_LS_PASSWORD": "s3cret"})
>>> creds
Credentials(user='analyst', password=<hidden>)
>>> creds.password
's3cret'
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from ci_eval.errors import SourceError

__all__ = ["Credentials", "credentials_from_env"]


@dataclass(frozen=True)
class Credentials:
    """A user name and a password that never prints."""

    user: str
    password: str = field(repr=False)
    origin: str = field(default="", compare=False)
    """Where they were read from, for messages (``"TEST_LS_USER and TEST_LS_PASSWORD"``)."""

    def __repr__(self) -> str:
        return f"Credentials(user={self.user!r}, password=<hidden>)"

    __str__ = __repr__


def credentials_from_env(prefix: str, environ: Mapping[str, str] | None = None) -> Credentials:
    """Read ``<prefix>_USER`` and ``<prefix>_PASSWORD`` (or the keyring).

    Raises
    ------
    SourceError
        Naming the variables to set (never their values).
    """
    env = os.environ if environ is None else environ
    user = env.get(f"{prefix}_USER", "")
    password = env.get(f"{prefix}_PASSWORD", "")
    if user and not password:
        password = _from_keyring(prefix, user) or ""
    if not user or not password:
        missing = [name for name, v in ((f"{prefix}_USER", user), (f"{prefix}_PASSWORD", password))
                   if not v]  # fmt: skip
        raise SourceError(
            f"LimeSurvey credentials not set: {' and '.join(missing)} "
            f'(the study\'s `credentials = "{prefix}"`); export them in the shell, or store '
            f"the password in the system keyring under service {prefix!r}"
        )
    origin = f"{prefix}_USER and " + (
        f"{prefix}_PASSWORD" if env.get(f"{prefix}_PASSWORD") else f"the keyring ({prefix!r})"
    )
    return Credentials(user, password, origin)


def _from_keyring(service: str, user: str) -> str | None:
    try:
        keyring = importlib.import_module("keyring")
    except ImportError:
        return None
    try:
        return keyring.get_password(service, user)
    except Exception:  # any keyring backend failure means "no password stored"
        return None

"""Publish an edition as one unit: its tables, site and manifest change together or not at all.

A run builds the new edition in a staging folder beside the published one
(``reports/.<edition>.staging``, which starts as a copy of the published edition), and
publishes it with one atomic exchange of the two folders (``renameat2(RENAME_EXCHANGE)``
on Linux; elsewhere two renames, with the old edition kept under ``reports/.<edition>.old``
until the new one is in place). So a failure, a Ctrl-C or a ``kill -9`` at any point of a
run leaves the published edition as the previous run left it: the new tables are never seen
beside the old site and manifest. The next run removes what an interrupted one left.

The stage cache (``reports/<edition>/.cache``) is not part of the published unit: it is
keyed by content, so the stages write it in place, and it is carried into the new edition
at publication (an interruption at that moment costs a cold rerun, never a wrong result).

Runs on one edition are serialised by a lock (``reports/.<edition>.lock``, held with
``flock``, so a killed run never leaves it held): a second concurrent run is refused.

>>> import tempfile
>>> from pathlib import Path
>>> root = Path(tempfile.mkdtemp()) / "2024"
>>> with staged_edition(root) as staging:
...     _ = (staging / "manifest.json").write_text("{}")
>>> sorted(p.name for p in root.parent.iterdir())
['.2024.lock', '2024']
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from ci_eval.errors import CiEvalError

CACHE = ".cache"
"""The edition's stage cache: carried over at publication, never copied."""

LINKED = ("tables", "private")
"""Folders whose files the store replaces by rename (never in place): hard-linked into the
staging copy instead of copied."""

_RENAME_EXCHANGE = 2  # linux/fs.h


class PublicationError(CiEvalError):
    """Another run holds the edition, or the staging folder cannot be made."""


def staging_folder(root: Path) -> Path:
    """Where the next edition of ``root`` is built: ``reports/.<edition>.staging``."""
    return root.with_name(f".{root.name}.staging")


def _old_folder(root: Path) -> Path:
    return root.with_name(f".{root.name}.old")


@contextlib.contextmanager
def staged_edition(root: Path) -> Iterator[Path]:
    """Yield a staging copy of the edition at ``root``; publish it if the block succeeds.

    On an exception (``KeyboardInterrupt`` included) the staging folder is removed and the
    published edition is left exactly as it was.
    """
    root = Path(root)
    with _edition_lock(root):
        recover(root)
        staging = staging_folder(root)
        try:
            _copy_edition(root, staging)
            yield staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        publish(staging, root)


@contextlib.contextmanager
def _edition_lock(root: Path) -> Iterator[None]:
    root.parent.mkdir(parents=True, exist_ok=True)
    path = root.with_name(f".{root.name}.lock")
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PublicationError(
                f"{root}: another ci-eval run is writing this edition; wait for it to finish "
                "(the lock is released when that process ends, even if it is killed)"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def recover(root: Path) -> None:
    """Undo what an interrupted run left: restore the old edition if the new one never
    arrived, carry a cache back, and remove the staging folder."""
    old, staging = _old_folder(root), staging_folder(root)
    if old.exists():
        if root.exists():
            shutil.rmtree(old)
        else:
            old.rename(root)
    if staging.exists():
        if root.exists() and not (root / CACHE).exists() and (staging / CACHE).is_dir():
            (staging / CACHE).rename(root / CACHE)
        shutil.rmtree(staging)


def _copy_edition(root: Path, staging: Path) -> None:
    """Copy the published edition (all but its cache) into ``staging``."""
    staging.mkdir(parents=True)
    if not root.exists():
        return
    for entry in sorted(root.iterdir()):
        target = staging / entry.name
        if entry.name == CACHE:
            continue
        if entry.is_dir():
            link = entry.name in LINKED
            shutil.copytree(entry, target, copy_function=_link if link else shutil.copy2)
        else:
            shutil.copy2(entry, target)


def _link(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def publish(staging: Path, root: Path) -> None:
    """Put ``staging`` in the place of ``root`` in one step and remove the old edition."""
    if not root.exists():
        staging.rename(root)
        return
    if (root / CACHE).exists():
        (root / CACHE).rename(staging / CACHE)
    if _exchange(staging, root):
        shutil.rmtree(staging)
        return
    old = _old_folder(root)
    root.rename(old)
    staging.rename(root)
    shutil.rmtree(old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically; False where the system cannot (then rename twice)."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd = -100
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))

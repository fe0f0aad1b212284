"""Reproducibility: the run's manifest (``book/reproducibility.md``)."""

from __future__ import annotations

from html import escape
from typing import Any

from ci_eval.report.page import Page
from ci_eval.results.manifest import read_manifest as read_store_manifest


def read_manifest(page: Page) -> dict[str, Any]:
    """The run's manifest, or an empty one when the store has none (e.g. a test store)."""
    return read_store_manifest(page.store.root)


def manifest_tables(page: Page) -> str:
    """The manifest: inputs with their hashes, seeds, package versions, rows per stage."""
    manifest = read_manifest(page)
    if not manifest:
        return f"<p>{escape(page.t('repro.no_manifest'))}</p>"
    blocks = []
    inputs = manifest.get("inputs", {})
    body = [
        [f"<code>{escape(path)}</code>", f"<code>{escape(str(h))[:16]}\u2026</code>"]
        for path, h in sorted(inputs.items())
    ]
    blocks.append(
        page.html_table(page.t("repro.inputs"), [page.t("repro.file"), "SHA-256"], body, [])
    )
    packages = manifest.get("packages", {})
    # names of files, packages and stages are code, the same in every language
    body = [[f"<code>{escape(n)}</code>", escape(str(v))] for n, v in sorted(packages.items())]
    blocks.append(
        page.html_table(
            page.t("repro.packages"), [page.t("repro.package"), page.t("repro.version")], body, []
        )
    )
    rows = manifest.get("rows", {})
    body = []
    for stage, counts in rows.items():
        if stage == "tables":
            continue  # the tables' rows are in the store's index
        items = counts.items() if isinstance(counts, dict) else [("", counts)]
        for part, n in sorted(items):
            name = f"<code>{escape(f'{stage} {part}'.strip())}</code>"
            body.append([name, escape(page.number(n))])
    blocks.append(
        page.html_table(page.t("repro.rows"), [page.t("repro.stage"), page.t("common.n")], body, [])
    )
    seed = manifest.get("seed")
    if seed is not None:
        blocks.append(f"<p>{escape(page.t('repro.seed', seed=seed))}</p>")
    return "\n".join(blocks)

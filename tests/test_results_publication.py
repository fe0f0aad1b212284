"""An edition is published as one unit: a failure, a Ctrl-C or a kill -9 at any moment leaves
the previous edition whole, and the next run cleans up what the interrupted one left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import ci_eval.results.publication as publication
from ci_eval.results import ResultsStore
from ci_eval.results.publication import PublicationError, staged_edition, staging_folder

SRC = Path(__file__).resolve().parents[1] / "src"


def edition(tmp_path: Path) -> Path:
    """A published edition: a table, a manifest, a site page and a stage cache."""
    root = tmp_path / "reports" / "2024"
    with staged_edition(root) as staging:
        write(staging, "old")
    (root / ".cache" / "score").mkdir(parents=True)
    (root / ".cache" / "score" / "key.json").write_text("cached", encoding="utf-8")
    return root


def write(folder: Path, marker: str) -> None:
    ResultsStore(folder).write_tables({"quality": quality_table(marker)}, remove_others=True)
    (folder / "manifest.json").write_text(marker, encoding="utf-8")
    (folder / "site" / "en").mkdir(parents=True, exist_ok=True)
    (folder / "site" / "en" / "index.html").write_text(marker, encoding="utf-8")


def quality_table(marker: str) -> pd.DataFrame:
    from ci_eval.results import contract

    frame = contract.spec("quality").empty()
    row = {c.name: (marker if c.dtype == "string" else 0) for c in contract.spec("quality").columns}
    frame.loc[0] = row
    return frame.astype(contract.spec("quality").empty().dtypes)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".cache" not in p.parts
    }


def test_a_successful_block_publishes_the_new_edition_and_keeps_the_cache(tmp_path):
    root = edition(tmp_path)
    with staged_edition(root) as staging:
        assert (staging / "site/en/index.html").read_text(encoding="utf-8") == "old"
        write(staging, "new")
        assert (root / "manifest.json").read_text(encoding="utf-8") == "old"  # not yet
    assert (root / "manifest.json").read_text(encoding="utf-8") == "new"
    assert (root / "site/en/index.html").read_text(encoding="utf-8") == "new"
    assert ResultsStore(root).read("quality")["rule"].tolist() == ["new"]
    assert (root / ".cache/score/key.json").read_text(encoding="utf-8") == "cached"
    assert sorted(p.name for p in root.parent.iterdir()) == [".2024.lock", "2024"]


@pytest.mark.parametrize("error", [RuntimeError("report stage failed"), KeyboardInterrupt()])
def test_a_failure_or_ctrl_c_leaves_the_previous_edition_whole(tmp_path, error):
    root = edition(tmp_path)
    before = snapshot(root)
    with pytest.raises(type(error)), staged_edition(root) as staging:
        write(staging, "new")  # tables, manifest and site of the new run...
        raise error  # ...then the book fails
    assert snapshot(root) == before
    assert not staging_folder(root).exists()
    assert (root / ".cache/score/key.json").exists()


def test_hard_linked_tables_rewritten_in_staging_leave_the_published_ones_alone(tmp_path):
    root = edition(tmp_path)
    table = root / "tables" / "quality.parquet"
    before = table.read_bytes()
    with pytest.raises(RuntimeError), staged_edition(root) as staging:
        assert (staging / "tables/quality.parquet").stat().st_ino == table.stat().st_ino
        write(staging, "new")
        raise RuntimeError
    assert table.read_bytes() == before


def test_without_an_atomic_exchange_two_renames_publish_it(tmp_path, monkeypatch):
    monkeypatch.setattr(publication, "_exchange", lambda a, b: False)
    root = edition(tmp_path)
    with staged_edition(root) as staging:
        write(staging, "new")
    assert (root / "manifest.json").read_text(encoding="utf-8") == "new"
    assert not (root.parent / ".2024.old").exists()


def test_what_an_interrupted_publication_left_is_recovered_by_the_next_run(tmp_path):
    root = edition(tmp_path)
    # killed between the two renames of the fallback: only the old edition remains, aside
    root.rename(root.parent / ".2024.old")
    with staged_edition(root) as staging:
        assert (staging / "manifest.json").read_text(encoding="utf-8") == "old"
    assert (root / "manifest.json").read_text(encoding="utf-8") == "old"
    # killed after the cache moved into the staging folder, before the exchange
    staging = staging_folder(root)
    staging.mkdir()
    (root / ".cache").rename(staging / ".cache")
    with staged_edition(root):
        pass
    assert (root / ".cache/score/key.json").read_text(encoding="utf-8") == "cached"
    assert not staging.exists()


def test_a_second_concurrent_run_is_refused_naming_the_edition(tmp_path):
    root = edition(tmp_path)
    with (
        staged_edition(root),
        pytest.raises(PublicationError, match="another ci-eval run is writing"),
        staged_edition(root),
    ):
        pass


KILLED = """
import sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_results_publication import write
from ci_eval.results.publication import staged_edition
with staged_edition(Path({root!r})) as staging:
    write(staging, "new")
    print("written", flush=True)
    time.sleep(60)
"""


@pytest.mark.slow
def test_a_run_killed_with_sigkill_leaves_the_previous_edition_whole(tmp_path):
    root = edition(tmp_path)
    before = snapshot(root)
    script = KILLED.format(tests=str(Path(__file__).parent), root=str(root))
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert process.stdout.readline().strip() == "written"
    time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert snapshot(root) == before
    assert staging_folder(root).exists()  # left behind by the killed run...
    with staged_edition(root) as staging:  # ...and the lock died with it
        write(staging, "next")
    assert (root / "manifest.json").read_text(encoding="utf-8") == "next"

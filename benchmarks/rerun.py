"""Wall time of ``ci-eval run`` on the demo study: a cold run, then a rerun with nothing
changed (every stage loaded from the cache).

Run from the repository root::

    python benchmarks/rerun.py              # with the book
    python benchmarks/rerun.py --no-report  # tables only

The study (``ci-eval.toml``, ``models/``, ``surveys/`` without pulled snapshots, ``book/``)
is copied to a temporary folder, and each run is a fresh ``ci-eval`` process, so the
figures include Python's start-up and the imports, as a user sees them. The rerun's
per-stage seconds come from its ``manifest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "from ci_eval.cli import app; app()"


def copy_study(folder: Path) -> Path:
    """The demo study in ``folder/study``, without its pulled snapshots or results."""
    study = folder / "study"
    study.mkdir()
    shutil.copy2(ROOT / "ci-eval.toml", study / "ci-eval.toml")
    shutil.copytree(ROOT / "models", study / "models")
    shutil.copytree(ROOT / "surveys", study / "surveys", ignore=shutil.ignore_patterns("raw"))
    shutil.copytree(ROOT / "book", study / "book", ignore=shutil.ignore_patterns("_build"))
    return study


def timed_run(study: Path, report: bool) -> float:
    """Seconds of wall time of one ``ci-eval run`` process."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "PYTHONPATH": str(ROOT / "src")}
    args = [sys.executable, "-c", COMMAND, "run", str(study)]
    if not report:
        args.append("--no-report")
    start = time.perf_counter()
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-report", action="store_true", help="Skip building the book.")
    report = not parser.parse_args().no_report
    with tempfile.TemporaryDirectory() as tmp:
        study = copy_study(Path(tmp))
        cold = timed_run(study, report)
        cached = timed_run(study, report)
        manifest = json.loads((study / "reports/2024/manifest.json").read_text(encoding="utf-8"))
    from ci_eval.pipeline import STAGE_NAMES

    ran = manifest["stages"]
    stages = ", ".join(
        f"{name} {'cached' if ran[name]['cached'] else 'ran'} {ran[name]['seconds']:.2f} s"
        for name in STAGE_NAMES
        if name in ran
    )
    in_stages = sum(s["seconds"] for s in ran.values())
    print(f"ci-eval run{'' if report else ' --no-report'} on the demo study")
    print(f"  cold run:      {cold:7.2f} s")
    print(f"  cached rerun:  {cached:7.2f} s  ({cold / cached:.1f}x faster)")
    print(f"  rerun stages:  {stages}")
    print(
        f"  rerun inside run_pipeline: {manifest['seconds']:.2f} s, of which stages "
        f"{in_stages:.2f} s and publishing the store, quality.csv and the manifest "
        f"{manifest['seconds'] - in_stages:.2f} s"
    )


if __name__ == "__main__":
    main()

"""Memory and time of a large LimeSurvey pull, against the loopback test server.

Run from the repository root::

    python benchmarks/limesurvey_pull.py 100000

The server runs in a child process (so its memory is not counted); the pull's
peak resident memory should barely grow with the number of responses, because
responses are exported and written in batches of ``batch_size`` ids. Measured
on the development machine: 10,052 responses, 171 MB peak; 100,052 responses,
194 MB peak (about 150 MB of it is pandas/pyarrow being imported).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = """
import sys, time
sys.path.insert(0, {tests!r})
from limesurvey_server import SURVEY_ID, FakeLimeSurvey, real_responses
rows = real_responses()
fake = FakeLimeSurvey({{"analyst": "pw"}})
fake.add_survey(SURVEY_ID, rows)
fake.add_responses(SURVEY_ID, [rows[i % len(rows)] for i in range({n})])
fake.start()
print(fake.url, flush=True)
time.sleep(3600)
"""


def main(n: int, batch_size: int = 5000) -> None:
    from ci_eval.sources.pull import pull
    from ci_eval.study import load_study

    code = SERVER.format(tests=str(ROOT / "tests"), n=n)
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip() if server.stdout else ""
        with tempfile.TemporaryDirectory() as folder:
            study = Path(folder)
            (study / "ci-eval.toml").write_text(
                f"""[study]
name = "benchmark"
edition = "1"
[waves]
baseline = "1"
all = ["1"]
[surveys.youth.sources.1]
type = "limesurvey"
url = "{url}"
survey_id = 111111
completed_only = false
credentials = "BENCH"
batch_size = {batch_size}
""",
                encoding="utf-8",
            )
            start = time.perf_counter()
            (report,) = pull(load_study(study), environ={"BENCH_USER": "analyst",
                                                         "BENCH_PASSWORD": "pw"})  # fmt: skip
            seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(f"{report.rows} responses in {seconds:.1f} s; peak resident memory {peak} MB")
    finally:
        server.kill()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)

"""Benchmark of ci_eval's survey core against R ``survey`` and the Python package ``svy``.

A stratified cluster sample (20 strata x 10 PSUs, 40 indicators mixing 0/1 and continuous
values, 10 categorical domain variables of 3 to 13 levels) is generated at each size, and every
tool does the same four steps on the same data:

* ``means``: all 40 means with Taylor standard errors;
* ``domains``: 5 indicators by each of the 10 domain variables (10 domain calls);
* ``bootstrap``: 200 Rao-Wu bootstrap replicates (R's ``subbootstrap``) and all 40 means with
  replicate standard errors (building the replicates is timed too);
* ``rake``: raking the weights to 3 margins (3, 4 and 5 levels), to a relative 1e-8 or better.

Times are the best of ``--repeat`` runs (R: one run, its first-call overhead included as in
everyday use). R runs through ``Rscript`` on a CSV copy of the data, svy if it is installed;
either is reported "n/a" when missing. Peak memory is ci_eval's extra memory per step (Python
``tracemalloc``, which sees numpy's buffers), against the memory of the data frame.

Run ``python benchmarks/survey_core.py`` (or ``make bench``); ``--sizes 10000 100000`` picks
sizes, ``--no-r`` / ``--no-svy`` skip the other tools.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ci_eval.survey import SurveyDesign

N_STRATA, PSU_PER_STRATUM = 20, 10
N_BINARY, N_CONTINUOUS = 20, 20
DOMAIN_LEVELS = (3, 4, 5, 6, 7, 8, 9, 11, 12, 13)
INDICATORS = [f"y{j:02d}" for j in range(1, N_BINARY + N_CONTINUOUS + 1)]
DOMAINS = [f"d{k:02d}" for k in range(1, len(DOMAIN_LEVELS) + 1)]
DOMAIN_INDICATORS = INDICATORS[:3] + INDICATORS[N_BINARY : N_BINARY + 2]
RAKE_VARS = DOMAINS[:3]
REPLICATES = 200
STEPS = ("means", "domains", "bootstrap", "rake")


def make_sample(n: int, seed: int = 20261125) -> pd.DataFrame:
    """The benchmark sample: n rows in 20 strata x 10 PSUs; domains are pandas categoricals."""
    rng = np.random.default_rng(seed)
    n_psu = N_STRATA * PSU_PER_STRATUM
    psu = np.sort(rng.integers(0, n_psu, n))
    psu[:n_psu] = np.arange(n_psu)  # every PSU has rows
    psu.sort()
    stratum = psu // PSU_PER_STRATUM
    psu_effect = rng.normal(0, 1, n_psu)[psu]
    cols: dict[str, np.ndarray] = {
        "stratum": stratum + 1,
        "psu": psu + 1,
        "w": rng.uniform(50, 150, N_STRATA)[stratum] * rng.uniform(0.5, 2.0, n),
    }
    for j in range(N_BINARY):
        cols[INDICATORS[j]] = (rng.normal(0, 1, n) + 0.5 * psu_effect > j / 10 - 1).astype(float)
    for j in range(N_CONTINUOUS):
        cols[INDICATORS[N_BINARY + j]] = rng.gamma(2.0 + j / 5, 10.0, n) + 3 * psu_effect
    df = pd.DataFrame(cols)
    for name, levels in zip(DOMAINS, DOMAIN_LEVELS, strict=True):
        probs = rng.dirichlet(np.full(levels, 5.0))
        codes = rng.choice(levels, size=n, p=probs)
        labels = [f"L{i:02d}" for i in range(levels)]
        df[name] = pd.Categorical.from_codes(codes, categories=labels)
    return df


def rake_margins(df: pd.DataFrame) -> dict[str, pd.Series]:
    """Population counts for the raking variables: weighted counts, tilted, same grand total."""
    rng = np.random.default_rng(7)
    total = float(df["w"].sum())
    margins = {}
    for name in RAKE_VARS:
        counts = df.groupby(name, observed=False)["w"].sum()
        tilted = counts * rng.uniform(0.8, 1.25, len(counts))
        margins[name] = (tilted / tilted.sum() * total).astype(float)
    return margins


# --- ci_eval ---------------------------------------------------------------------------------


def ci_eval_steps(df: pd.DataFrame) -> dict[str, Callable[[], object]]:
    try:
        from ci_eval.survey import rake
    except ImportError:  # the weighting branch not merged
        rake = None
    margins = rake_margins(df)

    def design() -> SurveyDesign:
        return SurveyDesign(df, ids="psu", strata="stratum", weights="w")

    def means() -> object:
        return design().mean(INDICATORS)

    def domains() -> object:
        d = design()
        return [d.mean(DOMAIN_INDICATORS, by=name) for name in DOMAINS]

    def bootstrap() -> object:
        r = design().as_replicate("subbootstrap", replicates=REPLICATES, seed=1)
        return r.mean(INDICATORS)

    steps: dict[str, Callable[[], object]] = {
        "means": means,
        "domains": domains,
        "bootstrap": bootstrap,
    }
    if rake is not None:
        steps["rake"] = lambda: rake(design(), margins, tol=1e-8).weights
    return steps


def best_time(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def peak_memory(fn: Callable[[], object]) -> float:
    """Bytes allocated at the peak of ``fn`` beyond what was allocated before it."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return float(peak - base)


# --- R survey --------------------------------------------------------------------------------

R_SCRIPT = r"""
suppressPackageStartupMessages({library(survey); library(data.table)})
args <- commandArgs(trailingOnly = TRUE)
df <- as.data.frame(fread(args[1]))
ind <- strsplit(args[2], ",")[[1]]
doms <- strsplit(args[3], ",")[[1]]
dind <- strsplit(args[4], ",")[[1]]
rk <- strsplit(args[5], ",")[[1]]
reps <- as.integer(args[6])
margins <- fread(args[7])
for (d in doms) df[[d]] <- factor(df[[d]])
f_all <- as.formula(paste("~", paste(ind, collapse = "+")))
f_dom <- as.formula(paste("~", paste(dind, collapse = "+")))
timed <- function(name, expr) {
  t <- system.time(expr)[["elapsed"]]
  cat("STEP", name, t, "\n")
}
timed("means", {
  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = df)
  m <- svymean(f_all, des)
})
cat("CHECK y01", coef(m)[1], SE(m)[1], "\n")
timed("domains", {
  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = df)
  for (d in doms) b <- svyby(f_dom, as.formula(paste("~", d)), des, svymean)
})
timed("bootstrap", {
  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = df)
  rd <- as.svrepdesign(des, type = "subbootstrap", replicates = reps)
  mb <- svymean(f_all, rd)
})
pops <- lapply(rk, function(v) {
  m <- margins[margins$variable == v, ]
  out <- data.frame(factor(m$level, levels = levels(df[[v]])), m$total)
  names(out) <- c(v, "Freq")
  out
})
timed("rake", {
  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = df)
  rr <- rake(des, lapply(rk, function(v) as.formula(paste("~", v))), pops,
             control = list(maxit = 100, epsilon = 1e-8))
})
"""


def run_r(df: pd.DataFrame, workdir: Path) -> dict[str, float]:
    if shutil.which("Rscript") is None:
        return {}
    data_path, margins_path, script = (
        workdir / "sample.csv",
        workdir / "margins.csv",
        workdir / "bench.R",
    )
    out = df.copy()
    for name in DOMAINS:
        out[name] = out[name].astype(str)
    out.to_csv(data_path, index=False)
    rows = [
        (name, level, total)
        for name, series in rake_margins(df).items()
        for level, total in series.items()
    ]
    pd.DataFrame(rows, columns=["variable", "level", "total"]).to_csv(margins_path, index=False)
    script.write_text(R_SCRIPT, encoding="utf-8")
    cmd = [
        "Rscript",
        str(script),
        str(data_path),
        ",".join(INDICATORS),
        ",".join(DOMAINS),
        ",".join(DOMAIN_INDICATORS),
        ",".join(RAKE_VARS),
        str(REPLICATES),
        str(margins_path),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    times = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if parts[:1] == ["STEP"]:
            times[parts[1]] = float(parts[2])
        elif parts[:1] == ["CHECK"]:
            times["check"] = (float(parts[2]), float(parts[3]))
    if proc.returncode != 0:
        print("R failed:", proc.stderr.strip().splitlines()[-3:])
    return times


# --- svy -------------------------------------------------------------------------------------


def svy_steps(df: pd.DataFrame) -> dict[str, Callable[[], object]]:
    try:
        import polars as pl
        import svy
    except ImportError:
        return {}
    frame = pl.from_pandas(df.assign(**{name: df[name].astype(str) for name in DOMAINS}))
    design = svy.Design(stratum="stratum", psu="psu", wgt="w")
    margins = {
        name: {str(k): float(v) for k, v in series.items()}
        for name, series in rake_margins(df).items()
    }

    def sample() -> object:
        return svy.Sample(frame, design)

    def means() -> object:
        return sample().estimation.mean(INDICATORS)

    def domains() -> object:
        s = sample()
        return [s.estimation.mean(DOMAIN_INDICATORS, by=name) for name in DOMAINS]

    def bootstrap() -> object:
        s = sample().weighting.create_bs_wgts(n_reps=REPLICATES, rstate=1)
        return s.estimation.mean(INDICATORS, method="replication")

    def rake() -> object:
        return sample().weighting.rake(controls=margins, tol=1e-8, max_iter=100)

    return {"means": means, "domains": domains, "bootstrap": bootstrap, "rake": rake}


# --- report ----------------------------------------------------------------------------------


def fmt(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:8.3f}"


def ratio(other: float | None, ours: float | None) -> str:
    if other is None or ours is None or ours == 0:
        return "n/a"
    return f"{other / ours:7.1f}x"


def bench_size(n: int, args: argparse.Namespace) -> None:
    df = make_sample(n)
    data_bytes = float(df.memory_usage(deep=True).sum())
    ours = ci_eval_steps(df)
    repeat = args.repeat if n <= 100_000 else 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fn in ours.values():  # warm up (imports, first calls)
            if n <= 100_000:
                fn()
        t_ours = {name: best_time(fn, repeat) for name, fn in ours.items()}
        mem = {name: peak_memory(fn) for name, fn in ours.items()} if args.memory else {}
        svy_fns = {} if args.no_svy else svy_steps(df)
        t_svy = {name: best_time(fn, repeat) for name, fn in svy_fns.items()}
    t_r: dict = {}
    if not args.no_r:
        with tempfile.TemporaryDirectory() as tmp:
            t_r = run_r(df, Path(tmp))
    print(f"\n{n:,} rows ({data_bytes / 2**20:.0f} MiB of data)")
    print(
        f"{'step':<10} {'ci_eval s':>9} {'R s':>9} {'svy s':>9} {'R/ci_eval':>10} "
        f"{'svy/ci_eval':>11} {'peak MiB':>9} {'peak/data':>9}"
    )
    for step in STEPS:
        o, r, s = t_ours.get(step), t_r.get(step), t_svy.get(step)
        peak = mem.get(step)
        peak_txt = "n/a" if peak is None else f"{peak / 2**20:9.0f}"
        share = "n/a" if peak is None else f"{peak / data_bytes:9.2f}"
        print(
            f"{step:<10} {fmt(o):>9} {fmt(r):>9} {fmt(s):>9} {ratio(r, o):>10} "
            f"{ratio(s, o):>11} {peak_txt:>9} {share:>9}"
        )
    if "rake" not in ours:
        print("rake: not available (ci_eval.survey.rake is on the weighting branch)")
    if "check" in t_r:
        mine = SurveyDesign(df, ids="psu", strata="stratum", weights="w").mean("y01").iloc[0]
        est, se = t_r["check"]
        print(
            f"check y01: ci_eval {mine['estimate']:.10g} (se {mine['se']:.10g}), "
            f"R {est:.10g} (se {se:.10g})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="best of N (sizes up to 100k)")
    parser.add_argument("--no-r", action="store_true", help="skip R survey")
    parser.add_argument("--no-svy", action="store_true", help="skip svy")
    parser.add_argument("--no-memory", dest="memory", action="store_false")
    args = parser.parse_args()
    for n in args.sizes:
        bench_size(n, args)


if __name__ == "__main__":
    main()

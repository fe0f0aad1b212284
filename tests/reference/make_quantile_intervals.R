# Reference cases for svyquantile(interval.type = "score") (Fuller's score interval, R survey's
# ffullerCI) and for the root finder it calls, R's uniroot (issue 16).
#
#   Rscript tests/reference/make_quantile_intervals.R     (any working directory)
#
# Writes expected/quantile_intervals.json (ids "qi_*", format of README.md) and
# data/uniroot.json (roots of closed-form functions found by uniroot, read by
# tests/test_survey_quantile_score.py). Deterministic: no random draws.
#
# ffullerCI solves a step function of theta with uniroot(tol = 1 / (100 * sqrt(nrow(design)))):
# the root it returns is a point near a step, on the side uniroot's last steps leave it. Where the
# data's values lie closer together than that tolerance (the api00 / 5000 cases), the quantile R
# reports depends on those steps, so ci_eval repeats them (ci_eval.survey.uniroot); data/uniroot.json
# checks that repetition bit for bit.

local({  # common.R (beside this script): libraries, working directory, options, helpers
  flag <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  source(file.path(if (length(flag) == 1) dirname(normalizePath(sub("^--file=", "", flag))) else ".",
                   "common.R"))
})

# ---- uniroot on closed-form functions: data/uniroot.json ------------------------------------
# Each function is written with operations that give the same doubles in R and in Python
# (+, -, *, / and the C library's cos, log, exp); roots as C99 hexadecimal floats ("%a").
v <- (1:50) / 7
functions <- list(
  cos_minus_x = function(x) cos(x) - x,
  cubic = function(x) x * x * x - 2 * x - 5,
  step = function(x) sum(v > x) / 50 - 0.37,
  log_minus_half = function(x) log(x) - 0.5,
  exp_minus_ten = function(x) exp(x) - 10
)
brackets <- list(list("cos_minus_x", 0, 1), list("cos_minus_x", -3, 1), list("cubic", 2, 3),
                 list("cubic", 0, 4), list("cubic", -5, 5), list("step", 0, 8),
                 list("step", 0.1, 7.3), list("log_minus_half", 0, 10),
                 list("exp_minus_ten", 0, 10), list("exp_minus_ten", -50, 3))
roots <- list()
find_root <- function(f, lower, upper, tol, maxiter = 1000) {
  converged <- TRUE
  r <- withCallingHandlers(
    uniroot(functions[[f]], c(lower, upper), tol = tol, maxiter = maxiter),
    warning = function(w) {
      converged <<- !grepl("_NOT_ converged", conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  roots[[length(roots) + 1]] <<- list(f = f, lower = lower, upper = upper,
                                      tol = sprintf("%a", tol), maxiter = maxiter,
                                      root = sprintf("%a", r$root), iter = r$iter,
                                      converged = converged)
}
for (b in brackets) {
  for (tol in c(.Machine$double.eps^0.25, 1e-10, 1e-3, 0.05, 0.7)) {
    find_root(b[[1]], b[[2]], b[[3]], tol)
  }
}
find_root("cos_minus_x", -3, 1, 1e-15, maxiter = 2)  # stops short, with R's warning
writeLines(toJSON(list(source = paste0(R.version.string), note = paste(
  "f: cos_minus_x = cos(x) - x; cubic = x*x*x - 2*x - 5; step = (number of k/7, k = 1..50,",
  "above x) / 50 - 0.37; log_minus_half = log(x) - 0.5; exp_minus_ten = exp(x) - 10.",
  "uniroot(f, c(lower, upper), tol = tol, maxiter = maxiter)$root and $iter; converged: FALSE",
  "where uniroot warned '_NOT_ converged'; tol and root as C99 hex floats"),
  roots = roots), auto_unbox = TRUE, digits = NA, pretty = TRUE),
  file.path("data", "uniroot.json"))

# ---- score intervals: expected/quantile_intervals.json --------------------------------------
cases <- list()
record <- function(id, r, data, design, args, expected, subset = NULL, weighting = NULL,
                   note = NULL) {
  case <- list(id = id, r = r, data = data, design = design, replicate = NULL,
               weighting = weighting, call = list(fn = "quantile", args = args),
               expected = expected, rel_tol = 1e-8, note = note)
  if (!is.null(subset)) case$subset <- subset
  cases[[length(cases) + 1]] <<- case
}
# rows of a survey 4.x svyquantile result (columns quantile, lower, upper, se)
quantile_rows <- function(obj, variable, probs, by = NULL) {
  m <- obj[[variable]]
  lapply(seq_along(probs), function(i) {
    row <- list(variable = variable, level = as.character(probs[i]))
    if (!is.null(by)) row$by <- by
    c(row, list(estimate = num(m[i, 1]), se = num(m[i, 4]), ci_low = num(m[i, 2]),
                ci_high = num(m[i, 3])))
  })
}
score_args <- function(vars, probs, ...) {
  list(vars = vars, q = I(probs), interval_type = "score", ...)
}

na1 <- load_data("apiclus1_na")
na1$api_fine <- na1$api00 / 5000  # steps of 0.0002, below uniroot's tolerance here (0.00074)
apistrat <- load_data("apistrat")
apiclus2 <- load_data("apiclus2")
apisrs <- load_data("apisrs")
strat2 <- load_data("apipop_strat2")

clus1 <- list(ids = "dnum", strata = NULL, weights = "pw", fpc = "fpc")
strat <- list(ids = NULL, strata = "stype", weights = "pw", fpc = "fpc")
clus2 <- list(ids = c("dnum", "snum"), strata = NULL, weights = NULL, fpc = c("fpc1", "fpc2"))
srs <- list(ids = NULL, strata = NULL, weights = "pw", fpc = "fpc")
strat2_spec <- list(ids = c("dnum", "snum"), strata = "stype", weights = NULL,
                    fpc = c("fpc1", "fpc2"), nest = TRUE)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = na1)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
dsrs <- svydesign(id = ~1, weights = ~pw, fpc = ~fpc, data = apisrs)
dstrat2 <- svydesign(id = ~dnum + snum, strata = ~stype, fpc = ~fpc1 + fpc2, nest = TRUE,
                     data = strat2)
pop_types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
ps_spec <- list(method = "poststratify", var = "stype", totals = list(E = 4421, H = 755, M = 1018))
dclus1p <- postStratify(dclus1, ~stype, pop_types)
probs <- c(0.25, 0.5, 0.9)

for (rule in c("math", "school")) {
  q <- svyquantile(~api00, dclus1, probs, interval.type = "score", qrule = rule)
  record(sprintf("qi_dclus1_score_%s", rule),
         sprintf("svyquantile(~api00, dclus1, c(0.25, 0.5, 0.9), interval.type = 'score', qrule = '%s')", rule),
         "apiclus1_na", clus1, score_args("api00", probs, qrule = rule),
         quantile_rows(q, "api00", probs))
}
q <- svyquantile(~api00, dclus1, probs, interval.type = "score", alpha = 0.1, df = 30)
record("qi_dclus1_score_90_df30",
       "svyquantile(~api00, dclus1, c(0.25, 0.5, 0.9), interval.type = 'score', alpha = 0.1, df = 30)",
       "apiclus1_na", clus1, score_args("api00", probs, conf_level = 0.9, df = 30),
       quantile_rows(q, "api00", probs), note = "t(30) critical values for the score test")
for (w in list(list("dstrat", dstrat, "apistrat", strat, probs),
               list("dsrs", dsrs, "apisrs", srs, probs),
               list("dstrat2", dstrat2, "apipop_strat2", strat2_spec, c(0.25, 0.5)))) {
  q <- svyquantile(~api00, w[[2]], w[[5]], interval.type = "score")
  record(sprintf("qi_%s_score", w[[1]]),
         sprintf("svyquantile(~api00, %s, c(%s), interval.type = 'score')", w[[1]],
                 paste(w[[5]], collapse = ", ")),
         w[[3]], w[[4]], score_args("api00", w[[5]]), quantile_rows(q, "api00", w[[5]]))
}
# R stops here: the score test does not change sign on [min + IQR/100, max - IQR/100]
# (tests/test_survey_quantile_score.py checks that ci_eval gives missing ends with a warning)
fails <- tryCatch(svyquantile(~api00, dstrat2, 0.9, interval.type = "score"), error = identity)
stopifnot(inherits(fails, "error"), grepl("not of opposite sign", conditionMessage(fails)))
q <- svyquantile(~enroll, dclus2, probs, interval.type = "score", na.rm = TRUE)
record("qi_dclus2_score_enroll_narm",
       "svyquantile(~enroll, dclus2, c(0.25, 0.5, 0.9), interval.type = 'score', na.rm = TRUE)",
       "apiclus2", clus2, score_args("enroll", probs, na_rm = TRUE),
       quantile_rows(q, "enroll", probs),
       note = "two-stage design; the rows with enroll missing leave R's design (and x)")

# fine steps: uniroot's tolerance is wider than the steps of the score function
q <- svyquantile(~api_fine, dclus1, c(0.1, 0.25, 0.5, 0.75, 0.9), interval.type = "score")
record("qi_dclus1_score_fine",
       "svyquantile(~api_fine, dclus1, c(0.1, 0.25, 0.5, 0.75, 0.9), interval.type = 'score'); api_fine = api00 / 5000",
       "apiclus1_na", clus1,
       c(score_args("api_fine", c(0.1, 0.25, 0.5, 0.75, 0.9)),
         list(derive = list(api_fine = "api00 / 5000"))),
       quantile_rows(q, "api_fine", c(0.1, 0.25, 0.5, 0.75, 0.9)),
       note = "values 0.0002 apart, uniroot tol 0.00074: R's ends depend on uniroot's steps")

# domains: svyby(~api00, ~stype, dclus1, svyquantile, ...) computes each domain as here
by_rows <- unlist(lapply(c("E", "H", "M"), function(s) {
  q <- svyquantile(~api00, subset(dclus1, stype == s), c(0.25, 0.5), interval.type = "score")
  quantile_rows(q, "api00", c(0.25, 0.5), by = list(stype = s))
}), recursive = FALSE)
record("qi_dclus1_by_stype_score",
       "svyquantile(~api00, subset(dclus1, stype == s), c(0.25, 0.5), interval.type = 'score') for s in E, H, M",
       "apiclus1_na", clus1, score_args("api00", c(0.25, 0.5), by = "stype"), by_rows,
       note = "svyby's domains: the rows of the domain only (a subset of an uncalibrated design drops the others)")
q <- svyquantile(~api00, subset(dclus1, stype == "M"), c(0.25, 0.5), interval.type = "score")
record("qi_dclus1_subset_m_score",
       "svyquantile(~api00, subset(dclus1, stype == 'M'), c(0.25, 0.5), interval.type = 'score')",
       "apiclus1_na", clus1, score_args("api00", c(0.25, 0.5)),
       quantile_rows(q, "api00", c(0.25, 0.5)), subset = "stype == 'M'")

# calibrated designs keep every row in a subset (weight 0): they enter R's IQR, search interval,
# tolerance and the unweighted share that maps each end back to a quantile
q <- svyquantile(~api00, subset(dclus1p, stype == "M"), c(0.25, 0.5), interval.type = "score")
record("qi_dclus1_ps_subset_m_score",
       "svyquantile(~api00, subset(postStratify(dclus1, ~stype, pop.types), stype == 'M'), c(0.25, 0.5), interval.type = 'score')",
       "apiclus1_na", clus1, score_args("api00", c(0.25, 0.5)),
       quantile_rows(q, "api00", c(0.25, 0.5)), subset = "stype == 'M'", weighting = ps_spec,
       note = "R's x is every row of the calibrated design, not only the subset's")
q <- svyquantile(~api00_na + api99, dclus1p, probs, interval.type = "score", na.rm = TRUE)
record("qi_dclus1_ps_score_narm",
       "svyquantile(~api00_na + api99, postStratify(dclus1, ~stype, pop.types), c(0.25, 0.5, 0.9), interval.type = 'score', na.rm = TRUE)",
       "apiclus1_na", clus1, score_args(c("api00_na", "api99"), probs, na_rm = TRUE),
       c(quantile_rows(q, "api00_na", probs), quantile_rows(q, "api99", probs)),
       weighting = ps_spec,
       note = "calibrated design with na.rm: R keeps the rows with a missing api00_na with weight 0 and value 0 in both variables")

ids <- vapply(cases, function(x) x$id, "")
if (anyDuplicated(ids)) stop("case ids used twice: ", paste(ids[duplicated(ids)], collapse = ", "))
doc <- list(source = r_versions, data_dir = "data", cases = cases)
writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE, na = "null"),
           file.path("expected", "quantile_intervals.json"))
cat(sprintf("quantile_intervals.json %3d cases; uniroot.json %d roots\n", length(cases),
            length(roots)))

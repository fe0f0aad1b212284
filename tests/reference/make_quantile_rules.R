# Reference cases for every quantile rule of R survey's svyquantile(qrule =): "math", "school",
# "shahvaish", "hf1" to "hf9" (issue 16).
#
#   Rscript tests/reference/make_quantile_rules.R     (any working directory)
#
# Writes expected/quantile_rules.json (ids "qr_*", format of README.md) and data/qrules.json
# (R's survey:::qrule_<name>(x, w, p) on random values, weights and probabilities, as C99
# hexadecimal floats, read by tests/test_survey_quantile_rules.py, which compares them bit for
# bit with ci_eval.survey.quantile.weighted_quantile). The random draws are made here with
# set.seed and written to the file, so the tests never depend on R's random number generator.
#
# The rule sets the estimate and, through Woodruff's mapping of the share's interval back to a
# quantile (woodruffCI), Fuller's mapping of the score interval's ends (ffullerCI) and the
# replicates' quantiles (repCI), every interval type's ends: each rule is run with each type.
# The variables: api00 (few ties) and meals (a percentage: many ties); apisrs has equal weights,
# so cumulative shares fall exactly on p; apistrat's unequal weights put shahvaish's plotting
# positions out of the order of the values (R's approx sorts them).

local({  # common.R (beside this script): libraries, working directory, options, helpers
  flag <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  source(file.path(if (length(flag) == 1) dirname(normalizePath(sub("^--file=", "", flag))) else ".",
                   "common.R"))
})

rules <- c("math", "school", "shahvaish", paste0("hf", 1:9))

# ---- the rules themselves: data/qrules.json -------------------------------------------------
set.seed(20261203)
draws <- lapply(1:120, function(k) {
  n <- sample(c(2:8, 20, 50), 1)
  x <- if (k %% 2 == 1) sample(1:5, n, TRUE) else round(rnorm(n), 3)  # ties, or nearly none
  w <- switch(k %% 4 + 1, rep(1, n), sample(1:4, n, TRUE), runif(n, 0, 50), rep(30.97, n))
  if (k %% 7 == 0) w[1] <- 0  # a zero weight (dropped by every rule)
  p <- c(0, 0.1, 0.25, 1 / 3, 0.5, 0.75, 0.9, 1, runif(3))
  values <- lapply(rules, function(r) vapply(p, function(pi) {
    v <- tryCatch(suppressWarnings(get(paste0("qrule_", r), asNamespace("survey"))(x, w, pi)),
                  error = function(e) NaN)  # R stops (an interpolating rule with one row)
    sprintf("%a", v)
  }, ""))
  names(values) <- rules
  list(x = sprintf("%a", x), w = sprintf("%a", w), p = sprintf("%a", p), quantile = values)
})
# a function as qrule: the mean of hf7's and math's quantiles, on a Taylor and a replicate design
own_rule <- function(x, w, p) (survey:::qrule_hf7(x, w, p) + survey:::qrule_math(x, w, p)) / 2
d1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = load_data("apiclus1"))
function_cases <- lapply(list(list(d1, "mean"), list(d1, "score"),
                              list(as.svrepdesign(d1, type = "JK1"), "quantile")), function(a) {
  q <- suppressWarnings(svyquantile(~api00, a[[1]], c(0.25, 0.5, 0.9), qrule = own_rule,
                                    interval.type = a[[2]]))$api00
  list(replicate = if (a[[2]] == "quantile") "JK1" else NULL, interval_type = a[[2]],
       p = c(0.25, 0.5, 0.9), estimate = num(q[, 1]), ci_low = num(q[, 2]), ci_high = num(q[, 3]))
})
writeLines(toJSON(list(source = R.version.string, note = paste(
  "survey:::qrule_<rule>(x, w, p) for each p; NaN where R stops with an error;",
  "x, w, p and the quantiles as C99 hex floats. function_cases: svyquantile(~api00, dclus1",
  "(as.svrepdesign(dclus1, 'JK1') where replicate is JK1), p, interval.type, qrule = function(x,",
  "w, p) (qrule_hf7(x, w, p) + qrule_math(x, w, p)) / 2), on data/apiclus1.csv"),
  draws = draws, function_cases = function_cases),
  auto_unbox = TRUE, digits = NA, pretty = FALSE), file.path("data", "qrules.json"))

# ---- svyquantile with each rule: expected/quantile_rules.json ---------------------------------
cases <- list()
record <- function(id, r, data, design, args, expected, replicate = NULL, subset = NULL,
                   weighting = NULL, note = NULL) {
  case <- list(id = id, r = r, data = data, design = design, replicate = replicate,
               weighting = weighting, call = list(fn = "quantile", args = args),
               expected = expected, rel_tol = 1e-8, note = note)
  if (!is.null(subset)) case$subset <- subset
  cases[[length(cases) + 1]] <<- case
}
# rows of a survey 4.x svyquantile result (columns quantile, lower, upper, se)
quantile_rows <- function(obj, variables, probs, by = NULL) {
  unlist(lapply(variables, function(v) {
    m <- obj[[v]]
    lapply(seq_along(probs), function(i) {
      row <- list(variable = v, level = as.character(probs[i]))
      if (!is.null(by)) row$by <- by
      c(row, list(estimate = num(m[i, 1]), se = num(m[i, 4]), ci_low = num(m[i, 2]),
                  ci_high = num(m[i, 3])))
    })
  }), recursive = FALSE)
}
fmt <- function(probs) paste(probs, collapse = ", ")
quantile_args <- function(vars, probs, rule, type, ...) {
  list(vars = vars, q = I(probs), qrule = rule, interval_type = type, ...)
}
formula_of <- function(vars) paste0("~", paste(vars, collapse = " + "))
# one case: svyquantile(formula, design, probs, interval.type = type, qrule = rule, ...)
run <- function(id, design_name, design, data, spec, vars, probs, rule, type, replicate = NULL,
                subset = NULL, weighting = NULL, na_rm = FALSE, note = NULL) {
  q <- svyquantile(as.formula(formula_of(vars)), design, probs, interval.type = type,
                   qrule = rule, na.rm = na_rm)
  args <- quantile_args(vars, probs, rule, type)
  if (na_rm) args$na_rm <- TRUE
  record(id, sprintf("svyquantile(%s, %s, c(%s), interval.type = '%s', qrule = '%s'%s)",
                     formula_of(vars), design_name, fmt(probs), type, rule,
                     if (na_rm) ", na.rm = TRUE" else ""),
         data, spec, args, quantile_rows(q, vars, probs), replicate = replicate,
         subset = subset, weighting = weighting, note = note)
}

apiclus1 <- load_data("apiclus1")
apistrat <- load_data("apistrat")
apisrs <- load_data("apisrs")
apiclus2 <- load_data("apiclus2")
boot50 <- load_data("apiclus1_bootstrap50")
clus1 <- list(ids = "dnum", strata = NULL, weights = "pw", fpc = "fpc")
strat <- list(ids = NULL, strata = "stype", weights = "pw", fpc = "fpc")
srs <- list(ids = NULL, strata = NULL, weights = "pw", fpc = "fpc")
clus2 <- list(ids = c("dnum", "snum"), strata = NULL, weights = NULL, fpc = c("fpc1", "fpc2"))
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
dsrs <- svydesign(id = ~1, weights = ~pw, fpc = ~fpc, data = apisrs)
dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
jk1 <- as.svrepdesign(dclus1, type = "JK1")
bs_frame <- cbind(apiclus1, boot50)
bs <- svrepdesign(data = bs_frame, repweights = bs_frame[, names(boot50)], weights = ~pw,
                  type = "bootstrap", combined.weights = TRUE, scale = 0.021865889212828,
                  rscales = 1, mse = FALSE)
boot_spec <- list(type = "bootstrap", repweights_file = "apiclus1_bootstrap50.csv",
                  scale = 0.021865889212828, rscales = 1, mse = FALSE, combined_weights = TRUE)
ps_spec <- list(method = "poststratify", var = "stype", totals = list(E = 4421, H = 755, M = 1018))
dclus1p <- postStratify(dclus1, ~stype, data.frame(stype = c("E", "H", "M"),
                                                   Freq = c(4421, 755, 1018)))
probs5 <- c(0.1, 0.25, 0.5, 0.75, 0.9)
probs3 <- c(0.25, 0.5, 0.9)
both <- c("api00", "meals")

for (rule in rules) {
  # Taylor designs: one-stage cluster (every interval type; not p = 0.9 with the score interval:
  # R stops there for meals, the score test not changing sign), stratified, SRS, two-stage
  for (type in c("mean", "beta", "xlogit", "asin", "score")) {
    run(sprintf("qr_dclus1_%s_%s", rule, type), "dclus1", dclus1, "apiclus1", clus1, both,
        if (type == "mean") probs5 else c(0.25, 0.5, 0.75), rule, type)
  }
  run(sprintf("qr_dstrat_%s", rule), "dstrat", dstrat, "apistrat", strat, both, probs5, rule,
      "mean")
  run(sprintf("qr_dstrat_%s_score", rule), "dstrat", dstrat, "apistrat", strat, "api00", probs3,
      rule, "score")
  run(sprintf("qr_dsrs_%s", rule), "dsrs", dsrs, "apisrs", srs, both, probs5, rule, "mean",
      note = "equal weights: cumulative shares equal to p")
  run(sprintf("qr_dclus2_%s_narm", rule), "dclus2", dclus2, "apiclus2", clus2, "enroll", probs3,
      rule, "mean", na_rm = TRUE)
  # domains: svyby(~api00, ~stype, dclus1, svyquantile, ...) computes each domain as here
  rows <- unlist(lapply(c("E", "H", "M"), function(s) {
    q <- svyquantile(~api00 + meals, subset(dclus1, stype == s), c(0.25, 0.5), qrule = rule)
    quantile_rows(q, both, c(0.25, 0.5), by = list(stype = s))
  }), recursive = FALSE)
  record(sprintf("qr_dclus1_by_stype_%s", rule),
         sprintf("svyquantile(~api00 + meals, subset(dclus1, stype == s), c(0.25, 0.5), qrule = '%s') for s in E, H, M", rule),
         "apiclus1", clus1, list(vars = both, q = I(c(0.25, 0.5)), qrule = rule, by = "stype"),
         rows)
  # api00 only: for meals, hf5, hf6 and hf9 put the median on a value of meals (37) up to
  # rounding, so the share at or below it hangs on the last bits of the post-stratified weights
  # (R's 1 / ((1 / w) / (N / N^)) and ci_eval's w N / N^ are 4 units in the last place apart)
  run(sprintf("qr_dclus1_ps_subset_m_%s", rule), "subset(postStratify(dclus1, ~stype, pop.types), stype == 'M')",
      subset(dclus1p, stype == "M"), "apiclus1", clus1, "api00", probs3, rule, "mean",
      subset = "stype == 'M'", weighting = ps_spec)
  # replicate designs: JK1 (replicate quantiles and Woodruff), bootstrap weights, domains
  for (type in c("quantile", "mean")) {
    run(sprintf("qr_dclus1_jk1_%s_%s", rule, type), "as.svrepdesign(dclus1, type = 'JK1')", jk1,
        "apiclus1", clus1, both, probs3, rule, type, replicate = list(type = "JK1"))
  }
  run(sprintf("qr_dclus1_boot50_%s", rule), "bs (weights in data/apiclus1_bootstrap50.csv)", bs,
      "apiclus1", clus1, both, probs3, rule, "quantile", replicate = boot_spec)
  rows <- unlist(lapply(c("E", "H", "M"), function(s) {
    q <- svyquantile(~api00 + meals, subset(jk1, stype == s), c(0.25, 0.5), qrule = rule,
                     interval.type = "quantile")
    quantile_rows(q, both, c(0.25, 0.5), by = list(stype = s))
  }), recursive = FALSE)
  record(sprintf("qr_dclus1_jk1_by_stype_%s", rule),
         sprintf("svyquantile(~api00 + meals, subset(as.svrepdesign(dclus1, type = 'JK1'), stype == s), c(0.25, 0.5), interval.type = 'quantile', qrule = '%s') for s in E, H, M", rule),
         "apiclus1", clus1,
         list(vars = both, q = I(c(0.25, 0.5)), qrule = rule, interval_type = "quantile",
              by = "stype"),
         rows, replicate = list(type = "JK1"))
}

ids <- vapply(cases, function(x) x$id, "")
if (anyDuplicated(ids)) stop("case ids used twice: ", paste(ids[duplicated(ids)], collapse = ", "))
doc <- list(source = r_versions, data_dir = "data", cases = cases)
writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE, na = "null"),
           file.path("expected", "quantile_rules.json"))
cat(sprintf("quantile_rules.json %3d cases; qrules.json %d draws\n", length(cases),
            length(draws)))

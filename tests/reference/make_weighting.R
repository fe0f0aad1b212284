# Weighting reference cases from R `survey` that the main case book (make_expected.R) does not
# cover: logit and bounded raking calibration, calibration on replicate designs, a two-stage design,
# R's weight rescaling before bounded calibration, calibration with and without an intercept, strict
# trimming, partial post-stratification, weighting steps in sequence, three-way raking, and domain
# estimates, totals and ratios on weighted designs (where the variance adjustment meets domains).
#
#   Rscript tests/reference/make_weighting.R     (any working directory; needs survey and jsonlite)
#
# Reads the data files that make_expected.R wrote to data/ (the R `survey` example data with '.' in
# names replaced by '_'), and writes expected/weighting.json in the format of README.md, with these
# fields that ci_eval's runner (tests/reference_runner.py) also reads:
#   weighting.control   {"epsilon": e, "maxit": m}: the control given to R's rake()
#   weighting.strict    trimWeights(strict = TRUE)
#   weighting.partial   postStratify(partial = TRUE)
#   weighting.method "chain" with weighting.steps: several weighting steps, applied in order
#   calibrate formulas "~api99" (intercept total given: the population size) and "~api99 - 1"

local({  # common.R (beside this script): libraries, working directory, options, helpers
  flag <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  source(file.path(if (length(flag) == 1) dirname(normalizePath(sub("^--file=", "", flag))) else ".",
                   "common.R"))
})

read <- function(name) {
  frame <- read.csv(file.path("data", paste0(name, ".csv")), stringsAsFactors = FALSE)
  frame
}
apiclus1 <- read("apiclus1")
apiclus2 <- read("apiclus2")
apistrat <- read("apistrat")

dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dclus1_jk <- as.svrepdesign(dclus1, type = "JK1")
dclus1_one <- svydesign(id = ~dnum, probs = ~1, data = apiclus1)
dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)

spec_dclus1 <- list(ids = "dnum", strata = NULL, weights = "pw", fpc = "fpc")
spec_dclus1_one <- list(ids = "dnum", strata = NULL, weights = NULL, fpc = NULL, probs = "one")
spec_dclus2 <- list(ids = c("dnum", "snum"), strata = NULL, weights = NULL, fpc = c("fpc1", "fpc2"))
spec_dstrat <- list(ids = NULL, strata = "stype", weights = "pw", fpc = "fpc")
jk1 <- list(type = "JK1")

pop_stype <- list(E = 4421, H = 755, M = 1018)
pop_schwide <- list(No = 1072, Yes = 5122)
pop_compimp <- list(No = 1712, Yes = 4482)
as_pop <- function(var, totals) {
  frame <- data.frame(names(totals), unlist(totals, use.names = FALSE))
  names(frame) <- c(var, "Freq")
  frame
}
pop.types <- as_pop("stype", pop_stype)
pop.schwide <- as_pop("sch_wide", pop_schwide)
pop.compimp <- as_pop("comp_imp", pop_compimp)
cal_totals <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069)
cal_spec <- function(calfun = "linear", bounds = NULL, formula = "~stype + api99",
                     totals = as.list(cal_totals)) {
  out <- list(method = "calibrate", formula = formula, calfun = calfun, totals = totals)
  if (!is.null(bounds)) out$bounds <- bounds
  out
}
tight <- list(epsilon = 1e-12, maxit = 200)

cases <- list()
record <- function(id, r, data, design, weighting, call, expected, replicate = NULL,
                   tol = 1e-8, note = NULL) {
  cases[[length(cases) + 1]] <<- list(
    id = id, r = r, data = data, design = design, replicate = replicate, weighting = weighting,
    call = call, expected = expected, rel_tol = tol, note = note)
}
mean_call <- list(fn = "mean", args = list(vars = "api00"))
weighted_result <- function(des) {
  m <- svymean(~api00, des)
  w <- if (inherits(des, "svyrep.design")) weights(des, type = "sampling") else weights(des)
  list(mean = list(variable = "api00", estimate = num(coef(m)), se = num(SE(m))), weights = num(w))
}
rows <- function(obj, variable) {
  est <- num(coef(obj))
  se <- num(SE(obj))
  lapply(seq_along(est), function(k) list(variable = variable, estimate = est[k], se = se[k]))
}
by_rows <- function(obj, byvar, variable) {
  frame <- as.data.frame(obj)
  lapply(seq_len(nrow(frame)), function(i) {
    dom <- list(as.character(frame[[byvar]][i]))
    names(dom) <- byvar
    list(variable = variable, by = dom, estimate = num(frame[[2]][i]), se = num(frame[["se"]][i]))
  })
}

# --- calibration functions and bounds ---------------------------------------------------------
record("wt_dclus1_calibrate_logit",
       "calibrate(dclus1, ~stype+api99, pop.totals, calfun='logit', bounds=c(0.5, 2)); svymean(~api00)",
       "apiclus1", spec_dclus1, cal_spec("logit", c(0.5, 2)), mean_call,
       weighted_result(calibrate(dclus1, ~stype + api99, cal_totals, calfun = "logit",
                                 bounds = c(0.5, 2))),
       tol = 1e-6, note = "Newton iterations to R's default epsilon = 1e-7")
record("wt_dclus1_calibrate_raking_bounded",
       "calibrate(dclus1, ~stype+api99, pop.totals, calfun='raking', bounds=c(0.5, 1.6)); svymean(~api00)",
       "apiclus1", spec_dclus1, cal_spec("raking", c(0.5, 1.6)), mean_call,
       weighted_result(calibrate(dclus1, ~stype + api99, cal_totals, calfun = "raking",
                                 bounds = c(0.5, 1.6))),
       tol = 1e-6, note = "Newton iterations to R's default epsilon = 1e-7")
record("wt_dclus1_one_calibrate_bounded_rescaled",
       "calibrate(svydesign(id=~dnum, probs=~1, data=apiclus1), ~stype+api99, pop.totals, bounds=c(0.5, 2)); svymean(~api00)",
       "apiclus1", spec_dclus1_one, cal_spec("linear", c(0.5, 2)), mean_call,
       weighted_result(suppressWarnings(calibrate(dclus1_one, ~stype + api99, cal_totals,
                                                  bounds = c(0.5, 2)))),
       note = paste("weights 1: every total is over 20 times its estimate, so R rescales the",
                    "weights by the mean ratio first and the bounds apply to the rescaled weights"))

# --- replicate designs -------------------------------------------------------------------------
record("wt_dclus1_jk1_calibrate_raking",
       "calibrate(as.svrepdesign(dclus1, type='JK1'), ~stype+api99, pop.totals, calfun='raking'); svymean(~api00)",
       "apiclus1", spec_dclus1, cal_spec("raking"), mean_call,
       weighted_result(calibrate(dclus1_jk, ~stype + api99, cal_totals, calfun = "raking")),
       replicate = jk1, tol = 1e-6, note = "Newton iterations to R's default epsilon = 1e-7")
record("wt_dclus1_jk1_calibrate_bounded",
       "calibrate(as.svrepdesign(dclus1, type='JK1'), ~stype+api99, pop.totals, bounds=c(0.45, 2.2)); svymean(~api00)",
       "apiclus1", spec_dclus1, cal_spec("linear", c(0.45, 2.2)), mean_call,
       weighted_result(calibrate(dclus1_jk, ~stype + api99, cal_totals, bounds = c(0.45, 2.2))),
       replicate = jk1, tol = 1e-6,
       note = paste("bounds met by every replicate (with c(0.5, 2) one replicate does not converge:",
                    "R warns and keeps it, ci_eval raises ConvergenceError)"))

# --- intercept or not ----------------------------------------------------------------------------
record("wt_dclus1_calibrate_api99_population",
       "calibrate(dclus1, ~api99, c(`(Intercept)`=6194, api99=3914069)); svymean(~api00)",
       "apiclus1", spec_dclus1,
       cal_spec(formula = "~api99", totals = list(`(Intercept)` = 6194, api99 = 3914069)), mean_call,
       weighted_result(calibrate(dclus1, ~api99, c(`(Intercept)` = 6194, api99 = 3914069))))
record("wt_dclus1_calibrate_api99_no_intercept",
       "calibrate(dclus1, ~api99-1, c(api99=3914069)); svymean(~api00)",
       "apiclus1", spec_dclus1,
       cal_spec(formula = "~api99 - 1", totals = list(api99 = 3914069)), mean_call,
       weighted_result(calibrate(dclus1, ~api99 - 1, c(api99 = 3914069))))

# --- two-stage design ------------------------------------------------------------------------------
record("wt_dclus2_calibrate_linear",
       "calibrate(dclus2, ~stype+api99, pop.totals); svymean(~api00)",
       "apiclus2", spec_dclus2, cal_spec(), mean_call,
       weighted_result(calibrate(dclus2, ~stype + api99, cal_totals)))
record("wt_dclus2_poststratify",
       "postStratify(dclus2, ~stype, pop.types); svymean(~api00)",
       "apiclus2", spec_dclus2, list(method = "poststratify", var = "stype", totals = pop_stype),
       mean_call, weighted_result(postStratify(dclus2, ~stype, pop.types)))

# --- three margins, R's rule and converged ----------------------------------------------------------
rake3 <- list(~stype, ~sch_wide, ~comp_imp)
pops3 <- list(pop.types, pop.schwide, pop.compimp)
margins3 <- list(stype = pop_stype, sch_wide = pop_schwide, comp_imp = pop_compimp)
record("wt_dstrat_rake_three",
       "rake(dstrat, list(~stype, ~sch.wide, ~comp.imp), list(pop.types, pop.schwide, pop.compimp)); svymean(~api00)",
       "apistrat", spec_dstrat, list(method = "rake", margins = margins3), mean_call,
       weighted_result(rake(dstrat, rake3, pops3)),
       note = "R's default control (epsilon = 1, maxit = 10); ci_eval reproduces R's stopping rule")
record("wt_dstrat_rake_three_tight",
       "rake(dstrat, list(~stype, ~sch.wide, ~comp.imp), list(pop.types, pop.schwide, pop.compimp), control=list(epsilon=1e-12, maxit=200)); svymean(~api00)",
       "apistrat", spec_dstrat, list(method = "rake", margins = margins3, control = tight), mean_call,
       weighted_result(rake(dstrat, rake3, pops3, control = tight)))

# --- trimming and partial post-stratification ----------------------------------------------------
record("wt_dstrat_trim_strict",
       "trimWeights(dstrat, upper=33, lower=18, strict=TRUE); svymean(~api00)",
       "apistrat", spec_dstrat, list(method = "trim", lower = 18, upper = 33, strict = TRUE),
       mean_call, weighted_result(trimWeights(dstrat, upper = 33, lower = 18, strict = TRUE)),
       note = "strict: the cut amount is shared out again until every weight is within the bounds")
pop_partial <- c(pop_stype, list(X = 50))
record("wt_dclus1_poststratify_partial",
       "postStratify(dclus1, ~stype, rbind(pop.types, data.frame(stype='X', Freq=50)), partial=TRUE); svymean(~api00)",
       "apiclus1", spec_dclus1,
       list(method = "poststratify", var = "stype", totals = pop_partial, partial = TRUE), mean_call,
       weighted_result(suppressWarnings(postStratify(dclus1, ~stype, as_pop("stype", pop_partial),
                                                     partial = TRUE))))

# --- steps in sequence ---------------------------------------------------------------------------
ps_cal <- calibrate(postStratify(dclus1, ~sch_wide, pop.schwide), ~api99,
                    c(`(Intercept)` = 6194, api99 = 3914069))
record("wt_dclus1_poststratify_calibrate",
       "calibrate(postStratify(dclus1, ~sch.wide, pop.schwide), ~api99, c(`(Intercept)`=6194, api99=3914069)); svymean(~api00)",
       "apiclus1", spec_dclus1,
       list(method = "chain", steps = list(
         list(method = "poststratify", var = "sch_wide", totals = pop_schwide),
         cal_spec(formula = "~api99", totals = list(`(Intercept)` = 6194, api99 = 3914069)))),
       mean_call, weighted_result(ps_cal))
ps_trim <- trimWeights(postStratify(dclus1, ~stype, pop.types), upper = 45, lower = 25)
record("wt_dclus1_poststratify_trim",
       "trimWeights(postStratify(dclus1, ~stype, pop.types), upper=45, lower=25); svymean(~api00)",
       "apiclus1", spec_dclus1,
       list(method = "poststratify_trim", var = "stype", totals = pop_stype,
            trim = list(lower = 25, upper = 45)),
       mean_call, weighted_result(ps_trim),
       note = "the variance keeps R's post-stratification adjustment with the untrimmed weights")

# --- other estimators and domains on weighted designs ----------------------------------------------
raked <- rake(dclus1, list(~stype, ~sch_wide), list(pop.types, pop.schwide), control = tight)
rake_spec <- list(method = "rake", margins = list(stype = pop_stype, sch_wide = pop_schwide),
                  control = tight)
record("wt_dclus1_rake_by_schwide",
       "svyby(~api00, ~sch.wide, rake(dclus1, ..., control=list(epsilon=1e-12, maxit=200)), svymean)",
       "apiclus1", spec_dclus1, rake_spec, list(fn = "mean", args = list(vars = "api00", by = "sch_wide")),
       by_rows(svyby(~api00, ~sch_wide, raked, svymean), "sch_wide", "api00"))
record("wt_dclus1_rake_total_enroll",
       "svytotal(~enroll, rake(dclus1, ..., control=list(epsilon=1e-12, maxit=200)), na.rm=TRUE)",
       "apiclus1", spec_dclus1, rake_spec,
       list(fn = "total", args = list(vars = "enroll", na_rm = TRUE)),
       rows(svytotal(~enroll, raked, na.rm = TRUE), "enroll"))
caled <- calibrate(dclus1, ~stype + api99, cal_totals)
record("wt_dclus1_calibrate_by_schwide",
       "svyby(~api00, ~sch.wide, calibrate(dclus1, ~stype+api99, pop.totals), svymean)",
       "apiclus1", spec_dclus1, cal_spec(), list(fn = "mean", args = list(vars = "api00", by = "sch_wide")),
       by_rows(svyby(~api00, ~sch_wide, caled, svymean), "sch_wide", "api00"))
record("wt_dclus1_calibrate_ratio",
       "svyratio(~api.stu, ~enroll, calibrate(dclus1, ~stype+api99, pop.totals))",
       "apiclus1", spec_dclus1, cal_spec(),
       list(fn = "ratio", args = list(numerator = "api_stu", denominator = "enroll")),
       rows(svyratio(~api_stu, ~enroll, caled), "api_stu/enroll"))
posted <- postStratify(dstrat, ~sch_wide, pop.schwide)
record("wt_dstrat_poststratify_by_stype",
       "svyby(~api00, ~stype, postStratify(dstrat, ~sch.wide, pop.schwide), svytotal)",
       "apistrat", spec_dstrat, list(method = "poststratify", var = "sch_wide", totals = pop_schwide),
       list(fn = "total", args = list(vars = "api00", by = "stype")),
       by_rows(svyby(~api00, ~stype, posted, svytotal), "stype", "api00"))

# --- subpopulations of weighted designs (the subset keeps the design, as R's subset) ---------------
record("wt_dclus1_calibrate_subset_e",
       "svymean(~api00, subset(calibrate(dclus1, ~stype+api99, pop.totals), stype == 'E'))",
       "apiclus1", spec_dclus1, cal_spec(), mean_call,
       rows(svymean(~api00, subset(caled, stype == "E")), "api00"))
cases[[length(cases)]]$subset <- "stype == 'E'"
record("wt_dclus1_rake_subset_yes",
       "svymean(~api00, subset(rake(dclus1, ..., control=list(epsilon=1e-12, maxit=200)), sch.wide == 'Yes'))",
       "apiclus1", spec_dclus1, rake_spec, mean_call,
       rows(svymean(~api00, subset(raked, sch_wide == "Yes")), "api00"))
cases[[length(cases)]]$subset <- "sch_wide == 'Yes'"
record("wt_dclus1_jk1_poststratify_subset_e",
       "svymean(~api00, subset(postStratify(as.svrepdesign(dclus1, type='JK1'), ~stype, pop.types), stype == 'E'))",
       "apiclus1", spec_dclus1, list(method = "poststratify", var = "stype", totals = pop_stype),
       mean_call,
       rows(svymean(~api00, subset(postStratify(dclus1_jk, ~stype, pop.types), stype == "E")),
            "api00"),
       replicate = jk1)
cases[[length(cases)]]$subset <- "stype == 'E'"

source_line <- sprintf("%s; survey %s", R.version.string, packageVersion("survey"))
out <- list(source = source_line, data_dir = "data", cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           file.path("expected", "weighting.json"))
cat(sprintf("weighting.json   %3d cases\n", length(cases)))

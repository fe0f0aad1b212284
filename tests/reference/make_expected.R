# Regenerate ci_eval's reference cases from R `survey` (Thomas Lumley).
#
#   Rscript tests/reference/make_expected.R        (from the repo root; any working directory works:
#                                                   the script moves to its own folder first)
#
# Needs R with the packages survey and jsonlite (Debian: r-base-core r-cran-survey r-cran-jsonlite).
# Writes, next to this script:
#   data/*.csv              the survey example data (names with '.' -> '_'), derived designs, replicate
#                           weights drawn here with fixed seeds
#   expected/api.json       core cases (means, totals, ratios, domains, glm, replicate, weighting)
#   expected/api_more.json  quantiles, Rao-Scott test, raking calibration, trimming, BRR ratio,
#                           two-stage glm and domain
#   expected/extra.json     lonely PSUs, multistage variants, probabilities, domains, subsets,
#                           svyciprop methods, more quantiles, glm families, tests, replicate designs,
#                           weighting on replicate designs, bounded calibration
# The case format is described in README.md beside this script.

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

here <- local({
  flag <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  if (length(flag) == 1) dirname(normalizePath(sub("^--file=", "", flag))) else getwd()
})
setwd(here)
dir.create("data", showWarnings = FALSE)
dir.create("expected", showWarnings = FALSE)
options(survey.lonely.psu = "fail")

data(api)
data(scd)

# ------------------------------------------------------------------------------------------------
# Helpers: names, data files, case books
# ------------------------------------------------------------------------------------------------

snake <- function(x) gsub(".", "_", x, fixed = TRUE)

save_csv <- function(frame, name) {
  names(frame) <- snake(names(frame))
  write.csv(frame, file.path("data", paste0(name, ".csv")), row.names = FALSE, na = "")
}

# Design descriptions as the cases print them (column names already in '_' form).
describe <- function(data, ids = NULL, strata = NULL, weights = NULL, fpc = NULL, ...) {
  c(list(data = data, ids = ids, strata = strata, weights = weights, fpc = fpc), list(...))
}

books <- list(api = list(), api_more = list(), extra = list())

record <- function(book, id, r, spec, call, expected, replicate = NULL, weighting = NULL,
                   tol = 1e-8, note = NULL, subset = NULL) {
  design <- spec[setdiff(names(spec), "data")]
  entry <- list(id = id, r = r, data = spec$data, design = design)
  if (!is.null(subset)) entry$subset <- subset
  entry <- c(entry, list(replicate = replicate, weighting = weighting, call = call,
                         expected = expected, rel_tol = tol, note = note))
  books[[book]][[length(books[[book]]) + 1]] <<- entry
  invisible(NULL)
}

fn_call <- function(fn, ...) list(fn = fn, args = list(...))

num <- function(x) as.numeric(unname(x))

# One row per coefficient of a svystat-like object; `levels` for factor variables.
stat_table <- function(obj, variables, levels = NULL) {
  est <- num(coef(obj))
  se <- num(SE(obj))
  out <- vector("list", length(est))
  for (k in seq_along(est)) {
    out[[k]] <- list(variable = variables[min(k, length(variables))],
                     level = if (is.null(levels)) NULL else levels[k],
                     estimate = est[k], se = se[k])
  }
  out
}

# Rows for a factor: R names the coefficients <variable><level>.
level_table <- function(obj, rvar) {
  levels <- substring(names(coef(obj)), nchar(rvar) + 1)
  stat_table(obj, snake(rvar), levels)
}

# Rows of an svyby result: one per domain and variable. `vars` are R's column names; for a factor
# variable give `levels` (R's columns are <variable><level>) and the rows carry "level".
domain_table <- function(obj, byvars, vars, levels = NULL, variable = NULL) {
  frame <- as.data.frame(obj)
  est_cols <- if (is.null(levels)) vars else paste0(vars, levels)
  se_cols <- if (length(est_cols) == 1) "se" else paste0("se.", est_cols)
  out <- list()
  for (k in seq_along(est_cols)) {
    for (i in seq_len(nrow(frame))) {
      dom <- lapply(byvars, function(v) as.character(frame[[v]][i]))
      names(dom) <- snake(byvars)
      row <- list(variable = if (is.null(variable)) snake(vars[min(k, length(vars))]) else variable)
      if (!is.null(levels)) row$level <- levels[k]
      row <- c(row, list(by = dom, estimate = num(frame[[est_cols[k]]][i]),
                         se = num(frame[[se_cols[k]]][i])))
      out[[length(out) + 1]] <- row
    }
  }
  out
}

# Rows of a survey 4.x svyquantile result for one variable.
quantile_table <- function(obj, rvar, probs) {
  m <- obj[[rvar]]
  lapply(seq_along(probs), function(i) {
    list(variable = snake(rvar), level = as.character(probs[i]), estimate = num(m[i, "quantile"]),
         se = num(m[i, "se"]), ci_low = num(m[i, 2]), ci_high = num(m[i, 3]))
  })
}

# Coefficient rows of an svyglm; `full` adds the t statistic, residual df and p-value.
coef_table <- function(model, full = FALSE) {
  tab <- summary(model)$coefficients
  lapply(seq_len(nrow(tab)), function(i) {
    row <- list(term = rownames(tab)[i], estimate = num(tab[i, 1]), se = num(tab[i, 2]))
    if (full) {
      row <- c(row, list(statistic = num(tab[i, 3]), df = num(model$df.residual),
                         p_value = num(tab[i, 4])))
    }
    row
  })
}

# Weighting cases: the mean after weighting and the final sampling weights, one per data row.
weighted_result <- function(des, rvar = "api00") {
  m <- svymean(as.formula(paste0("~", rvar)), des)
  w <- if (inherits(des, "svyrep.design")) weights(des, type = "sampling") else weights(des)
  list(mean = list(variable = snake(rvar), estimate = num(coef(m)), se = num(SE(m))),
       weights = num(w))
}

ciprop_row <- function(obj, variable, level) {
  ci <- num(attr(obj, "ci"))
  list(list(variable = variable, level = level, estimate = num(coef(obj)), se = num(SE(obj)),
            ci_low = ci[1], ci_high = ci[2]))
}

formula_of <- function(v) as.formula(paste0("~", v))

# ------------------------------------------------------------------------------------------------
# Data files that ship with R survey
# ------------------------------------------------------------------------------------------------

for (nm in c("apistrat", "apiclus1", "apiclus2", "apisrs", "apipop")) save_csv(get(nm), nm)
save_csv(scd, "scd")

# ------------------------------------------------------------------------------------------------
# The standard designs (R's own examples)
# ------------------------------------------------------------------------------------------------

dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
dclus1_nofpc <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1)
dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
dsrs <- svydesign(id = ~1, weights = ~pw, fpc = ~fpc, data = apisrs)
scdnofpc <- svydesign(id = ~ambulance, strata = ~ESA, prob = ~1, nest = TRUE, data = scd)

spec <- list(
  dstrat = describe("apistrat", strata = "stype", weights = "pw", fpc = "fpc"),
  dclus1 = describe("apiclus1", ids = "dnum", weights = "pw", fpc = "fpc"),
  dclus1_nofpc = describe("apiclus1", ids = "dnum", weights = "pw"),
  dclus2 = describe("apiclus2", ids = c("dnum", "snum"), fpc = c("fpc1", "fpc2")),
  dsrs = describe("apisrs", weights = "pw", fpc = "fpc"),
  # key order as in the shared reference file: ids, strata, weights, probs, fpc, nest
  scd = list(data = "scd", ids = "ambulance", strata = "ESA", weights = NULL, probs = "one", fpc = NULL,
             nest = TRUE)
)

pop_stype <- list(E = 4421, H = 755, M = 1018)
pop_schwide <- list(No = 1072, Yes = 5122)
pop.types <- data.frame(stype = names(pop_stype), Freq = unlist(pop_stype, use.names = FALSE))
pop.schwide <- data.frame(sch.wide = names(pop_schwide), Freq = unlist(pop_schwide, use.names = FALSE))
cal_totals <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069)

# ================================================================================================
# api.json and api_more.json
# ================================================================================================

for (d in c("dstrat", "dclus1", "dclus1_nofpc", "dclus2", "dsrs")) {
  des <- get(d)
  record("api", paste0(d, "_mean_api00"), sprintf("svymean(~api00, %s)", d), spec[[d]],
         fn_call("mean", vars = "api00"), stat_table(svymean(~api00, des), "api00"))
  record("api", paste0(d, "_total_enroll"), sprintf("svytotal(~enroll, %s, na.rm=TRUE)", d), spec[[d]],
         fn_call("total", vars = "enroll", na_rm = TRUE),
         stat_table(svytotal(~enroll, des, na.rm = TRUE), "enroll"))
  record("api", paste0(d, "_mean_stype"), sprintf("svymean(~stype, %s)", d), spec[[d]],
         fn_call("mean", vars = "stype"), level_table(svymean(~stype, des), "stype"))
}

record("api", "dclus2_mean_three_narm", "svymean(~api00+api99+enroll, dclus2, na.rm=TRUE)", spec$dclus2,
       fn_call("mean", vars = c("api00", "api99", "enroll"), na_rm = TRUE),
       stat_table(svymean(~api00 + api99 + enroll, dclus2, na.rm = TRUE), c("api00", "api99", "enroll")),
       note = "na.rm drops rows with any NA among the three, as R does")

for (d in c("dclus1", "dstrat")) {
  record("api", paste0(d, "_ratio"), sprintf("svyratio(~api.stu, ~enroll, %s)", d), spec[[d]],
         fn_call("ratio", numerator = "api_stu", denominator = "enroll"),
         stat_table(svyratio(~api.stu, ~enroll, get(d)), "api_stu/enroll"))
}

record("api", "dclus1_var", "svyvar(~api00, dclus1)", spec$dclus1, fn_call("var", vars = "api00"),
       stat_table(svyvar(~api00, dclus1), "api00"))

quartiles <- c(0.25, 0.5, 0.75)
for (d in c("dclus1", "dstrat")) {
  record("api_more", paste0(d, "_quantile_api00"),
         sprintf("svyquantile(~api00, %s, quantiles=c(.25,.5,.75))", d), spec[[d]],
         fn_call("quantile", vars = "api00", q = quartiles),
         quantile_table(svyquantile(~api00, get(d), quantiles = quartiles), "api00", quartiles),
         note = "qrule='math', Woodruff interval; se is derived from the interval as R does")
}

record("api", "dclus1_by_stype", "svyby(~api00, ~stype, dclus1, svymean)", spec$dclus1,
       fn_call("mean", vars = "api00", by = "stype"),
       domain_table(svyby(~api00, ~stype, dclus1, svymean), "stype", "api00"))
record("api", "dclus1_by_stype_schwide", "svyby(~api00, ~stype+sch.wide, dclus1, svymean)", spec$dclus1,
       fn_call("mean", vars = "api00", by = c("stype", "sch_wide")),
       domain_table(svyby(~api00, ~stype + sch.wide, dclus1, svymean), c("stype", "sch.wide"), "api00"))
record("api", "dstrat_by_stype_total", "svyby(~api00, ~stype, dstrat, svytotal)", spec$dstrat,
       fn_call("total", vars = "api00", by = "stype"),
       domain_table(svyby(~api00, ~stype, dstrat, svytotal), "stype", "api00"))
record("api_more", "dclus2_by_stype_narm", "svyby(~enroll, ~stype, dclus2, svymean, na.rm=TRUE)", spec$dclus2,
       fn_call("mean", vars = "enroll", by = "stype", na_rm = TRUE),
       domain_table(svyby(~enroll, ~stype, dclus2, svymean, na.rm = TRUE), "stype", "enroll"))

record("api", "dclus1_ciprop_logit", "svyciprop(~I(sch.wide=='Yes'), dclus1, method='logit')", spec$dclus1,
       fn_call("ciprop", var = "sch_wide", category = "Yes", method = "logit"),
       ciprop_row(svyciprop(~I(sch.wide == "Yes"), dclus1, method = "logit"), "sch_wide", "Yes"))

for (d in c("dstrat", "dclus2")) {
  record(if (d == "dstrat") "api" else "api_more", paste0(d, "_glm_gaussian"),
         sprintf("svyglm(api00~ell+meals+mobility, design=%s)", d), spec[[d]],
         fn_call("glm", formula = "api00 ~ ell + meals + mobility", family = "gaussian"),
         coef_table(svyglm(api00 ~ ell + meals + mobility, design = get(d))))
}

apiclus1$sch_yes <- as.numeric(apiclus1$sch.wide == "Yes")
dclus1y <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
record("api", "dclus1_glm_quasibinomial", "svyglm(I(sch.wide=='Yes')~ell+meals, dclus1, family=quasibinomial())",
       spec$dclus1,
       fn_call("glm", formula = "sch_yes ~ ell + meals", family = "quasibinomial",
               derive = list(sch_yes = "sch_wide == 'Yes'")),
       coef_table(svyglm(sch_yes ~ ell + meals, design = dclus1y, family = quasibinomial())),
       note = "sch_yes is 1 where sch_wide is 'Yes', else 0")

chi <- svychisq(~sch.wide + stype, dclus1)
record("api_more", "dclus1_chisq_rao_scott", "svychisq(~sch.wide+stype, dclus1)", spec$dclus1,
       fn_call("chisq", a = "sch_wide", b = "stype", statistic = "F"),
       list(list(statistic = num(chi$statistic), ndf = num(chi$parameter[1]), ddf = num(chi$parameter[2]),
                 p_value = num(chi$p.value))))

tt <- svyttest(api00 ~ sch.wide, dclus1)
record("api", "dclus1_ttest", "svyttest(api00~sch.wide, dclus1)", spec$dclus1,
       fn_call("ttest", var = "api00", by = "sch_wide"),
       list(list(estimate = num(tt$estimate), statistic = num(tt$statistic), df = num(tt$parameter),
                 p_value = num(tt$p.value))),
       note = "estimate is mean(Yes) - mean(No)")

# ---- replicate designs ----
jk1 <- list(type = "JK1")
dclus1_jk <- as.svrepdesign(dclus1, type = "JK1")
for (v in c("api00", "enroll")) {
  record("api", paste0("dclus1_jk1_mean_", v), sprintf("svymean(~%s, as.svrepdesign(dclus1, type='JK1'))", v),
         spec$dclus1, fn_call("mean", vars = v), stat_table(svymean(formula_of(v), dclus1_jk), v),
         replicate = jk1)
}
record("api", "dclus1_jk1_glm", "svyglm(api00~ell+meals, as.svrepdesign(dclus1, type='JK1'))", spec$dclus1,
       fn_call("glm", formula = "api00 ~ ell + meals", family = "gaussian"),
       coef_table(svyglm(api00 ~ ell + meals, design = dclus1_jk)), replicate = jk1)

set.seed(20261124)
dclus1_boot <- as.svrepdesign(dclus1, type = "bootstrap", replicates = 50)
boot_w <- weights(dclus1_boot, type = "analysis")
colnames(boot_w) <- sprintf("rep%d", seq_len(ncol(boot_w)))
write.csv(boot_w, file.path("data", "apiclus1_bootstrap50.csv"), row.names = FALSE)
boot_spec <- list(type = "bootstrap", repweights_file = "apiclus1_bootstrap50.csv", scale = dclus1_boot$scale,
                  rscales = unique(dclus1_boot$rscales), mse = dclus1_boot$mse, combined_weights = TRUE)
record("api", "dclus1_boot50_mean_api00",
       "svymean(~api00, bs) with the replicate weights in data/apiclus1_bootstrap50.csv", spec$dclus1,
       fn_call("mean", vars = "api00"), stat_table(svymean(~api00, dclus1_boot), "api00"), replicate = boot_spec)
record("api", "dclus1_boot50_mean_stype",
       "svymean(~stype, bs) with the replicate weights in data/apiclus1_bootstrap50.csv", spec$dclus1,
       fn_call("mean", vars = "stype"), level_table(svymean(~stype, dclus1_boot), "stype"), replicate = boot_spec)

scd_brr <- as.svrepdesign(scdnofpc, type = "BRR")
for (v in c("arrests", "alive")) {
  record("api", paste0("scd_brr_mean_", v), sprintf("svymean(~%s, as.svrepdesign(scdnofpc, type='BRR'))", v),
         spec$scd, fn_call("mean", vars = v), stat_table(svymean(formula_of(v), scd_brr), v),
         replicate = list(type = "BRR"))
}
record("api_more", "scd_brr_ratio", "svyratio(~alive, ~arrests, as.svrepdesign(scdnofpc, type='BRR'))",
       spec$scd, fn_call("ratio", numerator = "alive", denominator = "arrests"),
       stat_table(svyratio(~alive, ~arrests, scd_brr), "alive/arrests"), replicate = list(type = "BRR"))
record("api", "scd_taylor_mean_arrests", "svymean(~arrests, scdnofpc)", spec$scd,
       fn_call("mean", vars = "arrests"), stat_table(svymean(~arrests, scdnofpc), "arrests"))

# ---- weighting ----
mean_api00 <- fn_call("mean", vars = "api00")
record("api", "dclus1_poststratify", "postStratify(dclus1, ~stype, pop.types); svymean(~api00)", spec$dclus1,
       mean_api00, weighted_result(postStratify(dclus1, ~stype, pop.types)),
       weighting = list(method = "poststratify", var = "stype", totals = pop_stype))
record("api", "dclus1_rake",
       "rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide)); svymean(~api00)", spec$dclus1,
       mean_api00, weighted_result(rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide))),
       weighting = list(method = "rake", margins = list(stype = pop_stype, sch_wide = pop_schwide)),
       tol = 1e-6, note = "raking iterates to R's default epsilon=1; compare at 1e-6")
cal_spec <- function(calfun) {
  list(method = "calibrate", formula = "~stype + api99", calfun = calfun, totals = as.list(cal_totals))
}
record("api", "dclus1_calibrate_linear", "calibrate(dclus1, ~stype+api99, pop.totals); svymean(~api00)",
       spec$dclus1, mean_api00, weighted_result(calibrate(dclus1, ~stype + api99, cal_totals)),
       weighting = cal_spec("linear"))
record("api_more", "dclus1_calibrate_raking",
       "calibrate(dclus1, ~stype+api99, pop.totals, calfun='raking'); svymean(~api00)", spec$dclus1,
       mean_api00, weighted_result(calibrate(dclus1, ~stype + api99, cal_totals, calfun = "raking")),
       weighting = cal_spec("raking"), tol = 1e-6)
record("api_more", "dstrat_poststratify_trim",
       "trimWeights(postStratify(dstrat, ~sch.wide, pop.schwide), upper=40, lower=20); svymean(~api00)",
       spec$dstrat, mean_api00,
       weighted_result(trimWeights(postStratify(dstrat, ~sch.wide, pop.schwide), upper = 40, lower = 20)),
       weighting = list(method = "poststratify_trim", var = "sch_wide", totals = pop_schwide,
                        trim = list(lower = 20, upper = 40)),
       tol = 1e-6, note = "trimWeights default strict=FALSE redistributes the trimmed amount once")

# ================================================================================================
# extra.json
# ================================================================================================
source_line <- paste0(R.version.string, "; survey ", packageVersion("survey"))

write_book <- function(book, file) {
  ids <- vapply(books[[book]], function(x) x$id, "")
  if (anyDuplicated(ids)) stop("duplicate case ids in ", book, ": ", paste(ids[duplicated(ids)], collapse = ", "))
  out <- list(source = source_line, data_dir = "data", cases = books[[book]])
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
             file.path("expected", file))
  cat(sprintf("%-16s %3d cases\n", file, length(ids)))
}

write_book("api", "api.json")
write_book("api_more", "api_more.json")

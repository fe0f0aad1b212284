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

local({  # common.R (beside this script): libraries, working directory, options, helpers
  flag <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  source(file.path(if (length(flag) == 1) dirname(normalizePath(sub("^--file=", "", flag))) else ".",
                   "common.R"))
})
dir.create("data", showWarnings = FALSE)
dir.create("expected", showWarnings = FALSE)

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
  se_cols <- ifelse(paste0("se.", est_cols) %in% names(frame), paste0("se.", est_cols), "se")
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

# Rows of a survey 4.x svyquantile result for one variable. Its matrix has the columns quantile,
# lower and upper limit, se (R names the last one "se" for Taylor designs, "se.97.5" for replicate ones).
quantile_table <- function(obj, rvar, probs) {
  m <- obj[[rvar]]
  lapply(seq_along(probs), function(i) {
    list(variable = snake(rvar), level = as.character(probs[i]), estimate = num(m[i, 1]),
         se = num(m[i, 4]), ci_low = num(m[i, 2]), ci_high = num(m[i, 3]))
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

# Designs built on derived data files are built in R from the CSV as written, so R sees exactly the
# numbers a reader of the file sees (fractions and probabilities are written with 15 digits).
reload <- function(name) read.csv(file.path("data", paste0(name, ".csv")), stringsAsFactors = TRUE)

# A numeric-variable mean and total, the two calls most extra designs get.
basic_cases <- function(prefix, rname, des, sp, note = NULL, ...) {
  record("extra", paste0(prefix, "_mean_api00"), sprintf("svymean(~api00, %s)", rname), sp,
         fn_call("mean", vars = "api00"), stat_table(svymean(~api00, des), "api00"), note = note, ...)
  record("extra", paste0(prefix, "_total_enroll"), sprintf("svytotal(~enroll, %s, na.rm=TRUE)", rname), sp,
         fn_call("total", vars = "enroll", na_rm = TRUE),
         stat_table(svytotal(~enroll, des, na.rm = TRUE), "enroll"), note = note, ...)
}

# ---- lonely PSUs --------------------------------------------------------------------------------
# lonely.csv: apistrat, with the high schools (stype H) cut down to those of one school district (the
# district with most H schools, smallest dnum on ties). With strata = stype and PSUs = districts the H
# stratum then holds a single PSU. fpc_psu is the number of districts in the population (apipop) that
# have a school of that type; fpc_cert is the same except 1 for H, so that the lone H PSU is a
# certainty PSU (sampled with probability 1) and not a lonely one.
h_rows <- apistrat$stype == "H"
h_count <- table(apistrat$dnum[h_rows])
lone_district <- as.integer(names(h_count)[which.max(h_count)])
lonely_frame <- apistrat[!h_rows | apistrat$dnum == lone_district, ]
districts_by_type <- tapply(apipop$dnum, apipop$stype, function(x) length(unique(x)))
lonely_frame$fpc_psu <- as.numeric(districts_by_type[as.character(lonely_frame$stype)])
lonely_frame$fpc_cert <- ifelse(lonely_frame$stype == "H", 1, lonely_frame$fpc_psu)
save_csv(lonely_frame, "lonely")
lonely <- reload("lonely")

lonely_note <- paste0("stratum H has a single PSU (district ", lone_district, "); R option ",
                      "survey.lonely.psu set as in design.lonely_psu while the design is built and estimated")
for (fpc_col in c("none", "fpc_psu")) {
  des_fpc <- if (fpc_col == "none") NULL else fpc_col
  for (rule in c("remove", "adjust", "average", "certainty")) {
    old <- options(survey.lonely.psu = rule)
    des <- if (is.null(des_fpc)) {
      svydesign(id = ~dnum, strata = ~stype, weights = ~pw, nest = TRUE, data = lonely)
    } else {
      svydesign(id = ~dnum, strata = ~stype, weights = ~pw, fpc = ~fpc_psu, nest = TRUE, data = lonely)
    }
    sp <- describe("lonely", ids = "dnum", strata = "stype", weights = "pw", fpc = des_fpc, nest = TRUE,
                   lonely_psu = rule)
    rname <- sprintf("svydesign(id=~dnum, strata=~stype, weights=~pw%s, nest=TRUE, data=lonely) with options(survey.lonely.psu='%s')",
                     if (is.null(des_fpc)) "" else paste0(", fpc=~", des_fpc), rule)
    prefix <- paste0("lonely_", if (is.null(des_fpc)) "nofpc" else "fpc", "_", rule)
    record("extra", paste0(prefix, "_mean_api00"), paste0("svymean(~api00, ", rname, ")"), sp,
           fn_call("mean", vars = "api00"), stat_table(svymean(~api00, des), "api00"), note = lonely_note)
    record("extra", paste0(prefix, "_total_enroll"), paste0("svytotal(~enroll, ", rname, ")"), sp,
           fn_call("total", vars = "enroll"), stat_table(svytotal(~enroll, des), "enroll"), note = lonely_note)
    record("extra", paste0(prefix, "_mean_sch_wide"), paste0("svymean(~sch_wide, ", rname, ")"), sp,
           fn_call("mean", vars = "sch_wide"), level_table(svymean(~sch_wide, des), "sch_wide"),
           note = lonely_note)
    options(old)
  }
}
# The lone H PSU is the whole H population (fpc 1): a certainty PSU, fine under R's default "fail".
lonely_cert <- svydesign(id = ~dnum, strata = ~stype, weights = ~pw, fpc = ~fpc_cert, nest = TRUE, data = lonely)
basic_cases("lonely_certainty_fpc", "svydesign(id=~dnum, strata=~stype, weights=~pw, fpc=~fpc_cert, nest=TRUE, data=lonely)",
            lonely_cert, describe("lonely", ids = "dnum", strata = "stype", weights = "pw", fpc = "fpc_cert", nest = TRUE),
            note = "the H stratum's one PSU has population size 1 (sampled with certainty): it adds no variance, and R's default lonely.psu='fail' does not object")

# ---- multistage ---------------------------------------------------------------------------------
# apiclus2_frac.csv: apiclus2 with the fpc given as sampling fractions (frac1 = districts sampled /
# districts in the population, frac2 = schools sampled in the district / schools in the district) and
# the overall selection probability prob = frac1 * frac2.
frac_frame <- apiclus2
n_districts <- length(unique(frac_frame$dnum))
frac_frame$frac1 <- n_districts / frac_frame$fpc1
schools_sampled <- table(frac_frame$dnum)
frac_frame$frac2 <- as.numeric(schools_sampled[as.character(frac_frame$dnum)]) / frac_frame$fpc2
frac_frame$prob <- frac_frame$frac1 * frac_frame$frac2
save_csv(frac_frame, "apiclus2_frac")
apiclus2_frac <- reload("apiclus2_frac")

dclus2_frac <- svydesign(id = ~dnum + snum, fpc = ~frac1 + frac2, data = apiclus2_frac)
sp_frac <- describe("apiclus2_frac", ids = c("dnum", "snum"), fpc = c("frac1", "frac2"))
frac_r <- "svydesign(id=~dnum+snum, fpc=~frac1+frac2, data=apiclus2_frac)"
frac_note <- "same design as dclus2 with the fpc given as sampling fractions; R reads fpc values <= 1 as fractions"
basic_cases("dclus2_frac", frac_r, dclus2_frac, sp_frac, note = frac_note)
record("extra", "dclus2_frac_mean_stype", sprintf("svymean(~stype, %s)", frac_r), sp_frac,
       fn_call("mean", vars = "stype"), level_table(svymean(~stype, dclus2_frac), "stype"), note = frac_note)
record("extra", "dclus2_frac_total_stype", sprintf("svytotal(~stype, %s)", frac_r), sp_frac,
       fn_call("total", vars = "stype"), level_table(svytotal(~stype, dclus2_frac), "stype"), note = frac_note)

# Two stages given by probabilities only: no fpc, so the first stage is taken as with replacement and
# R uses only the variation between PSUs.
dclus2_probs <- svydesign(id = ~dnum + snum, probs = ~prob, data = apiclus2_frac)
sp_probs2 <- describe("apiclus2_frac", ids = c("dnum", "snum"), probs = "prob")
basic_cases("dclus2_probs", "svydesign(id=~dnum+snum, probs=~prob, data=apiclus2_frac)", dclus2_probs, sp_probs2,
            note = "weights are 1/prob; without fpc the PSUs are taken as drawn with replacement and later stages add nothing")

# apipop_strat2.csv: a stratified two-stage sample drawn here from apipop. Strata are school types;
# PSUs are the districts that have a school of that type (10 for E, 6 for H, 6 for M, by simple random
# sampling); within each sampled district, up to 3 of its schools of that type (all if it has 3 or
# fewer). fpc1 = districts in the stratum, fpc2 = schools of the type in the district.
set.seed(20261125)
psu_take <- c(E = 10, H = 6, M = 6)
parts <- list()
for (h in names(psu_take)) {
  pop_h <- apipop[apipop$stype == h, ]
  frame_districts <- sort(unique(pop_h$dnum))
  chosen <- sort(sample(frame_districts, psu_take[[h]]))
  for (dn in chosen) {
    schools <- pop_h[pop_h$dnum == dn, ]
    schools <- schools[order(schools$snum), ]
    pick <- if (nrow(schools) <= 3) seq_len(nrow(schools)) else sort(sample(nrow(schools), 3))
    part <- schools[pick, ]
    part$fpc1 <- length(frame_districts)
    part$fpc2 <- nrow(schools)
    parts[[length(parts) + 1]] <- part
  }
}
strat2_frame <- do.call(rbind, parts)
save_csv(strat2_frame, "apipop_strat2")
apipop_strat2 <- reload("apipop_strat2")
dstrat2 <- svydesign(id = ~dnum + snum, strata = ~stype, fpc = ~fpc1 + fpc2, nest = TRUE, data = apipop_strat2)
sp_strat2 <- describe("apipop_strat2", ids = c("dnum", "snum"), strata = "stype", fpc = c("fpc1", "fpc2"), nest = TRUE)
s2_r <- "svydesign(id=~dnum+snum, strata=~stype, fpc=~fpc1+fpc2, nest=TRUE, data=apipop_strat2)"
s2_note <- "stratified two-stage design; weights come from the fpc; districts with a single school of the type are second-stage certainty units"
basic_cases("dstrat2", s2_r, dstrat2, sp_strat2, note = s2_note)
record("extra", "dstrat2_mean_sch_wide", sprintf("svymean(~sch_wide, %s)", s2_r), sp_strat2,
       fn_call("mean", vars = "sch_wide"), level_table(svymean(~sch_wide, dstrat2), "sch_wide"), note = s2_note)
record("extra", "dstrat2_total_sch_wide", sprintf("svytotal(~sch_wide, %s)", s2_r), sp_strat2,
       fn_call("total", vars = "sch_wide"), level_table(svytotal(~sch_wide, dstrat2), "sch_wide"), note = s2_note)
record("extra", "dstrat2_ratio", sprintf("svyratio(~api_stu, ~enroll, %s, na.rm=TRUE)", s2_r), sp_strat2,
       fn_call("ratio", numerator = "api_stu", denominator = "enroll", na_rm = TRUE),
       stat_table(svyratio(~api_stu, ~enroll, dstrat2, na.rm = TRUE), "api_stu/enroll"), note = s2_note)
record("extra", "dstrat2_by_sch_wide", sprintf("svyby(~api00, ~sch_wide, %s, svymean)", s2_r), sp_strat2,
       fn_call("mean", vars = "api00", by = "sch_wide"),
       domain_table(svyby(~api00, ~sch_wide, dstrat2, svymean), "sch_wide", "api00"), note = s2_note)

# ---- probabilities instead of weights; SRS variants --------------------------------------------
# apistrat_probs.csv: apistrat with prob = n_h / N_h (stratum sample size over fpc).
probs_frame <- apistrat
n_in_stratum <- table(probs_frame$stype)
probs_frame$prob <- as.numeric(n_in_stratum[as.character(probs_frame$stype)]) / probs_frame$fpc
save_csv(probs_frame, "apistrat_probs")
apistrat_probs <- reload("apistrat_probs")
dstrat_probs <- svydesign(id = ~1, strata = ~stype, probs = ~prob, fpc = ~fpc, data = apistrat_probs)
basic_cases("dstrat_probs", "svydesign(id=~1, strata=~stype, probs=~prob, fpc=~fpc, data=apistrat_probs)",
            dstrat_probs, describe("apistrat_probs", strata = "stype", fpc = "fpc", probs = "prob"),
            note = "weights are 1/prob")
dstrat_probs_nofpc <- svydesign(id = ~1, strata = ~stype, probs = ~prob, data = apistrat_probs)
basic_cases("dstrat_probs_nofpc", "svydesign(id=~1, strata=~stype, probs=~prob, data=apistrat_probs)",
            dstrat_probs_nofpc, describe("apistrat_probs", strata = "stype", probs = "prob"),
            note = "weights are 1/prob; no fpc")

dsrs_fpconly <- svydesign(id = ~1, fpc = ~fpc, data = apisrs)
basic_cases("dsrs_fpconly", "svydesign(id=~1, fpc=~fpc, data=apisrs)", dsrs_fpconly,
            describe("apisrs", fpc = "fpc"), note = "no weights: R takes them from the fpc (N/n)")
dsrs_nofpc <- svydesign(id = ~1, weights = ~pw, data = apisrs)
sp_srs_nofpc <- describe("apisrs", weights = "pw")
basic_cases("dsrs_nofpc", "svydesign(id=~1, weights=~pw, data=apisrs)", dsrs_nofpc, sp_srs_nofpc)
# ---- domains -------------------------------------------------------------------------------------
record("extra", "dstrat_by_stype_two_means", "svyby(~api00+api99, ~stype, dstrat, svymean)", spec$dstrat,
       fn_call("mean", vars = c("api00", "api99"), by = "stype"),
       domain_table(svyby(~api00 + api99, ~stype, dstrat, svymean), "stype", c("api00", "api99")),
       note = "rows for api00 (E, H, M) then api99; domains equal the strata here")
record("extra", "dclus1_by_stype_total", "svyby(~api00, ~stype, dclus1, svytotal)", spec$dclus1,
       fn_call("total", vars = "api00", by = "stype"),
       domain_table(svyby(~api00, ~stype, dclus1, svytotal), "stype", "api00"))
record("extra", "dclus1_by_stype_prop_sch_wide", "svyby(~sch.wide, ~stype, dclus1, svymean)", spec$dclus1,
       fn_call("mean", vars = "sch_wide", by = "stype"),
       domain_table(svyby(~sch.wide, ~stype, dclus1, svymean), "stype", rep("sch.wide", 2), c("No", "Yes"),
                    variable = "sch_wide"),
       note = "proportion of each sch_wide level within each stype domain")
record("extra", "dclus2_by_stype_total_enroll_narm", "svyby(~enroll, ~stype, dclus2, svytotal, na.rm=TRUE)", spec$dclus2,
       fn_call("total", vars = "enroll", by = "stype", na_rm = TRUE),
       domain_table(svyby(~enroll, ~stype, dclus2, svytotal, na.rm = TRUE), "stype", "enroll"))

# Median by domain. svyby gives the estimate and the se; its confint() would be a Wald interval
# (estimate +- 1.96 se), so the interval recorded is the Woodruff one that svyquantile gives for
# each domain (the same domain computation; R's svyby se equals the per-domain se, checked here).
med_by <- svyby(~api00, ~stype, dclus1, svyquantile, quantiles = 0.5, ci = TRUE)
med_frame <- as.data.frame(med_by)
med_rows <- lapply(seq_len(nrow(med_frame)), function(i) {
  dom <- as.character(med_frame$stype[i])
  one <- svyquantile(~api00, subset(dclus1, stype == dom), quantiles = 0.5)$api00
  stopifnot(isTRUE(all.equal(num(one[1, 4]), num(med_frame$se.api00[i]), tolerance = 1e-12)),
            isTRUE(all.equal(num(one[1, 1]), num(med_frame$api00[i]), tolerance = 1e-12)))
  list(variable = "api00", level = "0.5", by = list(stype = dom), estimate = num(med_frame$api00[i]),
       se = num(med_frame$se.api00[i]), ci_low = num(one[1, 2]), ci_high = num(one[1, 3]))
})
record("extra", "dclus1_by_stype_median", "svyby(~api00, ~stype, dclus1, svyquantile, quantiles=0.5, ci=TRUE)",
       spec$dclus1, fn_call("quantile", vars = "api00", q = I(0.5), by = "stype"), med_rows,
       note = "estimate and se from svyby; ci_low/ci_high are the Woodruff interval of svyquantile(~api00, subset(dclus1, stype==s), 0.5) for each domain (R's confint on the svyby object would give estimate +- 1.96 se instead)")
record("extra", "dclus1_by_stype_ratio", "svyby(~api.stu, by=~stype, denominator=~enroll, design=dclus1, FUN=svyratio)",
       spec$dclus1, fn_call("ratio", numerator = "api_stu", denominator = "enroll", by = "stype"),
       domain_table(svyby(~api.stu, by = ~stype, denominator = ~enroll, design = dclus1, FUN = svyratio),
                    "stype", "api.stu/enroll", variable = "api_stu/enroll"))

# ---- totals of a factor, variance, ratio with missing values -----------------------------------
for (d in c("dclus1", "dstrat")) {
  record("extra", paste0(d, "_total_stype"), sprintf("svytotal(~stype, %s)", d), spec[[d]],
         fn_call("total", vars = "stype"), level_table(svytotal(~stype, get(d)), "stype"))
}
record("extra", "dstrat_var", "svyvar(~api00, dstrat)", spec$dstrat, fn_call("var", vars = "api00"),
       stat_table(svyvar(~api00, dstrat), "api00"))
record("extra", "dclus2_var", "svyvar(~api00, dclus2)", spec$dclus2, fn_call("var", vars = "api00"),
       stat_table(svyvar(~api00, dclus2), "api00"))
record("extra", "dclus2_ratio_narm", "svyratio(~api.stu, ~enroll, dclus2, na.rm=TRUE)", spec$dclus2,
       fn_call("ratio", numerator = "api_stu", denominator = "enroll", na_rm = TRUE),
       stat_table(svyratio(~api.stu, ~enroll, dclus2, na.rm = TRUE), "api_stu/enroll"),
       note = "enroll is missing for 6 schools; na.rm drops them as a domain (the design keeps its PSUs)")

# ---- subsets (domains given as a row filter) ----------------------------------------------------
subset_note <- "the subset is a domain: rows outside it keep their place in the design (R's subset of a survey.design2)"
record("extra", "dclus1_subset_e_mean_api00", "svymean(~api00, subset(dclus1, stype=='E'))", spec$dclus1,
       fn_call("mean", vars = "api00"), stat_table(svymean(~api00, subset(dclus1, stype == "E")), "api00"),
       subset = "stype == 'E'", note = subset_note)
record("extra", "dclus1_subset_e_mean_sch_wide", "svymean(~sch.wide, subset(dclus1, stype=='E'))", spec$dclus1,
       fn_call("mean", vars = "sch_wide"), level_table(svymean(~sch.wide, subset(dclus1, stype == "E")), "sch.wide"),
       subset = "stype == 'E'", note = subset_note)
record("extra", "dstrat_subset_yes_total_enroll", "svytotal(~enroll, subset(dstrat, sch.wide=='Yes'), na.rm=TRUE)",
       spec$dstrat, fn_call("total", vars = "enroll", na_rm = TRUE),
       stat_table(svytotal(~enroll, subset(dstrat, sch.wide == "Yes"), na.rm = TRUE), "enroll"),
       subset = "sch_wide == 'Yes'", note = subset_note)
record("extra", "dclus2_subset_e_mean_api00", "svymean(~api00, subset(dclus2, stype=='E'))", spec$dclus2,
       fn_call("mean", vars = "api00"), stat_table(svymean(~api00, subset(dclus2, stype == "E")), "api00"),
       subset = "stype == 'E'", note = subset_note)
record("extra", "dclus1_subset_api_mean_api00", "svymean(~api00, subset(dclus1, api99 > 600 & stype != 'H'))",
       spec$dclus1, fn_call("mean", vars = "api00"),
       stat_table(svymean(~api00, subset(dclus1, api99 > 600 & stype != "H")), "api00"),
       subset = "api99 > 600 and stype != 'H'", note = subset_note)

# ---- proportions with confidence intervals (svyciprop) ------------------------------------------
ciprop_methods <- c("logit", "likelihood", "asin", "beta", "mean", "xlogit")
for (d in c("dclus1", "dstrat")) {
  for (method in ciprop_methods) {
    if (d == "dclus1" && method == "logit") next  # in api.json as dclus1_ciprop_logit
    record("extra", sprintf("%s_ciprop_%s", d, method),
           sprintf("svyciprop(~I(sch.wide=='Yes'), %s, method='%s')", d, method), spec[[d]],
           fn_call("ciprop", var = "sch_wide", category = "Yes", method = method),
           ciprop_row(svyciprop(~I(sch.wide == "Yes"), get(d), method = method), "sch_wide", "Yes"),
           note = "95% interval; the t quantiles use the design degrees of freedom degf(design)")
  }
}
record("extra", "dclus2_ciprop_beta_e", "svyciprop(~I(stype=='E'), dclus2, method='beta')", spec$dclus2,
       fn_call("ciprop", var = "stype", category = "E", method = "beta"),
       ciprop_row(svyciprop(~I(stype == "E"), dclus2, method = "beta"), "stype", "E"))

# ---- quantiles ----------------------------------------------------------------------------------
deciles <- c(0.1, 0.9)
quant_note <- "qrule='math', Woodruff interval (interval.type='mean') with t quantiles on degf(design); se is the interval width / (2 t)"
for (d in c("dclus1", "dstrat", "dsrs")) {
  record("extra", paste0(d, "_quantile_api00_deciles"), sprintf("svyquantile(~api00, %s, quantiles=c(0.1, 0.9))", d),
         spec[[d]], fn_call("quantile", vars = "api00", q = deciles),
         quantile_table(svyquantile(~api00, get(d), quantiles = deciles), "api00", deciles), note = quant_note)
}
record("extra", "dclus2_quantile_enroll_narm", "svyquantile(~enroll, dclus2, quantiles=c(.25,.5,.75), na.rm=TRUE)",
       spec$dclus2, fn_call("quantile", vars = "enroll", q = quartiles, na_rm = TRUE),
       quantile_table(svyquantile(~enroll, dclus2, quantiles = quartiles, na.rm = TRUE), "enroll", quartiles),
       note = quant_note)
# (The upper Woodruff limit of the 0.75 quantile falls beyond the data here, where R gives NaN.)
record("extra", "dstrat2_quantile_api00", "svyquantile(~api00, dstrat2, quantiles=c(.25,.5))", sp_strat2,
       fn_call("quantile", vars = "api00", q = c(0.25, 0.5)),
       quantile_table(svyquantile(~api00, dstrat2, quantiles = c(0.25, 0.5)), "api00", c(0.25, 0.5)),
       note = paste(quant_note, "(dstrat2: the stratified two-stage sample in apipop_strat2.csv)"))

# ---- regression --------------------------------------------------------------------------------
# For families fitted by IRLS, R's glm.fit stops when the relative change in deviance is below 1e-8.
# The coefficients are then converged, but svyglm's standard errors use the working weights of the
# last IRLS step, which still carry the previous iterate: they can be ~1e-7 off the converged values.
# So each such model is recorded twice when the two differ by more than 1e-10: as R gives it by default
# (rel_tol 1e-6) and refitted to full convergence (suffix _converged, rel_tol 1e-8).
glm_variants <- function(id, r, sp, fit, call, note = NULL, ...) {
  default <- coef_table(fit, full = TRUE)
  if (identical(fit$family$family, "gaussian")) {
    record("extra", id, r, sp, call, default, note = note, ...)
    return(invisible(NULL))
  }
  tight <- suppressWarnings(update(fit, control = glm.control(epsilon = 1e-14, maxit = 100)))
  converged <- coef_table(tight, full = TRUE)
  worst <- max(mapply(function(a, b) max(abs(unlist(a) - unlist(b)) / pmax(abs(unlist(b)), 1e-300)),
                      lapply(default, `[`, -1), lapply(converged, `[`, -1)))
  if (worst <= 1e-10) {
    record("extra", id, r, sp, call, default, note = note, ...)
  } else {
    record("extra", id, r, sp, call, default, tol = 1e-6,
           note = paste0(c(note, sprintf(paste(
             "R's default IRLS stopping leaves se (and so statistic, p_value) up to %.1e relative off the",
             "converged fit (svyglm uses the working weights of the last IRLS step); see %s_converged"),
             worst, id)), collapse = "; "), ...)
    record("extra", paste0(id, "_converged"),
           sub(")$", ", control=glm.control(epsilon=1e-14, maxit=100))", r), sp, call, converged,
           note = paste(c(note, "IRLS run to full convergence; a fully converged fit matches at 1e-8"),
                        collapse = "; "), ...)
  }
}
glm_note <- "df is the residual df of the model, degf(design) + 1 - number of coefficients; p_value from t on df"

dstrat_y <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc,
                      data = transform(apistrat, sch_yes = as.numeric(sch.wide == "Yes")))
yes_derive <- list(sch_yes = "sch_wide == 'Yes'")
for (d in c("dclus1", "dstrat")) {
  des <- if (d == "dclus1") dclus1y else dstrat_y
  fit_b <- suppressWarnings(svyglm(sch_yes ~ ell + meals, design = des, family = binomial()))
  fit_qb <- svyglm(sch_yes ~ ell + meals, design = des, family = quasibinomial())
  stopifnot(isTRUE(all.equal(coef_table(fit_b, TRUE), coef_table(fit_qb, TRUE), tolerance = 1e-12)))
  glm_variants(paste0(d, "_glm_binomial"), sprintf("svyglm(I(sch.wide=='Yes')~ell+meals, %s, family=binomial())", d),
               spec[[d]], fit_b,
               fn_call("glm", formula = "sch_yes ~ ell + meals", family = "binomial", derive = yes_derive),
               note = paste("sch_yes is 1 where sch_wide is 'Yes', else 0; binomial and quasibinomial give",
                            "the same numbers in svyglm (R warns about non-integer successes);", glm_note))
}
glm_variants("dclus1_glm_quasibinomial_full",
             "svyglm(I(sch.wide=='Yes')~ell+meals, dclus1, family=quasibinomial())", spec$dclus1,
             svyglm(sch_yes ~ ell + meals, design = dclus1y, family = quasibinomial()),
             fn_call("glm", formula = "sch_yes ~ ell + meals", family = "quasibinomial", derive = yes_derive),
             note = paste("the model of api.json's dclus1_glm_quasibinomial, with t, df and p;", glm_note))
for (d in c("dstrat", "dclus1")) {
  glm_variants(paste0(d, "_glm_poisson"), sprintf("svyglm(mobility~ell+meals, %s, family=poisson())", d),
               spec[[d]], svyglm(mobility ~ ell + meals, design = get(d), family = poisson()),
               fn_call("glm", formula = "mobility ~ ell + meals", family = "poisson"), note = glm_note)
}
for (d in c("dclus1", "dsrs", "dclus2")) {
  glm_variants(paste0(d, "_glm_gaussian_full"), sprintf("svyglm(api00~ell+meals+mobility, design=%s)", d),
               spec[[d]], svyglm(api00 ~ ell + meals + mobility, design = get(d)),
               fn_call("glm", formula = "api00 ~ ell + meals + mobility", family = "gaussian"), note = glm_note)
}
glm_variants("dclus1_glm_gaussian_factor", "svyglm(api00~ell+meals+stype, design=dclus1)", spec$dclus1,
             svyglm(api00 ~ ell + meals + stype, design = dclus1),
             fn_call("glm", formula = "api00 ~ ell + meals + stype", family = "gaussian", categorical = I("stype")),
             note = paste("stype is categorical with E as the reference level: R's terms stypeH, stypeM;", glm_note))
glm_variants("dstrat2_glm_gaussian", "svyglm(api00~ell+meals, design=dstrat2)", sp_strat2,
             svyglm(api00 ~ ell + meals, design = dstrat2),
             fn_call("glm", formula = "api00 ~ ell + meals", family = "gaussian"),
             note = paste("dstrat2: the stratified two-stage sample in apipop_strat2.csv;", glm_note))

# ---- tests --------------------------------------------------------------------------------------
for (d in c("dstrat", "dclus2")) {
  tt <- svyttest(api00 ~ sch.wide, get(d))
  record("extra", paste0(d, "_ttest"), sprintf("svyttest(api00~sch.wide, %s)", d), spec[[d]],
         fn_call("ttest", var = "api00", by = "sch_wide"),
         list(list(estimate = num(tt$estimate), statistic = num(tt$statistic), df = num(tt$parameter),
                   p_value = num(tt$p.value))),
         note = "estimate is mean(Yes) - mean(No); df = degf(design) - 1")
}
chisq_case <- function(id, d, statistic) {
  x <- svychisq(~sch.wide + stype, get(d), statistic = statistic)
  row <- if (statistic == "Chisq") {
    list(statistic = num(x$statistic), df = num(x$parameter), p_value = num(x$p.value))
  } else {
    list(statistic = num(x$statistic), ndf = num(x$parameter[1]), ddf = num(x$parameter[2]), p_value = num(x$p.value))
  }
  record("extra", id, sprintf("svychisq(~sch.wide+stype, %s, statistic='%s')", d, statistic), spec[[d]],
         fn_call("chisq", a = "sch_wide", b = "stype", statistic = statistic), list(row),
         note = switch(statistic,
           Chisq = "first-order Rao-Scott: Pearson X^2 divided by the mean generalized design effect, chi-squared on (r-1)(c-1) df",
           F = "second-order Rao-Scott (Satterthwaite) F with non-integer ndf and ddf",
           adjWald = "adjusted Wald F: ndf = (r-1)(c-1), ddf = degf(design) - ndf + 1",
           Wald = "Wald F without adjustment: ndf = (r-1)(c-1), ddf = degf(design)"))
}
chisq_case("dclus1_chisq_first_order", "dclus1", "Chisq")
chisq_case("dstrat_chisq_first_order", "dstrat", "Chisq")
chisq_case("dstrat_chisq_rao_scott", "dstrat", "F")
chisq_case("dclus2_chisq_rao_scott", "dclus2", "F")
chisq_case("dclus1_chisq_adjwald", "dclus1", "adjWald")
chisq_case("dstrat_chisq_adjwald", "dstrat", "adjWald")
chisq_case("dclus1_chisq_wald", "dclus1", "Wald")

# ---- replicate designs ---------------------------------------------------------------------------
# JKn on the stratified design: as.svrepdesign carries the fpc into the replicate scales,
# rscales_h = (1 - n_h/N_h) (n_h - 1)/n_h.
dstrat_jkn <- as.svrepdesign(dstrat, type = "JKn")
n_h <- table(apistrat$stype)
N_h <- tapply(apistrat$fpc, apistrat$stype, function(x) x[1])
stopifnot(isTRUE(all.equal(sort(unique(dstrat_jkn$rscales)), sort(num((1 - n_h / N_h) * (n_h - 1) / n_h)))))
jkn_note <- "as.svrepdesign(type='JKn') uses the design's fpc: rscales = (1 - n_h/N_h) * (n_h - 1)/n_h, scale 1"
jkn_spec <- list(type = "JKn")
record("extra", "dstrat_jkn_mean_api00", "svymean(~api00, as.svrepdesign(dstrat, type='JKn'))", spec$dstrat,
       fn_call("mean", vars = "api00"), stat_table(svymean(~api00, dstrat_jkn), "api00"),
       replicate = jkn_spec, note = jkn_note)
record("extra", "dstrat_jkn_total_enroll", "svytotal(~enroll, as.svrepdesign(dstrat, type='JKn'), na.rm=TRUE)",
       spec$dstrat, fn_call("total", vars = "enroll", na_rm = TRUE),
       stat_table(svytotal(~enroll, dstrat_jkn, na.rm = TRUE), "enroll"), replicate = jkn_spec, note = jkn_note)
record("extra", "dstrat_jkn_mean_sch_wide", "svymean(~sch.wide, as.svrepdesign(dstrat, type='JKn'))", spec$dstrat,
       fn_call("mean", vars = "sch_wide"), level_table(svymean(~sch.wide, dstrat_jkn), "sch.wide"),
       replicate = jkn_spec, note = jkn_note)
record("extra", "dstrat_jkn_ratio", "svyratio(~api.stu, ~enroll, as.svrepdesign(dstrat, type='JKn'))", spec$dstrat,
       fn_call("ratio", numerator = "api_stu", denominator = "enroll"),
       stat_table(svyratio(~api.stu, ~enroll, dstrat_jkn), "api_stu/enroll"), replicate = jkn_spec, note = jkn_note)

# Fay's method on scd (BRR with the half-samples perturbed by rho = 0.3).
scd_fay <- as.svrepdesign(scdnofpc, type = "Fay", fay.rho = 0.3)
fay_spec <- list(type = "Fay", fay_rho = 0.3)
fay_note <- "Fay's BRR: replicate weights 2 - rho and rho instead of 2 and 0; scale 1/(R (1 - rho)^2)"
for (v in c("arrests", "alive")) {
  record("extra", paste0("scd_fay_mean_", v), sprintf("svymean(~%s, as.svrepdesign(scdnofpc, type='Fay', fay.rho=0.3))", v),
         spec$scd, fn_call("mean", vars = v), stat_table(svymean(formula_of(v), scd_fay), v),
         replicate = fay_spec, note = fay_note)
}
record("extra", "scd_fay_total_alive", "svytotal(~alive, as.svrepdesign(scdnofpc, type='Fay', fay.rho=0.3))",
       spec$scd, fn_call("total", vars = "alive"), stat_table(svytotal(~alive, scd_fay), "alive"),
       replicate = fay_spec, note = fay_note)
record("extra", "scd_fay_ratio", "svyratio(~alive, ~arrests, as.svrepdesign(scdnofpc, type='Fay', fay.rho=0.3))",
       spec$scd, fn_call("ratio", numerator = "alive", denominator = "arrests"),
       stat_table(svyratio(~alive, ~arrests, scd_fay), "alive/arrests"), replicate = fay_spec, note = fay_note)

# JK1 on a simple random sample without fpc: for a total the jackknife variance equals the Taylor one.
dsrs_jk <- as.svrepdesign(dsrs_nofpc, type = "JK1")
jk_total <- svytotal(~enroll, dsrs_jk)
stopifnot(isTRUE(all.equal(num(SE(jk_total)), num(SE(svytotal(~enroll, dsrs_nofpc))), tolerance = 1e-12)))
record("extra", "dsrs_nofpc_jk1_total_enroll", "svytotal(~enroll, as.svrepdesign(dsrs_nofpc, type='JK1'))",
       sp_srs_nofpc, fn_call("total", vars = "enroll"), stat_table(jk_total, "enroll"), replicate = jk1,
       note = "200 delete-one replicates, scale (n-1)/n; the se equals the Taylor se of dsrs_nofpc_total_enroll")
record("extra", "dsrs_nofpc_jk1_mean_api00", "svymean(~api00, as.svrepdesign(dsrs_nofpc, type='JK1'))",
       sp_srs_nofpc, fn_call("mean", vars = "api00"), stat_table(svymean(~api00, dsrs_jk), "api00"), replicate = jk1,
       note = "for a mean (a ratio) the jackknife se is close to, not equal to, the Taylor se of dsrs_nofpc_mean_api00")

# More on JK1 for dclus1 (the fpc enters the replicate scale: (1 - n/N) (n - 1)/n).
jk_r <- "as.svrepdesign(dclus1, type='JK1')"
record("extra", "dclus1_jk1_total_enroll", sprintf("svytotal(~enroll, %s)", jk_r), spec$dclus1,
       fn_call("total", vars = "enroll"), stat_table(svytotal(~enroll, dclus1_jk), "enroll"), replicate = jk1)
record("extra", "dclus1_jk1_mean_stype", sprintf("svymean(~stype, %s)", jk_r), spec$dclus1,
       fn_call("mean", vars = "stype"), level_table(svymean(~stype, dclus1_jk), "stype"), replicate = jk1)
record("extra", "dclus1_jk1_ratio", sprintf("svyratio(~api.stu, ~enroll, %s)", jk_r), spec$dclus1,
       fn_call("ratio", numerator = "api_stu", denominator = "enroll"),
       stat_table(svyratio(~api.stu, ~enroll, dclus1_jk), "api_stu/enroll"), replicate = jk1)
record("extra", "dclus1_jk1_by_stype", sprintf("svyby(~api00, ~stype, %s, svymean)", jk_r), spec$dclus1,
       fn_call("mean", vars = "api00", by = "stype"),
       domain_table(svyby(~api00, ~stype, dclus1_jk, svymean), "stype", "api00"), replicate = jk1)
record("extra", "dclus1_jk1_quantile_api00", sprintf("svyquantile(~api00, %s, quantiles=c(.25,.5,.75))", jk_r),
       spec$dclus1, fn_call("quantile", vars = "api00", q = quartiles),
       quantile_table(svyquantile(~api00, dclus1_jk, quantiles = quartiles), "api00", quartiles), replicate = jk1,
       note = "interval.type='mean' (default): Woodruff interval with the replicate variance of the estimated CDF at the quantile, t on degf(design); se = width / (2 t)")
record("extra", "dclus1_jk1_subset_e_mean_api00", sprintf("svymean(~api00, subset(%s, stype=='E'))", jk_r),
       spec$dclus1, fn_call("mean", vars = "api00"),
       stat_table(svymean(~api00, subset(dclus1_jk, stype == "E")), "api00"), replicate = jk1,
       subset = "stype == 'E'", note = "subset applied after the conversion to replicate weights")
dclus1_jk_mse <- as.svrepdesign(dclus1, type = "JK1", mse = TRUE)
record("extra", "dclus1_jk1_mse_mean_api00", "svymean(~api00, as.svrepdesign(dclus1, type='JK1', mse=TRUE))",
       spec$dclus1, fn_call("mean", vars = "api00"), stat_table(svymean(~api00, dclus1_jk_mse), "api00"),
       replicate = list(type = "JK1", mse = TRUE),
       note = "mse=TRUE: replicate deviations are taken from the full-sample estimate, not the replicate mean")
dclus2_jk <- suppressWarnings(as.svrepdesign(dclus2, type = "JK1"))
record("extra", "dclus2_jk1_mean_api00", "svymean(~api00, as.svrepdesign(dclus2, type='JK1'))", spec$dclus2,
       fn_call("mean", vars = "api00"), stat_table(svymean(~api00, dclus2_jk), "api00"), replicate = jk1,
       note = "one replicate per first-stage PSU; R keeps the first-stage fpc and drops the second-stage one (with a warning)")

# The bootstrap replicate weights of api.json, for a total, a ratio, and with mse = TRUE.
record("extra", "dclus1_boot50_total_enroll",
       "svytotal(~enroll, bs) with the replicate weights in data/apiclus1_bootstrap50.csv", spec$dclus1,
       fn_call("total", vars = "enroll"), stat_table(svytotal(~enroll, dclus1_boot), "enroll"), replicate = boot_spec)
record("extra", "dclus1_boot50_ratio",
       "svyratio(~api.stu, ~enroll, bs) with the replicate weights in data/apiclus1_bootstrap50.csv", spec$dclus1,
       fn_call("ratio", numerator = "api_stu", denominator = "enroll"),
       stat_table(svyratio(~api.stu, ~enroll, dclus1_boot), "api_stu/enroll"), replicate = boot_spec)
boot_mse <- svrepdesign(data = apiclus1, repweights = boot_w, weights = ~pw, type = "bootstrap",
                        scale = dclus1_boot$scale, rscales = dclus1_boot$rscales, mse = TRUE,
                        combined.weights = TRUE)
boot_mse_spec <- boot_spec
boot_mse_spec$mse <- TRUE
record("extra", "dclus1_boot50_mse_mean_api00",
       "svymean(~api00, svrepdesign(data=apiclus1, repweights=<apiclus1_bootstrap50.csv>, weights=~pw, type='bootstrap', scale=bs$scale, rscales=bs$rscales, mse=TRUE, combined.weights=TRUE))",
       spec$dclus1, fn_call("mean", vars = "api00"), stat_table(svymean(~api00, boot_mse), "api00"),
       replicate = boot_mse_spec, note = "mse=TRUE: deviations from the full-sample estimate")

# ---- weighting, also on replicate designs --------------------------------------------------------
# When a case has both "replicate" and "weighting", the design is converted first and the weighting is
# then applied to it (every replicate is re-weighted), as rake(as.svrepdesign(...)) does in R.
rake_spec <- list(method = "rake", margins = list(stype = pop_stype, sch_wide = pop_schwide))
rake_margins <- list(~stype, ~sch.wide)
rake_pops <- list(pop.types, pop.schwide)
tight_rake <- list(maxit = 200, epsilon = 1e-12)
rake_tight_note <- paste("rake iterated to convergence (control=list(maxit=200, epsilon=1e-12): epsilon < 1 is",
                         "relative to the sum of weights); a fully converged raking matches at 1e-8")
rake_default_note <- paste("R's default rake stops when no cell of the stype x sch.wide table of weighted counts",
                           "moves by 1 or more in a sweep (epsilon=1, absolute); weights are then up to ~3e-5",
                           "from the converged ones, so compare at", "%s", "or see the _converged case")
record("extra", "dclus1_rake_converged",
       "rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control=list(maxit=200, epsilon=1e-12)); svymean(~api00)",
       spec$dclus1, mean_api00, weighted_result(rake(dclus1, rake_margins, rake_pops, control = tight_rake)),
       weighting = rake_spec, note = rake_tight_note)
record("extra", "dclus1_jk1_rake",
       "rake(as.svrepdesign(dclus1, type='JK1'), list(~stype, ~sch.wide), list(pop.types, pop.schwide)); svymean(~api00)",
       spec$dclus1, mean_api00, weighted_result(rake(dclus1_jk, rake_margins, rake_pops)),
       replicate = jk1, weighting = rake_spec, tol = 1e-4, note = sprintf(rake_default_note, "1e-4"))
record("extra", "dclus1_jk1_rake_converged",
       "rake(as.svrepdesign(dclus1, type='JK1'), list(~stype, ~sch.wide), list(pop.types, pop.schwide), control=list(maxit=200, epsilon=1e-12)); svymean(~api00)",
       spec$dclus1, mean_api00, weighted_result(rake(dclus1_jk, rake_margins, rake_pops, control = tight_rake)),
       replicate = jk1, weighting = rake_spec, note = rake_tight_note)
record("extra", "dclus1_jk1_poststratify", "postStratify(as.svrepdesign(dclus1, type='JK1'), ~stype, pop.types); svymean(~api00)",
       spec$dclus1, mean_api00, weighted_result(postStratify(dclus1_jk, ~stype, pop.types)),
       replicate = jk1, weighting = list(method = "poststratify", var = "stype", totals = pop_stype))
record("extra", "dstrat_poststratify", "postStratify(dstrat, ~sch.wide, pop.schwide); svymean(~api00)", spec$dstrat,
       mean_api00, weighted_result(postStratify(dstrat, ~sch.wide, pop.schwide)),
       weighting = list(method = "poststratify", var = "sch_wide", totals = pop_schwide))
record("extra", "dclus1_jk1_calibrate_linear",
       "calibrate(as.svrepdesign(dclus1, type='JK1'), ~stype+api99, pop.totals); svymean(~api00)", spec$dclus1,
       mean_api00, weighted_result(calibrate(dclus1_jk, ~stype + api99, cal_totals)),
       replicate = jk1, weighting = cal_spec("linear"))
record("extra", "dclus1_calibrate_raking_converged",
       "calibrate(dclus1, ~stype+api99, pop.totals, calfun='raking', epsilon=1e-13, maxit=500); svymean(~api00)",
       spec$dclus1, mean_api00,
       weighted_result(calibrate(dclus1, ~stype + api99, cal_totals, calfun = "raking", epsilon = 1e-13, maxit = 500)),
       weighting = cal_spec("raking"), note = "calibration iterated to convergence; a converged solution matches at 1e-8")
bounded_spec <- c(cal_spec("linear"), list(bounds = c(0.5, 2)))
bounded_fit <- calibrate(dclus1, ~stype + api99, cal_totals, bounds = c(0.5, 2))
stopifnot(min(weights(bounded_fit) / weights(dclus1)) == 0.5)  # the lower bound binds
bounded_tight <- calibrate(dclus1, ~stype + api99, cal_totals, bounds = c(0.5, 2), epsilon = 1e-13, maxit = 500)
bounded_gap <- max(abs(weights(bounded_fit) / weights(bounded_tight) - 1))
if (bounded_gap > 1e-10) stop("bounded calibration: R's default stopping is ", bounded_gap, " from convergence")
record("extra", "dclus1_calibrate_bounded",
       "calibrate(dclus1, ~stype+api99, pop.totals, bounds=c(0.5, 2)); svymean(~api00)", spec$dclus1,
       mean_api00, weighted_result(bounded_fit), weighting = bounded_spec,
       note = paste("bounds on the ratio of calibrated to design weights (g); unbounded, the smallest g is 0.42, so the",
                    "lower bound binds; R's iterations end on the fixed point here (same weights with epsilon=1e-13)"))
record("extra", "dstrat_trim", "trimWeights(dstrat, upper=40, lower=18); svymean(~api00)", spec$dstrat, mean_api00,
       weighted_result(trimWeights(dstrat, upper = 40, lower = 18)),
       weighting = list(method = "trim", lower = 18, upper = 40),
       note = "E weights (44.21) are cut to 40 and H weights (15.1) raised to 18; with strict=FALSE the net amount trimmed is then added in equal parts to the untrimmed weights (here the M schools: 20.36 -> 25.88), once, keeping the total")

# ---- confidence intervals of means, totals and ratios --------------------------------------------
# R's confint() on svymean/svytotal/svyratio uses the normal quantile unless df= is given.
ci_rows <- function(obj, variables, categories = NULL, conf = 0.95, df = Inf) {
  rows <- stat_table(obj, variables, categories)
  ci <- confint(obj, level = conf, df = df)
  for (k in seq_along(rows)) {
    rows[[k]]$ci_low <- num(ci[k, 1])
    rows[[k]]$ci_high <- num(ci[k, 2])
  }
  rows
}
record("extra", "dclus1_mean_api00_ci95", "confint(svymean(~api00, dclus1))", spec$dclus1,
       fn_call("mean", vars = "api00"), ci_rows(svymean(~api00, dclus1), "api00"),
       note = "95% Wald interval with the normal quantile (R's confint default, df=Inf)")
record("extra", "dclus1_mean_api00_ci90", "confint(svymean(~api00, dclus1), level=0.9)", spec$dclus1,
       fn_call("mean", vars = "api00", conf_level = 0.9), ci_rows(svymean(~api00, dclus1), "api00", conf = 0.9),
       note = "90% Wald interval with the normal quantile")
record("extra", "dclus1_mean_api00_ci_t", "confint(svymean(~api00, dclus1), df=degf(dclus1))", spec$dclus1,
       fn_call("mean", vars = "api00", df = degf(dclus1)),
       ci_rows(svymean(~api00, dclus1), "api00", df = degf(dclus1)),
       note = "95% interval with the t quantile on df = degf(dclus1) = 14 (extension argument df)")
record("extra", "dstrat_mean_sch_wide_ci95", "confint(svymean(~sch.wide, dstrat))", spec$dstrat,
       fn_call("mean", vars = "sch_wide"), ci_rows(svymean(~sch.wide, dstrat), "sch_wide", c("No", "Yes")),
       note = "95% Wald intervals (normal quantile) for each level's proportion")
record("extra", "dclus2_total_enroll_ci95", "confint(svytotal(~enroll, dclus2, na.rm=TRUE))", spec$dclus2,
       fn_call("total", vars = "enroll", na_rm = TRUE), ci_rows(svytotal(~enroll, dclus2, na.rm = TRUE), "enroll"),
       note = "95% Wald interval with the normal quantile")
record("extra", "dclus1_ratio_ci95", "confint(svyratio(~api.stu, ~enroll, dclus1))", spec$dclus1,
       fn_call("ratio", numerator = "api_stu", denominator = "enroll"),
       ci_rows(svyratio(~api.stu, ~enroll, dclus1), "api_stu/enroll"),
       note = "95% Wald interval with the normal quantile")
record("extra", "dclus1_ciprop_logit_90", "svyciprop(~I(sch.wide=='Yes'), dclus1, method='logit', level=0.9)",
       spec$dclus1, fn_call("ciprop", var = "sch_wide", category = "Yes", method = "logit", conf_level = 0.9),
       ciprop_row(svyciprop(~I(sch.wide == "Yes"), dclus1, method = "logit", level = 0.9), "sch_wide", "Yes"))

# ---- tests, proportions and models on a replicate design ----------------------------------------
tt <- svyttest(api00 ~ sch.wide, dclus1_jk)
record("extra", "dclus1_jk1_ttest", "svyttest(api00~sch.wide, as.svrepdesign(dclus1, type='JK1'))", spec$dclus1,
       fn_call("ttest", var = "api00", by = "sch_wide"),
       list(list(estimate = num(tt$estimate), statistic = num(tt$statistic), df = num(tt$parameter),
                 p_value = num(tt$p.value))),
       replicate = jk1, note = "estimate is mean(Yes) - mean(No); df = degf(design) - 1")
chi <- svychisq(~sch.wide + stype, dclus1_jk)
record("extra", "dclus1_jk1_chisq_rao_scott", "svychisq(~sch.wide+stype, as.svrepdesign(dclus1, type='JK1'))",
       spec$dclus1, fn_call("chisq", a = "sch_wide", b = "stype", statistic = "F"),
       list(list(statistic = num(chi$statistic), ndf = num(chi$parameter[1]), ddf = num(chi$parameter[2]),
                 p_value = num(chi$p.value))),
       replicate = jk1, note = "second-order Rao-Scott with the replicate covariance of the cell proportions")
for (method in c("xlogit", "mean", "beta")) {
  record("extra", paste0("dclus1_jk1_ciprop_", method),
         sprintf("svyciprop(~I(sch.wide=='Yes'), as.svrepdesign(dclus1, type='JK1'), method='%s')", method),
         spec$dclus1, fn_call("ciprop", var = "sch_wide", category = "Yes", method = method),
         ciprop_row(svyciprop(~I(sch.wide == "Yes"), dclus1_jk, method = method), "sch_wide", "Yes"),
         replicate = jk1)
}
dclus1y_jk <- as.svrepdesign(dclus1y, type = "JK1")
glm_variants("dclus1_jk1_glm_quasibinomial",
             "svyglm(I(sch.wide=='Yes')~ell+meals, as.svrepdesign(dclus1, type='JK1'), family=quasibinomial())",
             spec$dclus1, svyglm(sch_yes ~ ell + meals, design = dclus1y_jk, family = quasibinomial()),
             fn_call("glm", formula = "sch_yes ~ ell + meals", family = "quasibinomial", derive = yes_derive),
             replicate = jk1,
             note = "each replicate is refitted by IRLS; df is the residual df of the model, degf(design) + 1 - number of coefficients")
glm_variants("dstrat_jkn_glm_gaussian", "svyglm(api00~ell+meals+mobility, as.svrepdesign(dstrat, type='JKn'))",
             spec$dstrat, svyglm(api00 ~ ell + meals + mobility, design = dstrat_jkn),
             fn_call("glm", formula = "api00 ~ ell + meals + mobility", family = "gaussian"),
             replicate = jkn_spec, note = paste(jkn_note, "; df is the residual df of the model"))

# ---- more on scd (Taylor) -----------------------------------------------------------------------
record("extra", "scd_taylor_ratio", "svyratio(~alive, ~arrests, scdnofpc)", spec$scd,
       fn_call("ratio", numerator = "alive", denominator = "arrests"),
       stat_table(svyratio(~alive, ~arrests, scdnofpc), "alive/arrests"))
record("extra", "scd_taylor_total_alive", "svytotal(~alive, scdnofpc)", spec$scd,
       fn_call("total", vars = "alive"), stat_table(svytotal(~alive, scdnofpc), "alive"))

source_line <- paste0(R.version.string, "; survey ", packageVersion("survey"))

all_finite <- function(x) {
  if (is.list(x)) return(all(vapply(x, all_finite, TRUE)))
  if (is.numeric(x)) return(all(is.finite(x)))
  TRUE
}


written_ids <- character(0)
write_book <- function(book, file) {
  ids <- vapply(books[[book]], function(x) x$id, "")
  for (case in books[[book]]) {
    if (!all_finite(case$expected)) stop("case ", case$id, " has a missing or non-finite expected number")
  }
  clash <- c(ids[duplicated(ids)], intersect(ids, written_ids))
  if (length(clash)) stop("case ids used twice: ", paste(unique(clash), collapse = ", "))
  written_ids <<- c(written_ids, ids)
  out <- list(source = source_line, data_dir = "data", cases = books[[book]])
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
             file.path("expected", file))
  cat(sprintf("%-16s %3d cases\n", file, length(ids)))
}

write_book("api", "api.json")
write_book("api_more", "api_more.json")
write_book("extra", "extra.json")

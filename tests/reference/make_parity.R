# Reference cases for the corners where ci_eval once parted from R `survey` (issue 16):
# degrees of freedom of subsets, subsets of calibrated designs, svyciprop(method = "beta", df =),
# BRR with R's stored Hadamard matrices, trimWeights with zero weights, svyquantile's interval
# types, replicate designs (svyciprop(method = "likelihood"), svrepdesign(fpc =, fpctype =)).
#
#   Rscript tests/reference/make_parity.R     (any working directory)
#
# Writes data/apiclus1_na.csv, data/apiclus1_jk1.csv, data/apipop_strat2_pw.csv,
# data/apipop_strat2_jkn.csv, data/brr_pairs.csv, data/brr_hadamard.json and one case file per
# family, expected/parity_<family>.json (ids "par_*", format of README.md): parity_degf,
# parity_calibrated, parity_beta, parity_brr, parity_trim, parity_quantile, parity_replicate.
# Deterministic: no random draws (the bootstrap weights are read from data/).

local({  # common.R (beside this script): libraries, working directory, options, helpers
  flag <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  source(file.path(if (length(flag) == 1) dirname(normalizePath(sub("^--file=", "", flag))) else ".",
                   "common.R"))
})

save_csv <- function(frame, name) {
  write.csv(frame, file.path("data", paste0(name, ".csv")), row.names = FALSE, na = "")
  load_data(name)  # R computes from exactly the numbers in the file
}

# ---- derived data ----------------------------------------------------------------------------
# apiclus1_na: apiclus1 plus
#   api00_na  api00, missing for every school of the district with the smallest dnum (a PSU whose
#             values are all missing) and for every 9th row;
#   yes_na    1 where sch_wide is "Yes", else 0; missing on every 7th row;
#   pw0       pw, but 0 on every 5th row (rows 5, 10, ...), for trimWeights with zero weights;
#   yes_psu_na  yes_na, also missing for every school of the district with the smallest dnum.
apiclus1 <- load_data("apiclus1")
na1 <- apiclus1
first_district <- min(na1$dnum)
na1$api00_na <- ifelse(na1$dnum == first_district | seq_len(nrow(na1)) %% 9 == 0, NA, na1$api00)
na1$yes_na <- ifelse(seq_len(nrow(na1)) %% 7 == 0, NA, as.numeric(na1$sch_wide == "Yes"))
na1$pw0 <- ifelse(seq_len(nrow(na1)) %% 5 == 0, 0, na1$pw)
na1$yes_psu_na <- ifelse(na1$dnum == first_district, NA, na1$yes_na)
na1 <- save_csv(na1, "apiclus1_na")

# brr_pairs: 64 strata h = 1..64 of two PSUs each (psu = 2h - 1, 2h), two rows per PSU,
# y = 10 + sin(row), x = 5 + cos(row) ^ 2, weight 3. Designs with n pairs use strata 1..n.
rows <- seq_len(64 * 4)
pairs <- data.frame(h = (rows - 1) %/% 4 + 1, psu = (rows - 1) %/% 2 + 1,
                    y = 10 + sin(rows), x = 5 + cos(rows)^2, w = 3)
pairs <- save_csv(pairs, "brr_pairs")

cases <- list()
family <- NULL  # the case file the next cases go to (set before each family)
record <- function(id, r, data, design, call, expected, subset = NULL, weighting = NULL,
                   replicate = NULL, tol = 1e-8, note = NULL) {
  case <- list(id = id, r = r, data = data, design = design, replicate = replicate,
               weighting = weighting, call = call, expected = expected, rel_tol = tol,
               note = note)
  if (!is.null(subset)) case$subset <- subset
  case$family <- family
  cases[[length(cases) + 1]] <<- case
}
fn_call <- function(fn, ...) list(fn = fn, args = structure(list(...), names = names(list(...)) %||% character(0)))
`%||%` <- function(a, b) if (is.null(a)) b else a
ci_row <- function(est, ci, variable, level = NULL, by = NULL) {
  row <- list(variable = variable)
  if (!is.null(level)) row$level <- level
  if (!is.null(by)) row$by <- by
  c(row, list(estimate = num(coef(est))[1], se = num(SE(est))[1],
              ci_low = num(ci[1]), ci_high = num(ci[2])))
}
ciprop_row <- function(obj, variable, level = NULL) {
  ci <- attr(obj, "ci")
  row <- list(variable = variable)
  if (!is.null(level)) row$level <- level
  c(row, list(estimate = num(obj), se = num(sqrt(attr(obj, "var"))),
              ci_low = num(ci[1]), ci_high = num(ci[2])))
}
chisq_row <- function(test, statistic) {
  if (statistic == "Chisq") {
    return(list(statistic = num(test$statistic), df = num(test$parameter),
                p_value = num(test$p.value)))
  }
  list(statistic = num(test$statistic), ndf = num(test$parameter[1]),
       ddf = num(test$parameter[2]), p_value = num(test$p.value))
}

clus1 <- list(ids = "dnum", strata = NULL, weights = "pw", fpc = "fpc")
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = na1)
pop_types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
ps_spec <- list(method = "poststratify", var = "stype",
                totals = list(E = 4421, H = 755, M = 1018))
dclus1p <- postStratify(dclus1, ~stype, pop_types)
pop_totals <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069)
cal_spec <- list(method = "calibrate", formula = "~stype + api99", calfun = "linear",
                 totals = as.list(pop_totals))
dclus1c <- calibrate(dclus1, ~stype + api99, pop_totals)

# ---- 1. degrees of freedom of subsets ----------------------------------------------------------
family <- "degf"
apistrat <- load_data("apistrat")
apiclus2 <- load_data("apiclus2")
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
degf_case <- function(id, r, data, design, value, subset, weighting = NULL) {
  record(id, r, data, design, fn_call("degf"), list(list(df = value)), subset = subset,
         weighting = weighting, note = "call fn 'degf': the design's degrees of freedom")
}
degf_case("par_dclus1_subset_e_degf", "degf(subset(dclus1, stype == 'E'))", "apiclus1_na",
          clus1, degf(subset(dclus1, stype == "E")), "stype == 'E'")
degf_case("par_dstrat_subset_e_degf", "degf(subset(dstrat, stype == 'E'))", "apistrat",
          list(ids = NULL, strata = "stype", weights = "pw", fpc = "fpc"),
          degf(subset(dstrat, stype == "E")), "stype == 'E'")
degf_case("par_dclus2_subset_api99_degf", "degf(subset(dclus2, api99 > 700))", "apiclus2",
          list(ids = c("dnum", "snum"), strata = NULL, weights = NULL, fpc = c("fpc1", "fpc2")),
          degf(subset(dclus2, api99 > 700)), "api99 > 700")
degf_case("par_dclus1_ps_subset_e_degf",
          "degf(subset(postStratify(dclus1, ~stype, pop.types), stype == 'E'))", "apiclus1_na",
          clus1, degf(subset(dclus1p, stype == "E")), "stype == 'E'", weighting = ps_spec)

m <- svymean(~api00_na, dclus1, na.rm = TRUE)
record("par_dclus1_na_mean_df_design",
       "confint(svymean(~api00_na, dclus1, na.rm = TRUE), df = degf(dclus1))", "apiclus1_na",
       clus1, fn_call("mean", vars = "api00_na", na_rm = TRUE, df = "design"),
       list(ci_row(m, confint(m, df = degf(dclus1)), "api00_na")),
       note = "one PSU has every api00_na missing: df = 'design' still uses the design's degf")
s <- subset(dclus1, stype == "E")
m <- svymean(~api00_na, s, na.rm = TRUE)
record("par_dclus1_subset_e_mean_df_design",
       "s <- subset(dclus1, stype == 'E'); confint(svymean(~api00_na, s, na.rm = TRUE), df = degf(s))",
       "apiclus1_na", clus1, fn_call("mean", vars = "api00_na", na_rm = TRUE, df = "design"),
       list(ci_row(m, confint(m, df = degf(s)), "api00_na")), subset = "stype == 'E'")
b <- svyby(~api00, ~stype, dclus1, svymean)
ci <- confint(b, df = degf(dclus1))
record("par_dclus1_by_stype_df_design",
       "confint(svyby(~api00, ~stype, dclus1, svymean), df = degf(dclus1))", "apiclus1_na",
       clus1, fn_call("mean", vars = "api00", by = "stype", df = "design"),
       lapply(seq_len(nrow(b)), function(i) {
         list(variable = "api00", by = list(stype = as.character(b$stype[i])),
              estimate = num(b$api00[i]), se = num(b$se[i]), ci_low = num(ci[i, 1]),
              ci_high = num(ci[i, 2]))
       }),
       note = "every domain uses the whole design's degf")

# the design's df whatever is missing: svyciprop's default df = degf(design) counts the PSU
# whose yes_psu_na are all missing, but svyquantile(na.rm = TRUE) drops the rows with a missing
# value before it takes degf (R is inconsistent here; ci_eval follows it)
s <- subset(dclus1, stype != "H")
p <- svyciprop(~yes_psu_na, s, method = "mean", na.rm = TRUE)
record("par_dclus1_subset_ciprop_mean_psu_na",
       "svyciprop(~yes_psu_na, subset(dclus1, stype != 'H'), method = 'mean', na.rm = TRUE)",
       "apiclus1_na", clus1, fn_call("ciprop", var = "yes_psu_na", method = "mean", na_rm = TRUE),
       list(ciprop_row(p, "yes_psu_na")), subset = "stype != 'H'",
       note = "t on degf(subset), the PSU with every yes_psu_na missing included")
q <- svyquantile(~api00_na, dclus1, c(0.25, 0.5), na.rm = TRUE)
record("par_dclus1_quantile_narm_df",
       "svyquantile(~api00_na, dclus1, c(0.25, 0.5), na.rm = TRUE)", "apiclus1_na", clus1,
       fn_call("quantile", vars = "api00_na", q = c(0.25, 0.5), na_rm = TRUE),
       lapply(1:2, function(i) {
         list(variable = "api00_na", level = c("0.25", "0.5")[i], estimate = num(q$api00_na[i, 1]),
              se = num(q$api00_na[i, 4]), ci_low = num(q$api00_na[i, 2]),
              ci_high = num(q$api00_na[i, 3]))
       }),
       note = "t on degf(design[!is.na(api00_na), ]): the district with no value leaves the df")

# subsets of replicate designs: R's [.svyrep.design recomputes degf, the rank of the subset's
# replicate weights minus 1
apipop_strat2 <- load_data("apipop_strat2")
strat2 <- list(ids = c("dnum", "snum"), strata = "stype", weights = NULL, fpc = c("fpc1", "fpc2"),
               nest = TRUE)
dstrat2 <- svydesign(id = ~dnum + snum, strata = ~stype, fpc = ~fpc1 + fpc2, nest = TRUE,
                     data = apipop_strat2)
scd <- load_data("scd")
scd_spec <- list(ids = "ambulance", strata = "ESA", weights = NULL, probs = "one", fpc = NULL,
                 nest = TRUE)
dscd <- svydesign(id = ~ambulance, strata = ~ESA, prob = ~1, nest = TRUE, data = scd)
boot50 <- load_data("apiclus1_bootstrap50")
bs_frame <- cbind(na1, boot50)
bs <- svrepdesign(data = bs_frame, repweights = bs_frame[, names(boot50)], weights = ~pw,
                  type = "bootstrap", combined.weights = TRUE, scale = 0.021865889212828,
                  rscales = 1, mse = FALSE)
boot_spec <- list(type = "bootstrap", repweights_file = "apiclus1_bootstrap50.csv",
                  scale = 0.021865889212828, rscales = 1, mse = FALSE, combined_weights = TRUE)
replicate_subsets <- list(
  list("dclus1_jk1", "as.svrepdesign(dclus1, type = 'JK1')", "apiclus1_na", clus1,
       as.svrepdesign(dclus1, type = "JK1"), list(type = "JK1"), "stype == 'H'"),
  list("dstrat2_jkn", "as.svrepdesign(dstrat2, type = 'JKn')", "apipop_strat2", strat2,
       as.svrepdesign(dstrat2, type = "JKn"), list(type = "JKn"), "stype == 'E'"),
  list("scd_brr", "as.svrepdesign(scd, type = 'BRR')", "scd", scd_spec,
       as.svrepdesign(dscd, type = "BRR"), list(type = "BRR"), "alive > 20"),
  list("dclus1_boot50", "<bootstrap50 design>", "apiclus1_na", clus1, bs, boot_spec,
       "stype == 'H'")
)
for (x in replicate_subsets) {
  s <- subset(x[[5]], eval(parse(text = x[[7]])))
  record(sprintf("par_%s_subset_degf", x[[1]]), sprintf("degf(subset(%s, %s))", x[[2]], x[[7]]),
         x[[3]], x[[4]], fn_call("degf"), list(list(df = degf(s))), subset = x[[7]],
         replicate = x[[6]], note = "call fn 'degf': rank of the subset's replicate weights - 1")
}
s <- subset(as.svrepdesign(dclus1, type = "JK1"), stype == "H")
m <- svymean(~api00_na, s, na.rm = TRUE)
record("par_dclus1_jk1_subset_h_mean_df_design",
       "s <- subset(as.svrepdesign(dclus1, type = 'JK1'), stype == 'H'); confint(svymean(~api00_na, s, na.rm = TRUE), df = degf(s))",
       "apiclus1_na", clus1, fn_call("mean", vars = "api00_na", na_rm = TRUE, df = "design"),
       list(ci_row(m, confint(m, df = degf(s)), "api00_na")), subset = "stype == 'H'",
       replicate = list(type = "JK1"))
degf_case("par_dstrat2_ps_subset_e_degf",
          "degf(subset(postStratify(dstrat2, ~stype, pop.types), stype == 'E'))", "apipop_strat2",
          strat2, degf(subset(postStratify(dstrat2, ~stype, pop_types), stype == "E")),
          "stype == 'E'", weighting = ps_spec)

# ---- 2. subsets of calibrated and post-stratified designs ------------------------------------
family <- "calibrated"
for (stat in c("F", "Chisq", "Wald", "adjWald")) {
  for (w in list(list("ps", dclus1p, ps_spec), list("cal", dclus1c, cal_spec))) {
    sub <- subset(w[[2]], api99 > 600)
    test <- svychisq(~stype + sch_wide, sub, statistic = stat)
    record(sprintf("par_dclus1_%s_subset_chisq_%s", w[[1]], tolower(stat)),
           sprintf("svychisq(~stype + sch.wide, subset(%s, api99 > 600), statistic = '%s')",
                   if (w[[1]] == "ps") "postStratify(dclus1, ...)" else "calibrate(dclus1, ...)",
                   stat),
           "apiclus1_na", clus1, fn_call("chisq", a = "stype", b = "sch_wide", statistic = stat),
           list(chisq_row(test, stat)), subset = "api99 > 600", weighting = w[[3]],
           note = paste("R keeps the rows outside the subset with weight 0 and counts them in",
                        "N and in the denominator df"))
  }
}
sub <- subset(dclus1p, stype == "E")
record("par_dclus1_ps_subset_e_ciprop_beta",
       "svyciprop(~I(sch.wide == 'Yes'), subset(postStratify(dclus1, ...), stype == 'E'), method = 'beta')",
       "apiclus1_na", clus1,
       fn_call("ciprop", var = "sch_wide", category = "Yes", method = "beta"),
       list(ciprop_row(svyciprop(~I(sch_wide == "Yes"), sub, method = "beta"), "sch_wide", "Yes")),
       subset = "stype == 'E'", weighting = ps_spec,
       note = "R's qt(alpha/2, nrow(design) - 1) counts every row of the calibrated design")
byb <- svyby(~I(sch_wide == "Yes"), ~stype, dclus1c, svyciprop, method = "beta", vartype = c("se", "ci"))
record("par_dclus1_cal_by_stype_ciprop_beta",
       "svyby(~I(sch.wide == 'Yes'), ~stype, calibrate(dclus1, ...), svyciprop, method = 'beta', vartype = c('se', 'ci'))",
       "apiclus1_na", clus1,
       fn_call("ciprop", var = "sch_wide", category = "Yes", method = "beta", by = "stype"),
       lapply(seq_len(nrow(byb)), function(i) {
         list(variable = "sch_wide", level = "Yes", by = list(stype = as.character(byb$stype[i])),
              estimate = num(byb[i, 2]), se = num(byb$se[i]), ci_low = num(byb$ci_l[i]),
              ci_high = num(byb$ci_u[i]))
       }),
       weighting = cal_spec)
for (w in list(list("ps", dclus1p, ps_spec), list("cal", dclus1c, cal_spec))) {
  p <- svyciprop(~yes_na, w[[2]], method = "likelihood", na.rm = TRUE)
  record(sprintf("par_dclus1_%s_ciprop_likelihood_na", w[[1]]),
         "svyciprop(~yes_na, <calibrated dclus1>, method = 'likelihood', na.rm = TRUE)",
         "apiclus1_na", clus1,
         fn_call("ciprop", var = "yes_na", method = "likelihood", na_rm = TRUE),
         list(ciprop_row(p, "yes_na")), weighting = w[[3]],
         note = paste("svyglm's Pearson residuals scale the sampling weights by their mean over",
                      "every row of the calibrated design (rows with yes_na missing weigh 0)"))
  p <- svyciprop(~yes_na, subset(w[[2]], stype != "H"), method = "likelihood", na.rm = TRUE)
  record(sprintf("par_dclus1_%s_subset_ciprop_likelihood_na", w[[1]]),
         "svyciprop(~yes_na, subset(<calibrated dclus1>, stype != 'H'), method = 'likelihood', na.rm = TRUE)",
         "apiclus1_na", clus1,
         fn_call("ciprop", var = "yes_na", method = "likelihood", na_rm = TRUE),
         list(ciprop_row(p, "yes_na")), subset = "stype != 'H'", weighting = w[[3]])
}

# raked designs (iterated to convergence) and a calibrated two-stage design
pop_sw <- data.frame(sch_wide = c("No", "Yes"), Freq = c(1072, 5122))
tight <- list(epsilon = 1e-10, maxit = 500)
rake_spec <- list(method = "rake", margins = list(stype = ps_spec$totals,
                                                  sch_wide = list(No = 1072, Yes = 5122)),
                  control = tight)
dclus1r <- rake(dclus1, list(~stype, ~sch_wide), list(pop_types, pop_sw), control = tight)
rake_r <- "rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control = list(epsilon = 1e-10, maxit = 500))"
dclus2c <- calibrate(dclus2, ~stype + api99, pop_totals)
clus2 <- list(ids = c("dnum", "snum"), strata = NULL, weights = NULL, fpc = c("fpc1", "fpc2"))
for (stat in c("F", "Chisq")) {
  test <- svychisq(~stype + awards, subset(dclus1r, api99 > 600), statistic = stat)
  record(sprintf("par_dclus1_rake_subset_chisq_%s", tolower(stat)),
         sprintf("svychisq(~stype + awards, subset(%s, api99 > 600), statistic = '%s')", rake_r, stat),
         "apiclus1_na", clus1, fn_call("chisq", a = "stype", b = "awards", statistic = stat),
         list(chisq_row(test, stat)), subset = "api99 > 600", weighting = rake_spec,
         note = "a raked design keeps the rows outside the subset: N and nu are the whole design's")
}
for (stat in c("F", "adjWald")) {
  test <- svychisq(~stype + sch_wide, subset(dclus2c, api99 > 650), statistic = stat)
  record(sprintf("par_dclus2_cal_subset_chisq_%s", tolower(stat)),
         sprintf("svychisq(~stype + sch.wide, subset(calibrate(dclus2, ~stype + api99, pop.totals), api99 > 650), statistic = '%s')", stat),
         "apiclus2", clus2, fn_call("chisq", a = "stype", b = "sch_wide", statistic = stat),
         list(chisq_row(test, stat)), subset = "api99 > 650", weighting = cal_spec)
}
p <- svyciprop(~yes_na, dclus1r, method = "likelihood", na.rm = TRUE)
record("par_dclus1_rake_ciprop_likelihood_na",
       sprintf("svyciprop(~yes_na, %s, method = 'likelihood', na.rm = TRUE)", rake_r),
       "apiclus1_na", clus1, fn_call("ciprop", var = "yes_na", method = "likelihood", na_rm = TRUE),
       list(ciprop_row(p, "yes_na")), weighting = rake_spec,
       note = "residuals scale by the mean weight over every row of the raked design")
p <- svyciprop(~yes_na, subset(dclus1r, stype != "E"), method = "beta", na.rm = TRUE)
record("par_dclus1_rake_subset_ciprop_beta_na",
       sprintf("svyciprop(~yes_na, subset(%s, stype != 'E'), method = 'beta', na.rm = TRUE)", rake_r),
       "apiclus1_na", clus1, fn_call("ciprop", var = "yes_na", method = "beta", na_rm = TRUE),
       list(ciprop_row(p, "yes_na")), subset = "stype != 'E'", weighting = rake_spec,
       note = "nrow(design) - 1 counts every row of the raked design")

# a proportion that is a raking margin has a design variance of rounding size: R's profile
# limits lie within rounding of the estimate (its se is rounding, not compared)
dstratr <- rake(dstrat, list(~stype, ~sch_wide), list(pop_types, pop_sw), control = tight)
p <- svyciprop(~I(sch_wide == "Yes"), dstratr, method = "likelihood")
row <- ciprop_row(p, "sch_wide", "Yes")
row$se <- NULL
record("par_dstrat_rake_ciprop_likelihood_margin",
       "svyciprop(~I(sch.wide == 'Yes'), rake(dstrat, list(~stype, ~sch.wide), ..., control = list(epsilon = 1e-10, maxit = 500)), method = 'likelihood')",
       "apistrat", list(ids = NULL, strata = "stype", weights = "pw", fpc = "fpc"),
       fn_call("ciprop", var = "sch_wide", category = "Yes", method = "likelihood"),
       list(row), weighting = rake_spec,
       note = "sch_wide is a raking margin: the interval is the point to rounding (se not compared)")

# ---- 3. svyciprop(method = "beta") ignores df ---------------------------------------------------
family <- "beta"
for (d in c(5, 40)) {
  p <- svyciprop(~I(sch_wide == "Yes"), dclus1, method = "beta", df = d)
  record(sprintf("par_dclus1_ciprop_beta_df%d", d),
         sprintf("svyciprop(~I(sch.wide == 'Yes'), dclus1, method = 'beta', df = %d)", d),
         "apiclus1_na", clus1,
         fn_call("ciprop", var = "sch_wide", category = "Yes", method = "beta", df = d),
         list(ciprop_row(p, "sch_wide", "Yes")),
         note = "R's beta interval uses degf(design) whatever df is")
}

# ---- 4. BRR with R's stored Hadamard matrices ------------------------------------------------
family <- "brr"
# data/brr_hadamard.json: for n = 2..64 pairs, R's replicate multipliers of the design on strata
# 1..n of brr_pairs (as.svrepdesign(type = "BRR")$repweights, compressed: one row per PSU, 2 or 0),
# (1 for 2, see bits() below) and the row of each data row's PSU; and R's stored matrices of order
# 28 and 36 (survey:::hadamard.list[[3]], [[4]]; 1 for +1), rows in the same encoding.
# each PSU's row as hexadecimal digits, 4 replicates a digit, first replicate in the high bit
# of the first digit (the last digit padded with zero bits)
bits <- function(m) apply(m, 1, function(r) {
  b <- as.integer(r != 0)
  b <- c(b, rep(0L, (4 - length(b) %% 4) %% 4))
  paste(sprintf("%x", colSums(matrix(b, 4) * c(8, 4, 2, 1))), collapse = "")
})
brr <- lapply(2:64, function(n) {
  des <- svydesign(id = ~psu, strata = ~h, weights = ~w, data = pairs[pairs$h <= n, ])
  rep <- as.svrepdesign(des, type = "BRR")
  list(pairs = n, replicates = ncol(rep$repweights$weights),
       psu_rows = bits(rep$repweights$weights), psu_of_row = as.integer(rep$repweights$index))
})
stored <- survey:::hadamard.list
hadamard_doc <- list(
  source = paste0(R.version.string, ", survey ", packageVersion("survey")),
  stored = list(`28` = bits(stored[[3]]), `36` = bits(stored[[4]])),
  brr = brr
)
writeLines(toJSON(hadamard_doc, auto_unbox = TRUE, pretty = FALSE),
           file.path("data", "brr_hadamard.json"))
for (n in c(26, 34, 50)) {
  des <- svydesign(id = ~psu, strata = ~h, weights = ~w, data = pairs[pairs$h <= n, ])
  for (type in c("BRR", "Fay")) {
    rep <- if (type == "BRR") as.svrepdesign(des, type = "BRR") else
      as.svrepdesign(des, type = "Fay", fay.rho = 0.3)
    r <- svyratio(~y, ~x, rep)
    record(sprintf("par_brr%d_%s_ratio", n, tolower(type)),
           sprintf("svyratio(~y, ~x, as.svrepdesign(<%d pairs>, type = '%s'%s))", n, type,
                   if (type == "Fay") ", fay.rho = 0.3" else ""),
           "brr_pairs", list(ids = "psu", strata = "h", weights = "w", fpc = NULL),
           fn_call("ratio", numerator = "y", denominator = "x"),
           list(list(variable = "y/x", estimate = num(coef(r)), se = num(SE(r)))),
           replicate = if (type == "BRR") list(type = "BRR") else list(type = "Fay", fay_rho = 0.3),
           note = sprintf("%d pairs: R's Hadamard matrix of order %d", n, ncol(rep$repweights$weights)))
    # each design uses the strata 1..n only: "data_rows" cuts the data file before the design
    cases[[length(cases)]]$data_rows <- sprintf("h <= %d", n)
  }
}

# ---- 5. trimWeights with zero weights ------------------------------------------------------------
family <- "trim"
dz <- svydesign(id = ~dnum, weights = ~pw0, fpc = ~fpc, data = na1)
for (strict in c(FALSE, TRUE)) {
  tw <- trimWeights(dz, lower = 20, upper = 45, strict = strict)
  m <- svymean(~api00, tw)
  record(sprintf("par_dclus1_zero_trim%s", if (strict) "_strict" else ""),
         sprintf("trimWeights(svydesign(id=~dnum, weights=~pw0, fpc=~fpc), lower=20, upper=45%s); svymean(~api00)",
                 if (strict) ", strict=TRUE" else ""),
         "apiclus1_na", list(ids = "dnum", strata = NULL, weights = "pw0", fpc = "fpc"),
         fn_call("mean", vars = "api00"),
         list(mean = list(variable = "api00", estimate = num(coef(m)), se = num(SE(m))),
              weights = num(weights(tw))),
         weighting = list(method = "trim", lower = 20, upper = 45, strict = strict),
         note = "R raises the zero weights (every 5th row) to the lower bound")
}

tw <- trimWeights(dz, lower = 30, upper = 45)
m <- svymean(~api00, tw)
record("par_dclus1_zero_trim_mean_outside",
       "trimWeights(svydesign(id=~dnum, weights=~pw0, fpc=~fpc), lower=30, upper=45); svymean(~api00)",
       "apiclus1_na", list(ids = "dnum", strata = NULL, weights = "pw0", fpc = "fpc"),
       fn_call("mean", vars = "api00"),
       list(mean = list(variable = "api00", estimate = num(coef(m)), se = num(SE(m))),
            weights = num(weights(tw))),
       weighting = list(method = "trim", lower = 30, upper = 45, strict = FALSE),
       note = "the mean weight (27.1) is below lower: R's one pass leaves weights below 30")

# ---- 6. quantile intervals (svyquantile's interval.type) ------------------------------------
family <- "quantile"
quantile_rows <- function(obj, variable, probs, by = NULL) {
  m <- obj[[variable]]
  lapply(seq_along(probs), function(i) {
    row <- list(variable = variable, level = as.character(probs[i]))
    if (!is.null(by)) row$by <- by
    c(row, list(estimate = num(m[i, 1]), se = num(m[i, 4]), ci_low = num(m[i, 2]),
                ci_high = num(m[i, 3])))
  })
}
probs <- c(0.25, 0.5, 0.9)
for (type in c("beta", "xlogit", "asin")) {
  for (rule in c("math", "school")) {
    q <- svyquantile(~api00, dclus1, probs, interval.type = type, qrule = rule)
    record(sprintf("par_dclus1_quantile_%s_%s", type, rule),
           sprintf("svyquantile(~api00, dclus1, c(0.25, 0.5, 0.9), interval.type = '%s', qrule = '%s')",
                   type, rule),
           "apiclus1_na", clus1,
           fn_call("quantile", vars = "api00", q = probs, interval_type = type, qrule = rule),
           quantile_rows(q, "api00", probs))
  }
}
q <- svyquantile(~api00_na, dclus1, probs, interval.type = "beta", na.rm = TRUE, df = 30)
record("par_dclus1_quantile_beta_narm_df30",
       "svyquantile(~api00_na, dclus1, c(0.25, 0.5, 0.9), interval.type = 'beta', na.rm = TRUE, df = 30)",
       "apiclus1_na", clus1,
       fn_call("quantile", vars = "api00_na", q = probs, interval_type = "beta", na_rm = TRUE, df = 30),
       quantile_rows(q, "api00_na", probs),
       note = "beta: the share's interval uses nrow(design) and degf(design); df = 30 only sets the se")
for (w in list(list("ps", dclus1p, ps_spec), list("plain", dclus1, NULL))) {
  q <- svyquantile(~api00, subset(w[[2]], stype == "M"), 0.5, interval.type = "beta")
  record(sprintf("par_dclus1_%s_subset_m_quantile_beta", w[[1]]),
         "svyquantile(~api00, subset(<dclus1>, stype == 'M'), 0.5, interval.type = 'beta')",
         "apiclus1_na", clus1,
         fn_call("quantile", vars = "api00", q = 0.5, interval_type = "beta"),
         quantile_rows(q, "api00", 0.5), subset = "stype == 'M'", weighting = w[[3]],
         note = "nrow(design) is every row of a calibrated design, the subset's rows otherwise")
}
boot50 <- load_data("apiclus1_bootstrap50")
bs_frame <- cbind(na1, boot50)
bs <- svrepdesign(data = bs_frame, repweights = bs_frame[, names(boot50)], weights = ~pw,
                  type = "bootstrap", combined.weights = TRUE, scale = 0.021865889212828,
                  rscales = 1, mse = FALSE)
boot_spec <- list(type = "bootstrap", repweights_file = "apiclus1_bootstrap50.csv",
                  scale = 0.021865889212828, rscales = 1, mse = FALSE, combined_weights = TRUE)
for (type in c("quantile", "beta")) {
  for (rule in c("math", "school")) {
    q <- svyquantile(~api00, bs, probs, interval.type = type, qrule = rule)
    record(sprintf("par_dclus1_boot50_quantile_%s_%s", type, rule),
           sprintf("svyquantile(~api00, bs, c(0.25, 0.5, 0.9), interval.type = '%s', qrule = '%s')",
                   type, rule),
           "apiclus1_na", clus1,
           fn_call("quantile", vars = "api00", q = probs, interval_type = type, qrule = rule),
           quantile_rows(q, "api00", probs), replicate = boot_spec,
           note = if (type == "beta") "R's replicate svyquantile ignores interval.type other than 'quantile' (Woodruff 'mean')" else
             "replicate quantiles, se from svrVar")
  }
}

# ---- 7. replicate designs: svyciprop(method = "likelihood") ---------------------------------
family <- "replicate"
jk1 <- as.svrepdesign(dclus1, type = "JK1")
p <- svyciprop(~I(sch_wide == "Yes"), jk1, method = "likelihood")
row <- ciprop_row(p, "sch_wide", "Yes")
record("par_dclus1_jk1_ciprop_likelihood",
       "svyciprop(~I(sch.wide == 'Yes'), as.svrepdesign(dclus1, type = 'JK1'), method = 'likelihood')",
       "apiclus1_na", clus1, fn_call("ciprop", var = "sch_wide", category = "Yes", method = "likelihood"),
       list(row), replicate = list(type = "JK1"),
       note = "R gives the estimate and se and a missing (NA) interval: ci_low, ci_high are null")

# svrepdesign(fpc =, fpctype =): JK1 weights of apiclus1 without fpc (data/apiclus1_jk1.csv,
# already multiplied by the sampling weights), with the first-stage sampling fraction 15/757
dclus1_nofpc <- svydesign(id = ~dnum, weights = ~pw, data = na1)
jk1_weights <- unclass(weights(as.svrepdesign(dclus1_nofpc, type = "JK1", compress = FALSE), "analysis"))
jk1_weights <- matrix(as.numeric(jk1_weights), nrow = nrow(na1))
colnames(jk1_weights) <- paste0("jk", seq_len(ncol(jk1_weights)))
jk1_weights <- save_csv(as.data.frame(jk1_weights), "apiclus1_jk1")
jk_frame <- cbind(na1, jk1_weights)
for (fpctype in c("fraction", "correction")) {
  fpc <- rep(if (fpctype == "fraction") 15 / 757 else 1 - 15 / 757, 15)
  des <- svrepdesign(data = jk_frame, repweights = jk_frame[, names(jk1_weights)], weights = ~pw,
                     type = "JK1", scale = 14 / 15, rscales = rep(1, 15), combined.weights = TRUE,
                     fpc = fpc, fpctype = fpctype)
  m <- svymean(~api00 + enroll, des)
  record(sprintf("par_dclus1_jk1_fpc_%s_mean", fpctype),
         sprintf("svymean(~api00 + enroll, svrepdesign(<JK1 weights>, type = 'JK1', scale = 14/15, fpc = rep(%s, 15), fpctype = '%s'))",
                 if (fpctype == "fraction") "15/757" else "1 - 15/757", fpctype),
         "apiclus1_na", clus1, fn_call("mean", vars = c("api00", "enroll")),
         lapply(1:2, function(k) list(variable = c("api00", "enroll")[k], estimate = num(coef(m))[k],
                                      se = num(SE(m))[k])),
         replicate = list(type = "JK1", repweights_file = "apiclus1_jk1.csv", scale = 14 / 15,
                          rscales = rep(1, 15), mse = FALSE, combined_weights = TRUE, fpc = fpc,
                          fpctype = fpctype),
         note = "R multiplies rscales by 1 - fpc (fraction) or fpc (correction)")
}

# svyciprop(method = "logit") on replicate designs where some replicate's share is 0 or 1: R's
# svyglm refits that replicate until glm.fit's deviance test stops it (a logit near 22), which
# makes the interval very wide, not missing
p <- svyciprop(~yes_na, subset(bs, stype == "H"), method = "logit", na.rm = TRUE)
record("par_dclus1_boot50_subset_h_ciprop_logit",
       "svyciprop(~yes_na, subset(<bootstrap50 design>, stype == 'H'), method = 'logit', na.rm = TRUE)",
       "apiclus1_na", clus1, fn_call("ciprop", var = "yes_na", method = "logit", na_rm = TRUE),
       list(ciprop_row(p, "yes_na")), subset = "stype == 'H'", replicate = boot_spec,
       note = "one bootstrap replicate has every H school with yes_na = 1")

# svrepdesign(fpc =, fpctype =) on JKn weights: data/apipop_strat2_pw.csv is apipop_strat2 plus
# its sampling weights pw (those of dstrat2), data/apipop_strat2_jkn.csv the JKn weights of the
# design without fpc (multiplied by pw); one first-stage sampling fraction n_h / N_h per replicate,
# that of the stratum whose PSU the replicate drops
strat2_pw <- save_csv(cbind(apipop_strat2, pw = weights(dstrat2)), "apipop_strat2_pw")
dstrat2_nofpc <- svydesign(id = ~dnum + snum, strata = ~stype, weights = ~pw, nest = TRUE,
                           data = strat2_pw)
jkn <- as.svrepdesign(dstrat2_nofpc, type = "JKn", compress = FALSE)
jkn_weights <- matrix(as.numeric(unclass(weights(jkn, "analysis"))), nrow = nrow(strat2_pw))
colnames(jkn_weights) <- paste0("jkn", seq_len(ncol(jkn_weights)))
jkn_weights <- save_csv(as.data.frame(jkn_weights), "apipop_strat2_jkn")
strat2_frame <- cbind(strat2_pw, jkn_weights)
dropped <- apply(as.matrix(jkn_weights), 2, function(col) which(col == 0)[1])
n_h <- tapply(strat2_pw$dnum, strat2_pw$stype, function(d) length(unique(d)))
f_h <- n_h / tapply(strat2_pw$fpc1, strat2_pw$stype, `[`, 1)
fraction <- as.numeric(f_h[as.character(strat2_pw$stype[dropped])])
strat2_pw_spec <- list(ids = c("dnum", "snum"), strata = "stype", weights = "pw", fpc = NULL,
                       nest = TRUE)
for (fpctype in c("fraction", "correction")) {
  fpc <- if (fpctype == "fraction") fraction else 1 - fraction
  des <- svrepdesign(data = strat2_frame, repweights = strat2_frame[, colnames(jkn_weights)],
                     weights = ~pw, type = "JKn", rscales = as.numeric(jkn$rscales), scale = 1,
                     combined.weights = TRUE, fpc = fpc, fpctype = fpctype)
  m <- svymean(~api00 + api99, des)
  r <- svyratio(~api00, ~api99, des)
  spec <- list(type = "JKn", repweights_file = "apipop_strat2_jkn.csv", scale = 1,
               rscales = as.numeric(jkn$rscales), mse = FALSE, combined_weights = TRUE,
               fpc = fpc, fpctype = fpctype)
  record(sprintf("par_dstrat2_jkn_fpc_%s_mean", fpctype),
         sprintf("svymean(~api00 + api99, svrepdesign(<JKn weights>, type = 'JKn', rscales = <(n_h - 1) / n_h>, fpc = <%s per replicate>, fpctype = '%s'))",
                 if (fpctype == "fraction") "n_h / N_h" else "1 - n_h / N_h", fpctype),
         "apipop_strat2_pw", strat2_pw_spec, fn_call("mean", vars = c("api00", "api99")),
         lapply(1:2, function(k) list(variable = c("api00", "api99")[k], estimate = num(coef(m))[k],
                                      se = num(SE(m))[k])),
         replicate = spec, note = "one fpc per replicate: R multiplies each rscale by its own")
  record(sprintf("par_dstrat2_jkn_fpc_%s_ratio", fpctype), "svyratio(~api00, ~api99, <same design>)",
         "apipop_strat2_pw", strat2_pw_spec,
         fn_call("ratio", numerator = "api00", denominator = "api99"),
         list(list(variable = "api00/api99", estimate = num(coef(r)), se = num(SE(r)))),
         replicate = spec)
}

# svyciprop(method = "likelihood") on a replicate design, by domain and on a subset
jk1 <- as.svrepdesign(dclus1, type = "JK1")
byl <- svyby(~yes_na, ~stype, jk1, svyciprop, method = "likelihood", na.rm = TRUE,
             vartype = c("se", "ci"))
record("par_dclus1_jk1_by_ciprop_likelihood",
       "svyby(~yes_na, ~stype, as.svrepdesign(dclus1, type = 'JK1'), svyciprop, method = 'likelihood', na.rm = TRUE)",
       "apiclus1_na", clus1,
       fn_call("ciprop", var = "yes_na", method = "likelihood", by = "stype", na_rm = TRUE),
       lapply(seq_len(nrow(byl)), function(i) {
         list(variable = "yes_na", by = list(stype = as.character(byl$stype[i])),
              estimate = num(byl[i, 2]), se = num(byl$se[i]), ci_low = num(byl$ci_l[i]),
              ci_high = num(byl$ci_u[i]))
       }),
       replicate = list(type = "JK1"), note = "every domain's limits are NA in R")
p <- svyciprop(~yes_na, subset(jk1, stype == "E"), method = "likelihood", na.rm = TRUE)
row <- ciprop_row(p, "yes_na")
record("par_dclus1_jk1_subset_ciprop_likelihood",
       "svyciprop(~yes_na, subset(as.svrepdesign(dclus1, type = 'JK1'), stype == 'E'), method = 'likelihood', na.rm = TRUE)",
       "apiclus1_na", clus1, fn_call("ciprop", var = "yes_na", method = "likelihood", na_rm = TRUE),
       list(row), subset = "stype == 'E'", replicate = list(type = "JK1"))

ids <- vapply(cases, function(x) x$id, "")
if (anyDuplicated(ids)) stop("case ids used twice: ", paste(ids[duplicated(ids)], collapse = ", "))
for (fam in unique(vapply(cases, function(x) x$family, ""))) {
  book <- Filter(function(x) x$family == fam, cases)
  book <- lapply(book, function(x) { x$family <- NULL; x })
  doc <- list(source = r_versions, data_dir = "data", cases = book)
  file <- sprintf("parity_%s.json", fam)
  writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE, na = "null"),
             file.path("expected", file))
  cat(sprintf("%-24s %3d cases\n", file, length(book)))
}

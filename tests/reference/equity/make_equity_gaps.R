# Reference values for ci_eval.analysis.equity (equity gaps: difference and log-ratio CIs).
#
#   Rscript tests/reference/equity/make_equity_gaps.R
#
# For each case: the domain means of an indicator in a group and its comparison with their
# joint covariance (ratios of svytotal's totals, linearised by svycontrast: what svyby(...,
# covmat = TRUE) gives, which fails with na.rm or subsets in survey 4.1.1), then svycontrast
# for the difference (A - B) and for log(A / B); the ratio's interval is exp() of the
# log-ratio interval (delta method on the log scale). Writes
# equity_gaps.json next to this script. Data: R survey's api data sets (the same files as
# tests/reference/data/, with "." in column names replaced by "_").
suppressPackageStartupMessages({library(survey); library(jsonlite)})
here <- tryCatch(dirname(normalizePath(sys.frame(1)$ofile)), error = function(e) NULL)
if (is.null(here)) {
  arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  here <- dirname(normalizePath(sub("^--file=", "", arg)))
}
setwd(here)
data(api)

gap_case <- function(id, design, indicator, group_expr, description) {
  # Domain means as ratios of totals: y_A = y 1_A and n_A = 1_A (rows with y present; a missing
  # y leaves the estimate, not the design, as R's na.rm), so svytotal gives the joint
  # covariance of all four totals (calibration included) and svycontrast linearises.
  v <- design$variables
  y <- v[[indicator]]
  in_group <- eval(group_expr, v) & !is.na(y)
  in_comparison <- !eval(group_expr, v) & !is.na(y)
  y0 <- ifelse(is.na(y), 0, y)
  design$variables$yA <- y0 * in_group
  design$variables$nA <- as.numeric(in_group)
  design$variables$yB <- y0 * in_comparison
  design$variables$nB <- as.numeric(in_comparison)
  tot <- svytotal(~yA + nA + yB + nB, design)
  cells <- svycontrast(tot, list(A = quote(yA / nA), B = quote(yB / nB)))
  diff <- svycontrast(tot, quote(yA / nA - yB / nB))
  logr <- svycontrast(tot, quote(log((yA / nA) / (yB / nB))))
  ci_d <- confint(diff)
  ci_l <- confint(logr)
  list(
    id = id,
    description = description,
    indicator = indicator,
    n_group = sum(in_group),
    n_comparison = sum(in_comparison),
    estimate_group = unname(coef(cells)[1]),
    estimate_comparison = unname(coef(cells)[2]),
    se_group = unname(SE(cells)[1]),
    se_comparison = unname(SE(cells)[2]),
    covariance = unname(vcov(cells)[1, 2]),
    difference = unname(coef(diff)),
    difference_se = unname(SE(diff)),
    difference_ci = unname(as.numeric(ci_d)),
    log_ratio = unname(coef(logr)),
    log_ratio_se = unname(SE(logr)),
    ratio_ci = unname(exp(as.numeric(ci_l)))
  )
}

apiclus2$high <- as.numeric(apiclus2$api00 > 700)
apiclus2$high[is.na(apiclus2$enroll)] <- NA  # missing values leave the estimate, not the design
dclus2 <- svydesign(ids = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)

apistrat$high <- as.numeric(apistrat$api00 > 700)
dstrat <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
pop_types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
dpost <- postStratify(dstrat, ~stype, pop_types)
draked <- rake(dstrat, list(~stype, ~sch.wide),
               list(pop_types, data.frame(sch.wide = c("No", "Yes"), Freq = c(1000, 5194))))

cases <- list(
  gap_case("equity_clus2_high_by_elementary", dclus2, "high", quote(stype == "E"),
           "apiclus2, two-stage with fpc: P(api00 > 700, NA where enroll is NA), stype E vs not"),
  gap_case("equity_clus2_api00_by_awards", dclus2, "api00", quote(awards == "Yes"),
           "apiclus2: mean api00, awards Yes vs No"),
  gap_case("equity_post_high_by_awards", dpost, "high", quote(awards == "Yes"),
           "apistrat post-stratified on stype: P(api00 > 700), awards Yes vs No"),
  gap_case("equity_raked_high_by_yr_rnd", draked, "high", quote(yr.rnd == "Yes"),
           "apistrat raked on stype and sch_wide: P(api00 > 700), yr_rnd Yes vs No")
)
out <- list(
  source = sprintf("%s, survey %s, jsonlite %s", R.version.string,
                   packageVersion("survey"), packageVersion("jsonlite")),
  conf_level = 0.95,
  cases = cases
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "equity_gaps.json")

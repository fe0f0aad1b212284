# Reference cases for PPS sampling without replacement, svydesign(pps =) (issue 16): Brewer's,
# Overton's and Hartley-Rao's approximations and the exact Horvitz-Thompson and Yates-Grundy
# variances from joint inclusion probabilities (ppsmat).
#
#   Rscript tests/reference/make_pps.R     (any working directory)
#
# Writes data/election_pps.csv, data/election_jointprob.csv, data/apistrat_pps.csv,
# data/apistrat_pps_lonely.csv, data/apiclus1_pps.csv, data/apiclus2_pps.csv and expected/pps.json (ids "pps_*", format of
# README.md, with design fields "pps" and "variance"). Deterministic: no random draws.
#
# Data:
# * election_pps: R survey's sample of 40 US counties or states from the 2004 presidential election,
#   drawn with probability proportional to the number of votes (Tille's splitting method; column
#   p = inclusion probability, wt = 1 / p), plus kerry_won ("Yes" where Kerry had more votes than
#   Bush); election_jointprob: its 40 x 40 joint inclusion probabilities (R's election_jointprob),
#   one column per county in the row order of election_pps. psum for HR() is R's example value
#   sum(election$p^2) / 40 over the 4600 counties.
# * apistrat_pps: apistrat plus sc (1, 2, 3 for stype E, H, M: R's HR() and "overton" need numeric
#   strata) and pi = n_h * enroll / (total enroll of stype h in apipop), at most 1 (enroll missing:
#   the stratum mean of the sample); a PPS by enrolment within strata, as if it had been drawn so.
# * apiclus1_pps: apiclus1 sorted by dnum, plus pi1 = 15 * (schools of the district in apipop) /
#   6194 (a PPS of districts by their number of schools). Sorted, because R's Brewer variance pairs
#   PSUs with their fpc in order of first appearance but sums them in sorted order (see
#   ci_eval.survey.taylor); on sorted data the two agree.
# * apistrat_pps_lonely: apistrat_pps with stratum 2 cut to its first school (a lonely PSU) and
#   pi = 1 for the first school (a certainty unit).
# * apiclus2_pps: apiclus2 plus pi1 = 40 * (schools of the district in apipop) / 6194 (at most 1)
#   and pi2 = 1 / fpc2 * (schools sampled in the district), the SRS fraction of the second stage.

local({  # common.R (beside this script): libraries, working directory, options, helpers
  flag <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  source(file.path(if (length(flag) == 1) dirname(normalizePath(sub("^--file=", "", flag))) else ".",
                   "common.R"))
})

save_csv <- function(frame, name) {
  write.csv(frame, file.path("data", paste0(name, ".csv")), row.names = FALSE, na = "")
  load_data(name)  # R computes from exactly the numbers in the file
}

# ---- data ----------------------------------------------------------------------------------------
data(election)
el <- election_pps
el$County <- as.character(el$County)
el$kerry_won <- ifelse(el$Kerry > el$Bush, "Yes", "No")
el <- save_csv(el, "election_pps")
jp <- as.data.frame(election_jointprob)
names(jp) <- sprintf("u%d", seq_len(ncol(jp)))
jp <- as.matrix(save_csv(jp, "election_jointprob"))
dimnames(jp) <- NULL
psum <- sum(election$p^2) / 40

apipop <- load_data("apipop")
apistrat <- load_data("apistrat")
st <- apistrat
st$sc <- as.integer(factor(st$stype))
size <- ifelse(is.na(st$enroll), ave(st$enroll, st$stype, FUN = function(x) mean(x, na.rm = TRUE)),
               st$enroll)
pop_enroll <- tapply(apipop$enroll, apipop$stype, sum, na.rm = TRUE)
n_h <- table(st$stype)
st$pi <- pmin(1, as.numeric(n_h[st$stype]) * size / as.numeric(pop_enroll[st$stype]))
st <- save_csv(st, "apistrat_pps")

schools <- table(apipop$dnum)
c1 <- load_data("apiclus1")
c1 <- c1[order(c1$dnum), ]
c1$pi1 <- 15 * as.numeric(schools[as.character(c1$dnum)]) / nrow(apipop)
c1 <- save_csv(c1, "apiclus1_pps")
c2 <- load_data("apiclus2")
c2$pi1 <- pmin(1, 40 * as.numeric(schools[as.character(c2$dnum)]) / nrow(apipop))
c2$pi2 <- ave(c2$snum, c2$dnum, FUN = length) / c2$fpc2
c2 <- save_csv(c2, "apiclus2_pps")

# ---- cases ---------------------------------------------------------------------------------------
cases <- list()
record <- function(id, r, data, design, call, expected, subset = NULL, note = NULL) {
  case <- list(id = id, r = r, data = data, design = design, replicate = NULL, weighting = NULL,
               call = call, expected = expected, rel_tol = 1e-8, note = note)
  if (!is.null(subset)) case$subset <- subset
  cases[[length(cases) + 1]] <<- case
}
fn_call <- function(fn, ...) list(fn = fn, args = list(...))
stat_rows <- function(est, variable, levels = NULL) {
  lapply(seq_along(coef(est)), function(k) {
    row <- list(variable = if (length(variable) > 1) variable[k] else variable)
    if (!is.null(levels)) row$level <- levels[k]
    c(row, list(estimate = num(coef(est))[k], se = num(SE(est))[k]))
  })
}
by_rows <- function(b, variable, by) {
  lapply(seq_len(nrow(b)), function(i) {
    list(variable = variable, by = setNames(list(as.character(b[[by]][i])), by),
         estimate = num(b[[variable]][i]), se = num(b$se[i]))
  })
}
ratio_rows <- function(est, name) list(list(variable = name, estimate = num(coef(est)),
                                            se = num(SE(est))))

# the common estimators on one design: R design object `des`, its R text and spec
run_family <- function(prefix, des, r_des, data, spec, numeric, total, category, ratio, by,
                       subset = NULL) {
  rr <- function(call) sprintf("%s on %s", call, r_des)
  record(sprintf("%s_mean", prefix), rr(sprintf("svymean(~%s, des)", numeric)), data, spec,
         fn_call("mean", vars = numeric), stat_rows(svymean(make.formula(numeric), des), numeric))
  record(sprintf("%s_total", prefix), rr(sprintf("svytotal(~%s, des, na.rm = TRUE)", total)), data,
         spec, fn_call("total", vars = total, na_rm = TRUE),
         stat_rows(svytotal(make.formula(total), des, na.rm = TRUE), total))
  levs <- sort(unique(as.character(data_frames[[data]][[category]])))
  record(sprintf("%s_mean_%s", prefix, category), rr(sprintf("svymean(~%s, des)", category)), data,
         spec, fn_call("mean", vars = category),
         stat_rows(svymean(make.formula(category), des), category, levs))
  record(sprintf("%s_ratio", prefix),
         rr(sprintf("svyratio(~%s, ~%s, des, na.rm = TRUE)", ratio[1], ratio[2])), data, spec,
         fn_call("ratio", numerator = ratio[1], denominator = ratio[2], na_rm = TRUE),
         ratio_rows(svyratio(make.formula(ratio[1]), make.formula(ratio[2]), des, na.rm = TRUE),
                    paste(ratio, collapse = "/")))
  if (!is.null(by)) {
    b <- svyby(make.formula(numeric), make.formula(by), des, svymean)
    record(sprintf("%s_by_%s", prefix, by), rr(sprintf("svyby(~%s, ~%s, des, svymean)", numeric, by)),
           data, spec, fn_call("mean", vars = numeric, by = by), by_rows(b, numeric, by))
  }
  if (!is.null(subset)) {
    s <- subset(des, eval(parse(text = subset$r)))
    record(sprintf("%s_subset", prefix), rr(sprintf("svytotal(~%s, subset(des, %s))", numeric,
                                                    subset$r)),
           data, spec, fn_call("total", vars = numeric),
           stat_rows(svytotal(make.formula(numeric), s), numeric), subset = subset$query)
  }
}
data_frames <- list(election_pps = el, apistrat_pps = st, apiclus1_pps = c1, apiclus2_pps = c2)

# election: every method, HT and YG
el_spec <- function(pps, variance = "HT", probs = NULL) {
  spec <- list(ids = NULL, strata = NULL, weights = NULL, fpc = if (is.null(probs)) "p" else NULL,
               pps = pps, variance = variance)
  if (!is.null(probs)) spec$probs <- probs
  spec
}
hr_spec <- list(method = "HR", psum = psum)
jp_spec <- list(method = "ppsmat", jointprob_file = "election_jointprob.csv", tolerance = 1e-4)
el_designs <- list(
  brewer = list(svydesign(id = ~1, fpc = ~p, data = el, pps = "brewer"),
                "svydesign(id = ~1, fpc = ~p, data = election_pps, pps = 'brewer')", el_spec("brewer")),
  overton = list(svydesign(id = ~1, fpc = ~p, data = el, pps = "overton"),
                 "svydesign(id = ~1, fpc = ~p, data = election_pps, pps = 'overton')", el_spec("overton")),
  overton_probs = list(svydesign(id = ~1, probs = ~p, data = el, pps = "overton"),
                       "svydesign(id = ~1, probs = ~p, data = election_pps, pps = 'overton')",
                       el_spec("overton", probs = "p")),
  hr = list(svydesign(id = ~1, fpc = ~p, data = el, pps = HR(psum)),
            "svydesign(id = ~1, fpc = ~p, data = election_pps, pps = HR(sum(election$p^2) / 40))",
            el_spec(hr_spec)),
  hr1 = list(svydesign(id = ~1, fpc = ~p, data = el, pps = HR()),
             "svydesign(id = ~1, fpc = ~p, data = election_pps, pps = HR())", el_spec("HR")),
  ht = list(svydesign(id = ~1, fpc = ~p, data = el, pps = ppsmat(jp)),
            "svydesign(id = ~1, fpc = ~p, data = election_pps, pps = ppsmat(election_jointprob))",
            el_spec(jp_spec)),
  yg = list(svydesign(id = ~1, fpc = ~p, data = el, pps = ppsmat(jp), variance = "YG"),
            "svydesign(id = ~1, fpc = ~p, data = election_pps, pps = ppsmat(election_jointprob), variance = 'YG')",
            el_spec(jp_spec, "YG")),
  hr_yg = list(svydesign(id = ~1, fpc = ~p, data = el, pps = HR(psum), variance = "YG"),
               "svydesign(id = ~1, fpc = ~p, data = election_pps, pps = HR(sum(election$p^2) / 40), variance = 'YG')",
               el_spec(hr_spec, "YG")),
  overton_yg = list(svydesign(id = ~1, fpc = ~p, data = el, pps = "overton", variance = "YG"),
                    "svydesign(id = ~1, fpc = ~p, data = election_pps, pps = 'overton', variance = 'YG')",
                    el_spec("overton", "YG"))
)
for (name in names(el_designs)) {
  x <- el_designs[[name]]
  run_family(sprintf("pps_election_%s", name), x[[1]], x[[2]], "election_pps", x[[3]],
             numeric = "Bush", total = "Kerry", category = "kerry_won", ratio = c("Bush", "votes"),
             by = "kerry_won", subset = list(r = "votes > 100000", query = "votes > 100000"))
}
# estimators built on the same variance: a regression and a proportion's interval
for (name in c("overton", "ht", "yg")) {
  x <- el_designs[[name]]
  fit <- svyglm(Kerry ~ Bush, x[[1]])
  cf <- summary(fit)$coefficients
  record(sprintf("pps_election_%s_glm", name), sprintf("svyglm(Kerry ~ Bush, %s)", x[[2]]),
         "election_pps", x[[3]], fn_call("glm", formula = "Kerry ~ Bush", family = "gaussian"),
         lapply(seq_len(nrow(cf)), function(k) list(term = rownames(cf)[k], estimate = cf[k, 1],
                                                    se = cf[k, 2])))
  ci <- svyciprop(~I(kerry_won == "Yes"), x[[1]], method = "logit")
  record(sprintf("pps_election_%s_ciprop", name),
         sprintf("svyciprop(~I(kerry_won == 'Yes'), %s, method = 'logit')", x[[2]]), "election_pps",
         x[[3]], fn_call("ciprop", var = "kerry_won", category = "Yes", method = "logit"),
         list(list(variable = "kerry_won", level = "Yes", estimate = num(ci),
                   se = num(sqrt(attr(ci, "var"))), ci_low = num(attr(ci, "ci")[1]),
                   ci_high = num(attr(ci, "ci")[2]))))
}

# Brewer after calibration and post-stratification (R's svyrecvar takes the calibration residuals;
# with a D matrix R's ppsvar computes them but uses the uncalibrated values, and postStratify
# fails, so those designs have no weighted case here)
record_weighted <- function(id, r, weighting, des) {
  case <- list(id = id, r = r, data = "election_pps", design = el_spec("brewer"), replicate = NULL,
               weighting = weighting, call = fn_call("total", vars = "Bush"),
               expected = stat_rows(svytotal(~Bush, des), "Bush"), rel_tol = 1e-8, note = NULL)
  cases[[length(cases) + 1]] <<- case
}
el_totals <- c(`(Intercept)` = nrow(election), votes = sum(election$votes))
record_weighted("pps_election_brewer_calibrate_total",
                sprintf("svytotal(~Bush, calibrate(%s, ~votes, c(`(Intercept)` = 4600, votes = sum(election$votes))))",
                        el_designs$brewer[[2]]),
                list(method = "calibrate", formula = "~votes", calfun = "linear",
                     totals = as.list(el_totals)),
                calibrate(el_designs$brewer[[1]], ~votes, el_totals))
record_weighted("pps_election_brewer_poststratify_total",
                sprintf("svytotal(~Bush, postStratify(%s, ~kerry_won, data.frame(kerry_won = c('No', 'Yes'), Freq = c(3000, 1600))))",
                        el_designs$brewer[[2]]),
                list(method = "poststratify", var = "kerry_won", totals = list(No = 3000, Yes = 1600)),
                postStratify(el_designs$brewer[[1]], ~kerry_won,
                             data.frame(kerry_won = c("No", "Yes"), Freq = c(3000, 1600))))

# stratified: Brewer, Overton, HR() in HT and YG form, and HR with a psum per stratum. The total is
# of api.stu: enroll / pi is constant within strata (pi is proportional to enroll), so the variance
# of the total of enroll is rounding noise around 0
st_spec <- function(pps, variance = "HT") list(ids = NULL, strata = "sc", weights = NULL, fpc = "pi",
                                                pps = pps, variance = variance)
# HR(psum, strata) gives NA standard errors in survey 4.1.1 (its p2bar lookup), so the case with a
# psum per stratum uses R's own HRDcheck through ppscov(weighted = TRUE)
st_psum <- c(`1` = 0.004, `2` = 0.02, `3` = 0.015)
hr_dcheck <- as.matrix(survey:::HRDcheck(st$pi, st$sc, st_psum[as.character(st$sc)]))
st_designs <- list(
  brewer = list(svydesign(id = ~1, strata = ~sc, fpc = ~pi, data = st, pps = "brewer"), "brewer", "HT"),
  overton = list(svydesign(id = ~1, strata = ~sc, fpc = ~pi, data = st, pps = "overton"), "overton", "HT"),
  hr1 = list(svydesign(id = ~1, strata = ~sc, fpc = ~pi, data = st, pps = HR()), "HR", "HT"),
  hr1_yg = list(svydesign(id = ~1, strata = ~sc, fpc = ~pi, data = st, pps = HR(), variance = "YG"),
                "HR", "YG"),
  hr_psum = list(svydesign(id = ~1, strata = ~sc, fpc = ~pi, data = st,
                           pps = ppscov(hr_dcheck, weighted = TRUE)),
                 list(method = "HR", psum = as.list(st_psum)), "HT")
)
for (name in names(st_designs)) {
  x <- st_designs[[name]]
  r_pps <- switch(name, hr_psum = "ppscov(survey:::HRDcheck(pi, sc, psum[sc]), weighted = TRUE) with psum = c(0.004, 0.02, 0.015)",
                  hr1 = "HR()", hr1_yg = "HR()", sprintf("'%s'", x[[2]]))
  r_des <- sprintf("svydesign(id = ~1, strata = ~sc, fpc = ~pi, data = apistrat_pps, pps = %s%s)", r_pps,
                   if (x[[3]] == "YG") ", variance = 'YG'" else "")
  run_family(sprintf("pps_strat_%s", name), x[[1]], r_des, "apistrat_pps", st_spec(x[[2]], x[[3]]),
             numeric = "api00", total = "api_stu", category = "sch_wide", ratio = c("api_stu", "enroll"),
             by = "stype", subset = list(r = "api99 > 700", query = "api99 > 700"))
}

# Brewer with a lonely PSU (stratum 2 cut to its first school) and a certainty unit (the first
# school, pi = 1), under each survey.lonely.psu rule
lonely <- st[st$sc != 2 | seq_len(nrow(st)) == which(st$sc == 2)[1], ]
lonely$pi[1] <- 1
lonely <- save_csv(lonely, "apistrat_pps_lonely")
data_frames$apistrat_pps_lonely <- lonely
for (lp in c("remove", "adjust", "average", "certainty")) {
  options(survey.lonely.psu = lp)
  des <- svydesign(id = ~1, strata = ~sc, fpc = ~pi, data = lonely, pps = "brewer")
  spec <- c(st_spec("brewer"), list(lonely_psu = lp))
  r_des <- sprintf("options(survey.lonely.psu = '%s'); svydesign(id = ~1, strata = ~sc, fpc = ~pi, data = apistrat_pps_lonely, pps = 'brewer')", lp)
  record(sprintf("pps_lonely_%s_mean", lp), sprintf("svymean(~api00, des) on %s", r_des),
         "apistrat_pps_lonely", spec, fn_call("mean", vars = "api00"),
         stat_rows(svymean(~api00, des), "api00"))
  record(sprintf("pps_lonely_%s_total", lp), sprintf("svytotal(~api00, des) on %s", r_des),
         "apistrat_pps_lonely", spec, fn_call("total", vars = "api00"),
         stat_rows(svytotal(~api00, des), "api00"))
}
options(survey.lonely.psu = "fail")

# clusters: Brewer and Overton with districts as PSUs; Brewer with two stages
c1_spec <- function(pps) list(ids = "dnum", strata = NULL, weights = NULL, fpc = "pi1", pps = pps,
                              variance = "HT")
# (svyby and subset() fail in R on a clustered design with a D matrix: `[.pps` indexes the PSU-level
# matrix by rows; so the Overton design has no domain case)
for (pps in c("brewer", "overton")) {
  des <- svydesign(id = ~dnum, fpc = ~pi1, data = c1, pps = pps)
  run_family(sprintf("pps_clus1_%s", pps), des,
             sprintf("svydesign(id = ~dnum, fpc = ~pi1, data = apiclus1_pps, pps = '%s')", pps),
             "apiclus1_pps", c1_spec(pps), numeric = "api00", total = "enroll", category = "stype",
             ratio = c("api_stu", "enroll"), by = if (pps == "brewer") "stype" else NULL)
}
des <- svydesign(id = ~dnum + snum, fpc = ~pi1 + pi2, data = c2, pps = "brewer")
run_family("pps_clus2_brewer", des,
           "svydesign(id = ~dnum + snum, fpc = ~pi1 + pi2, data = apiclus2_pps, pps = 'brewer')",
           "apiclus2_pps", list(ids = c("dnum", "snum"), strata = NULL, weights = NULL,
                                fpc = c("pi1", "pi2"), pps = "brewer", variance = "HT"),
           numeric = "api00", total = "enroll", category = "stype", ratio = c("api_stu", "enroll"),
           by = "stype")

ids <- vapply(cases, function(x) x$id, "")
if (anyDuplicated(ids)) stop("case ids used twice: ", paste(ids[duplicated(ids)], collapse = ", "))
writeLines(toJSON(list(source = r_versions, data_dir = "data", cases = cases), auto_unbox = TRUE,
                  digits = NA, null = "null", pretty = TRUE, na = "null"),
           file.path("expected", "pps.json"))
cat(sprintf("pps.json %d cases\n", length(cases)))

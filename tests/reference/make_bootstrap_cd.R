# Reference cases for R's Canty-Davison bootstrap, as.svrepdesign(type = "bootstrap") (issue 16).
#
#   Rscript tests/reference/make_bootstrap_cd.R     (any working directory)
#
# ci_eval cannot repeat R's random draws, so R's draws are written to data/: for each design,
# data/<design>_cd50.csv holds R's 50 replicate multipliers per row (weights(des, "analysis") /
# weights(des, "sampling"): how often the row's PSU was drawn), row-aligned with the data. A case's
# replicate step {"type": "bootstrap", "counts_file": f} rebuilds the bootstrap design from those
# counts with ci_eval's own construction (multipliers, scale, rscales); expected/bootstrap_cd.json
# holds R's estimates and SEs on R's design (ids "cd_*").
#
# bootstrap_cd_mean_se.json (beside this script; read by tests/test_survey_bootstrap.py): the mean
# over 200 seeds of R's bootstrap SE (50 replicates each) and the Taylor SE, for the statistical
# check of ci_eval's own draws.
#
# Deterministic: every design has its own set.seed.

local({  # common.R (beside this script): libraries, working directory, options, helpers
  flag <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  source(file.path(if (length(flag) == 1) dirname(normalizePath(sub("^--file=", "", flag))) else ".",
                   "common.R"))
})

apiclus1 <- load_data("apiclus1")
apistrat <- load_data("apistrat")
apiclus2 <- load_data("apiclus2")

designs <- list(
  dclus1 = list(data = "apiclus1", spec = list(ids = "dnum", strata = NULL, weights = "pw", fpc = "fpc"),
                des = svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1),
                r = "svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)"),
  dclus1_nofpc = list(data = "apiclus1", spec = list(ids = "dnum", strata = NULL, weights = "pw", fpc = NULL),
                      des = svydesign(id = ~dnum, weights = ~pw, data = apiclus1),
                      r = "svydesign(id = ~dnum, weights = ~pw, data = apiclus1)"),
  dstrat = list(data = "apistrat", spec = list(ids = NULL, strata = "stype", weights = "pw", fpc = "fpc"),
                des = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat),
                r = "svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)"),
  dstrat_nofpc = list(data = "apistrat", spec = list(ids = NULL, strata = "stype", weights = "pw", fpc = NULL),
                      des = svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat),
                      r = "svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat)"),
  dclus2 = list(data = "apiclus2", spec = list(ids = c("dnum", "snum"), strata = NULL, weights = NULL,
                                               fpc = c("fpc1", "fpc2")),
                des = svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2),
                r = "svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)")
)

seeds <- c(dclus1 = 20261203, dclus1_nofpc = 20261204, dstrat = 20261205, dstrat_nofpc = 20261206,
           dclus2 = 20261207)
boot <- list()
for (name in names(designs)) {
  set.seed(seeds[[name]])
  # dclus2: R warns that the fpc after the first stage is dropped
  boot[[name]] <- suppressWarnings(as.svrepdesign(designs[[name]]$des, type = "bootstrap",
                                                  replicates = 50))
  mult <- weights(boot[[name]], "analysis") / weights(boot[[name]], "sampling")
  mult <- as.data.frame(round(mult, 10))  # the counts are integers
  names(mult) <- sprintf("rep%d", seq_len(ncol(mult)))
  write.csv(mult, file.path("data", sprintf("%s_cd50.csv", name)), row.names = FALSE)
}

cases <- list()
record <- function(name, id, what, call, expected, mse = FALSE) {
  d <- designs[[name]]
  cases[[length(cases) + 1]] <<- list(
    id = id,
    r = sprintf("set.seed(%d); bs <- as.svrepdesign(%s, type = 'bootstrap', replicates = 50%s); %s",
                seeds[[name]], d$r, if (mse) ", mse = TRUE" else "", what),
    data = d$data, design = d$spec,
    replicate = list(type = "bootstrap", counts_file = sprintf("%s_cd50.csv", name), mse = mse),
    weighting = NULL, call = call, expected = expected, rel_tol = 1e-8,
    note = sprintf("R's draws from data/%s_cd50.csv; R's scale = %.15g, rscales = 1",
                   name, boot[[name]]$scale))
}
stat_rows <- function(est, variable, levels = NULL) {
  lapply(seq_along(coef(est)), function(k) {
    row <- list(variable = variable)
    if (!is.null(levels)) row$level <- levels[k]
    c(row, list(estimate = num(coef(est))[k], se = num(SE(est))[k]))
  })
}
fn_call <- function(fn, ...) list(fn = fn, args = list(...))

for (name in c("dclus1", "dclus1_nofpc", "dstrat", "dstrat_nofpc", "dclus2")) {
  bs <- boot[[name]]
  record(name, sprintf("cd_%s_mean_api00", name), "svymean(~api00, bs)",
         fn_call("mean", vars = "api00"), stat_rows(svymean(~api00, bs), "api00"))
  record(name, sprintf("cd_%s_total_enroll", name), "svytotal(~enroll, bs, na.rm = TRUE)",
         fn_call("total", vars = "enroll", na_rm = TRUE),
         stat_rows(svytotal(~enroll, bs, na.rm = TRUE), "enroll"))
}
bs <- boot$dclus1
record("dclus1", "cd_dclus1_mean_stype", "svymean(~stype, bs)", fn_call("mean", vars = "stype"),
       stat_rows(svymean(~stype, bs), "stype", c("E", "H", "M")))
record("dclus1", "cd_dclus1_ratio", "svyratio(~api.stu, ~enroll, bs)",
       fn_call("ratio", numerator = "api_stu", denominator = "enroll"),
       stat_rows(svyratio(~api_stu, ~enroll, bs), "api_stu/enroll"))
b <- svyby(~api00, ~stype, bs, svymean)
record("dclus1", "cd_dclus1_by_stype_mean_api00", "svyby(~api00, ~stype, bs, svymean)",
       fn_call("mean", vars = "api00", by = "stype"),
       lapply(seq_len(nrow(b)), function(i) list(variable = "api00",
                                                 by = list(stype = as.character(b$stype[i])),
                                                 estimate = num(b$api00[i]), se = num(b$se[i]))))
bs_mse <- boot$dclus1
bs_mse$mse <- TRUE
record("dclus1", "cd_dclus1_mse_mean_api00", "svymean(~api00, bs)", fn_call("mean", vars = "api00"),
       stat_rows(svymean(~api00, bs_mse), "api00"), mse = TRUE)
bs <- boot$dstrat
record("dstrat", "cd_dstrat_mean_sch_wide", "svymean(~sch.wide, bs)",
       fn_call("mean", vars = "sch_wide"), stat_rows(svymean(~sch_wide, bs), "sch_wide", c("No", "Yes")))

ids <- vapply(cases, function(x) x$id, "")
if (anyDuplicated(ids)) stop("case ids used twice: ", paste(ids[duplicated(ids)], collapse = ", "))
writeLines(toJSON(list(source = r_versions, data_dir = "data", cases = cases), auto_unbox = TRUE,
                  digits = NA, null = "null", pretty = TRUE, na = "null"),
           file.path("expected", "bootstrap_cd.json"))
cat(sprintf("bootstrap_cd.json %d cases\n", length(cases)))

# ---- the mean of R's bootstrap SE over 200 seeds (50 replicates each) --------------------------
mean_se <- list()
for (name in c("dclus1", "dstrat")) {
  des <- designs[[name]]$des
  se <- vapply(1:200, function(seed) {
    set.seed(seed)
    num(SE(svymean(~api00, as.svrepdesign(des, type = "bootstrap", replicates = 50))))
  }, 0)
  mean_se[[name]] <- list(design = designs[[name]]$spec, data = designs[[name]]$data,
                          r = sprintf("mean over set.seed(1:200) of SE(svymean(~api00, as.svrepdesign(%s, type = 'bootstrap', replicates = 50)))",
                                      designs[[name]]$r),
                          mean_se = mean(se), sd_se = sd(se), seeds = 200, replicates = 50,
                          taylor_se = num(SE(svymean(~api00, des))))
}
writeLines(toJSON(list(source = r_versions, cases = mean_se), auto_unbox = TRUE, digits = NA,
                  null = "null", pretty = TRUE), "bootstrap_cd_mean_se.json")
cat("bootstrap_cd_mean_se.json written\n")

# Reference cases for ci_eval's replicate designs (ReplicateDesign, SurveyDesign.as_replicate),
# computed with R `survey` (Thomas Lumley) on the CSV files in data/ (written by make_expected.R).
#
#   Rscript tests/reference/make_replicate_expected.R     (any working directory)
#
# Writes expected/replicate.json in the format of README.md. Ids start with "rep_". Deterministic:
# no random draws here (the bootstrap weights come from data/apiclus1_bootstrap50.csv).

local({  # common.R (beside this script): libraries, working directory, options, helpers
  flag <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  source(file.path(if (length(flag) == 1) dirname(normalizePath(sub("^--file=", "", flag))) else ".",
                   "common.R"))
})

apistrat <- load_data("apistrat")
apiclus1 <- load_data("apiclus1")
apiclus2 <- load_data("apiclus2")
scd <- load_data("scd")
lonely <- load_data("lonely")
boot50 <- load_data("apiclus1_bootstrap50")

cases <- list()
record <- function(id, r, data, design, replicate, call, expected, tol = 1e-8, note = NULL) {
  cases[[length(cases) + 1]] <<- list(
    id = id, r = r, data = data, design = design, replicate = replicate, weighting = NULL,
    call = call, expected = expected, rel_tol = tol, note = note
  )
}
fn_call <- function(fn, ...) list(fn = fn, args = list(...))

stat_rows <- function(obj, variable, levels = NULL) {
  est <- num(coef(obj))
  se <- num(SE(obj))
  lapply(seq_along(est), function(k) {
    row <- list(variable = variable[min(k, length(variable))])
    if (!is.null(levels)) row$level <- levels[k]
    c(row, list(estimate = est[k], se = se[k]))
  })
}

by_rows <- function(obj, byvar, variable) {
  frame <- as.data.frame(obj)
  lapply(seq_len(nrow(frame)), function(i) {
    dom <- list(as.character(frame[[byvar]][i]))
    names(dom) <- byvar
    list(variable = variable, by = dom, estimate = num(frame[[variable]][i]),
         se = num(frame[["se"]][i]))
  })
}

quantile_rows <- function(obj, variable, probs) {
  m <- obj[[variable]]
  lapply(seq_along(probs), function(i) {
    list(variable = variable, level = as.character(probs[i]), estimate = num(m[i, 1]),
         se = num(m[i, 4]), ci_low = num(m[i, 2]), ci_high = num(m[i, 3]))
  })
}

ci_rows <- function(obj, variable, df) {
  ci <- confint(obj, df = df)
  est <- num(coef(obj))
  lapply(seq_along(est), function(k) {
    list(variable = variable[k], estimate = est[k], se = num(SE(obj))[k],
         ci_low = num(ci[k, 1]), ci_high = num(ci[k, 2]))
  })
}

strat_spec <- list(ids = NULL, strata = "stype", weights = "pw", fpc = "fpc")
clus1_spec <- list(ids = "dnum", strata = NULL, weights = "pw", fpc = "fpc")
scd_spec <- list(ids = "ambulance", strata = "ESA", weights = NULL, probs = "one", fpc = NULL,
                 nest = TRUE)

dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
scdnofpc <- svydesign(data = scd, prob = ~1, id = ~ambulance, strata = ~ESA, nest = TRUE)

# ---- JKn ---------------------------------------------------------------------------------------
jkn <- as.svrepdesign(dstrat, type = "JKn")
record("rep_dstrat_jkn_mean", "svymean(~api00+enroll, as.svrepdesign(dstrat, type='JKn'))",
       "apistrat", strat_spec, list(type = "JKn"), fn_call("mean", vars = c("api00", "enroll")),
       stat_rows(svymean(~api00 + enroll, jkn), c("api00", "enroll")))
record("rep_dstrat_jkn_total_sch_wide", "svytotal(~sch.wide, as.svrepdesign(dstrat, type='JKn'))",
       "apistrat", strat_spec, list(type = "JKn"), fn_call("total", vars = "sch_wide"),
       stat_rows(svytotal(~sch_wide, jkn), "sch_wide", c("No", "Yes")))
record("rep_dstrat_jkn_by_sch_wide", "svyby(~api00, ~sch.wide, as.svrepdesign(dstrat, type='JKn'), svymean)",
       "apistrat", strat_spec, list(type = "JKn"),
       fn_call("mean", vars = "api00", by = "sch_wide"),
       by_rows(svyby(~api00, ~sch_wide, jkn, svymean), "sch_wide", "api00"))
record("rep_dstrat_jkn_na_rm", "svymean(~acs.k3, as.svrepdesign(dstrat, type='JKn'), na.rm=TRUE)",
       "apistrat", strat_spec, list(type = "JKn"), fn_call("mean", vars = "acs_k3", na_rm = TRUE),
       stat_rows(svymean(~acs_k3, jkn, na.rm = TRUE), "acs_k3"))
record("rep_dstrat_jkn_quantile", "svyquantile(~api00, as.svrepdesign(dstrat, type='JKn'), c(0.25, 0.5))",
       "apistrat", strat_spec, list(type = "JKn"),
       fn_call("quantile", vars = "api00", q = c(0.25, 0.5)),
       quantile_rows(svyquantile(~api00, jkn, c(0.25, 0.5)), "api00", c(0.25, 0.5)),
       note = "Woodruff interval with the replicate SE of the share; t with degf = rank - 1")
record("rep_dstrat_jkn_mean_df_design", "confint(svymean(~api00, jkn), df=degf(jkn))",
       "apistrat", strat_spec, list(type = "JKn"),
       fn_call("mean", vars = "api00", df = "design"),
       ci_rows(svymean(~api00, jkn), "api00", degf(jkn)),
       note = paste0("degf of the JKn design is qr rank of the replicate weights - 1 = ", degf(jkn)))

record("rep_dstrat_jkn_var", "svyvar(~api00, as.svrepdesign(dstrat, type='JKn'))",
       "apistrat", strat_spec, list(type = "JKn"), fn_call("var", vars = "api00"),
       stat_rows(svyvar(~api00, jkn), "api00"),
       note = "each replicate recomputes its own mean (svyvar.svyrep.design)")
vby <- as.data.frame(svyby(~acs_k3, ~sch_wide, jkn, svyvar, na.rm = TRUE))
record("rep_dstrat_jkn_var_by", "svyby(~acs.k3, ~sch.wide, as.svrepdesign(dstrat, type='JKn'), svyvar, na.rm=TRUE)",
       "apistrat", strat_spec, list(type = "JKn"),
       fn_call("var", vars = "acs_k3", by = "sch_wide", na_rm = TRUE),
       lapply(seq_len(nrow(vby)), function(i) {
         list(variable = "acs_k3", by = list(sch_wide = as.character(vby$sch_wide[i])),
              estimate = num(vby$V1[i]), se = num(vby$se[i]))
       }))

# ---- JK1 ---------------------------------------------------------------------------------------
jk1 <- as.svrepdesign(dclus1, type = "JK1")
record("rep_dclus1_jk1_by_stype", "svyby(~api00, ~stype, as.svrepdesign(dclus1, type='JK1'), svymean)",
       "apiclus1", clus1_spec, list(type = "JK1"), fn_call("mean", vars = "api00", by = "stype"),
       by_rows(suppressWarnings(svyby(~api00, ~stype, jk1, svymean)), "stype", "api00"),
       note = "replicates in which a domain has no weight are dropped, with a warning, as R does")
record("rep_dclus1_jk1_total_by_stype", "svyby(~enroll, ~stype, as.svrepdesign(dclus1, type='JK1'), svytotal)",
       "apiclus1", clus1_spec, list(type = "JK1"), fn_call("total", vars = "enroll", by = "stype"),
       by_rows(svyby(~enroll, ~stype, jk1, svytotal), "stype", "enroll"))
record("rep_dclus1_jk1_quantile", "svyquantile(~api00, as.svrepdesign(dclus1, type='JK1'), c(0.1, 0.5, 0.9))",
       "apiclus1", clus1_spec, list(type = "JK1"),
       fn_call("quantile", vars = "api00", q = c(0.1, 0.5, 0.9)),
       quantile_rows(svyquantile(~api00, jk1, c(0.1, 0.5, 0.9)), "api00", c(0.1, 0.5, 0.9)))
cp <- svyciprop(~I(sch_wide == "Yes"), jk1, method = "logit")
record("rep_dclus1_jk1_ciprop", "svyciprop(~I(sch.wide=='Yes'), as.svrepdesign(dclus1, type='JK1'), method='logit')",
       "apiclus1", clus1_spec, list(type = "JK1"),
       fn_call("ciprop", var = "sch_wide", category = "Yes", method = "logit"),
       list(list(variable = "sch_wide", level = "Yes", estimate = num(cp), se = num(SE(cp)),
                 ci_low = num(confint(cp)[1]), ci_high = num(confint(cp)[2]))))
jk1mse <- as.svrepdesign(dclus1, type = "JK1", mse = TRUE)
record("rep_dclus1_jk1_mse_ratio", "svyratio(~api.stu, ~enroll, as.svrepdesign(dclus1, type='JK1', mse=TRUE))",
       "apiclus1", clus1_spec, list(type = "JK1", mse = TRUE),
       fn_call("ratio", numerator = "api_stu", denominator = "enroll"),
       list(list(variable = "api_stu/enroll", estimate = num(coef(svyratio(~api_stu, ~enroll, jk1mse))),
                 se = num(SE(svyratio(~api_stu, ~enroll, jk1mse))))))
dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
jk1c2 <- suppressWarnings(as.svrepdesign(dclus2, type = "JK1"))
record("rep_dclus2_jk1_mean", "svymean(~api00+ell, as.svrepdesign(dclus2, type='JK1'))",
       "apiclus2", list(ids = c("dnum", "snum"), strata = NULL, weights = NULL, fpc = c("fpc1", "fpc2")),
       list(type = "JK1"), fn_call("mean", vars = c("api00", "ell")),
       stat_rows(svymean(~api00 + ell, jk1c2), c("api00", "ell")),
       note = "R drops the second-stage fpc in the conversion (with a warning)")

# ---- BRR and Fay ---------------------------------------------------------------------------------
fay <- as.svrepdesign(scdnofpc, type = "Fay", fay.rho = 0.3)
record("rep_scd_fay_mean", "svymean(~arrests+alive, as.svrepdesign(scdnofpc, type='Fay', fay.rho=0.3))",
       "scd", scd_spec, list(type = "Fay", fay_rho = 0.3),
       fn_call("mean", vars = c("arrests", "alive")),
       stat_rows(svymean(~arrests + alive, fay), c("arrests", "alive")))
record("rep_scd_fay_ratio", "svyratio(~alive, ~arrests, as.svrepdesign(scdnofpc, type='Fay', fay.rho=0.3))",
       "scd", scd_spec, list(type = "Fay", fay_rho = 0.3),
       fn_call("ratio", numerator = "alive", denominator = "arrests"),
       list(list(variable = "alive/arrests", estimate = num(coef(svyratio(~alive, ~arrests, fay))),
                 se = num(SE(svyratio(~alive, ~arrests, fay))))))

# ---- user-supplied bootstrap weights ---------------------------------------------------------------
bs_frame <- cbind(apiclus1, boot50)
bs <- svrepdesign(data = bs_frame, repweights = bs_frame[, names(boot50)], weights = ~pw,
                  type = "bootstrap", combined.weights = TRUE, scale = 0.021865889212828,
                  rscales = 1, mse = FALSE)
boot_spec <- list(type = "bootstrap", repweights_file = "apiclus1_bootstrap50.csv",
                  scale = 0.021865889212828, rscales = 1, mse = FALSE, combined_weights = TRUE)
record("rep_dclus1_boot50_by_stype", "svyby(~api00, ~stype, bs, svymean) with the weights in data/apiclus1_bootstrap50.csv",
       "apiclus1", clus1_spec, boot_spec, fn_call("mean", vars = "api00", by = "stype"),
       by_rows(svyby(~api00, ~stype, bs, svymean), "stype", "api00"))
record("rep_dclus1_boot50_quantile", "svyquantile(~api00, bs, c(0.25, 0.75))",
       "apiclus1", clus1_spec, boot_spec, fn_call("quantile", vars = "api00", q = c(0.25, 0.75)),
       quantile_rows(svyquantile(~api00, bs, c(0.25, 0.75)), "api00", c(0.25, 0.75)),
       note = paste0("degf(bs) = ", degf(bs)))
record("rep_dclus1_boot50_total", "svytotal(~enroll+stype, bs)",
       "apiclus1", clus1_spec, boot_spec, fn_call("total", vars = c("enroll", "stype")),
       stat_rows(svytotal(~enroll + stype, bs), c("enroll", "stype", "stype", "stype"),
                 c(NA, "E", "H", "M")))

# ---- JKn with a lonely PSU -----------------------------------------------------------------------
for (rule in c("remove", "adjust", "average", "certainty")) {
  old <- options(survey.lonely.psu = rule)
  des <- svydesign(id = ~dnum, strata = ~stype, weights = ~pw, fpc = ~fpc_psu, nest = TRUE,
                   data = lonely)
  rep <- as.svrepdesign(des, type = "JKn")
  record(paste0("rep_lonely_jkn_", rule),
         sprintf("svymean(~api00+enroll, as.svrepdesign(lonely design, type='JKn')) with options(survey.lonely.psu='%s')", rule),
         "lonely", list(ids = "dnum", strata = "stype", weights = "pw", fpc = "fpc_psu", nest = TRUE,
                        lonely_psu = rule),
         list(type = "JKn"), fn_call("mean", vars = c("api00", "enroll")),
         stat_rows(svymean(~api00 + enroll, rep), c("api00", "enroll")),
         note = "stratum H has one PSU; the rule is the design's lonely_psu")
  options(old)
}

doc <- list(
  source = r_versions,
  data_dir = "data",
  cases = cases
)
writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE, na = "null"),
           file.path("expected", "replicate.json"))

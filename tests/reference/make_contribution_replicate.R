# Reference values for survey GLMs and contribution estimates on replicate-weight designs,
# computed with R `survey` (Thomas Lumley) on the CSV files in data/ (written by make_expected.R).
#
#   Rscript tests/reference/make_contribution_replicate.R     (any working directory)
#
# Writes contribution_replicate.json (beside this script; read by
# tests/test_analysis_contribution_replicate.py, not by the generic runner of expected/*.json).
# Deterministic: the bootstrap weights come from data/apiclus1_bootstrap50.csv.
#
# Designs: `boot`, apiclus1 with its 50 bootstrap replicate weights (svrepdesign, type
# "bootstrap", combined weights); `jk1`, as.svrepdesign(svydesign(id = ~dnum, weights = ~pw,
# data = apiclus1), type = "JK1"). Variables: high = api00 >= 700 (0/1), award =
# awards == "Yes" (0/1).
#
# * glm_*: svyglm coefficients and standard errors (R's default glm.control).
# * gcomp_boot: g-computation levels (everyone award = 1, then = 0) of the quasibinomial model
#   high ~ award + ell + meals, the whole estimator replicated with withReplicates (each
#   replicate refits the model with its weights, glm.control(epsilon = 1e-14, maxit = 100)).
# * aipw_boot: the AIPW levels (exposed, unexposed) of api00 with the propensity model
#   award ~ ell + meals and linear outcome models api00 ~ ell + meals fitted within each exposure
#   group (a 0/1 outcome separates in some bootstrap replicates of a group, where R's and any
#   other fit are arbitrary), propensities bounded to [0.01, 0.99],
#   replicated the same way.

local({  # common.R (beside this script): libraries, working directory, options, helpers
  flag <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  source(file.path(if (length(flag) == 1) dirname(normalizePath(sub("^--file=", "", flag))) else ".",
                   "common.R"))
})

apiclus1 <- load_data("apiclus1")
boot50 <- read.csv(file.path("data", "apiclus1_bootstrap50.csv"))
apiclus1$high <- as.numeric(apiclus1$api00 >= 700)
apiclus1$award <- as.numeric(apiclus1$awards == "Yes")

boot <- svrepdesign(data = apiclus1, repweights = boot50, weights = ~pw, type = "bootstrap",
                    combined.weights = TRUE)
jk1 <- as.svrepdesign(svydesign(id = ~dnum, weights = ~pw, data = apiclus1), type = "JK1")

glm_case <- function(formula, design, family) {
  fit <- suppressWarnings(svyglm(formula, design, family = family))
  list(formula = deparse(formula), family = family$family, terms = names(coef(fit)),
       estimate = num(coef(fit)), se = num(SE(fit)), df = fit$df.residual)
}
tight <- glm.control(epsilon = 1e-14, maxit = 100)

gcomp <- function(w, data) {
  fit <- suppressWarnings(glm(high ~ award + ell + meals, data = data, weights = w / sum(w),
                              family = quasibinomial, control = tight))
  level <- function(a) sum(w * predict(fit, transform(data, award = a), type = "response")) / sum(w)
  c(level(1), level(0))
}

aipw <- function(w, data) {
  ctl <- tight
  e <- suppressWarnings(glm(award ~ ell + meals, data = data, weights = w / sum(w),
                            family = quasibinomial, control = ctl))
  e <- pmin(pmax(predict(e, data, type = "response"), 0.01), 0.99)
  a <- data$award
  m1 <- glm(api00 ~ ell + meals, data = data, weights = w * a / sum(w * a))
  m0 <- glm(api00 ~ ell + meals, data = data, weights = w * (1 - a) / sum(w * (1 - a)))
  m1 <- predict(m1, data, type = "response")
  m0 <- predict(m0, data, type = "response")
  y <- data$api00
  phi1 <- m1 + a * (y - m1) / e
  phi0 <- m0 + (1 - a) * (y - m0) / (1 - e)
  c(sum(w * phi1) / sum(w), sum(w * phi0) / sum(w))
}

replicated <- function(design, f) {
  res <- withReplicates(design, f)
  list(estimate = num(coef(res)), vcov = unname(as.matrix(attr(res, "var"))))
}

out <- list(
  source = r_versions,
  glm_boot_quasibinomial = glm_case(high ~ award + ell + meals, boot, quasibinomial()),
  glm_boot_gaussian = glm_case(api00 ~ award + ell + meals, boot, gaussian()),
  glm_jk1_quasibinomial = glm_case(high ~ award + ell + meals, jk1, quasibinomial()),
  gcomp_boot = replicated(boot, gcomp),
  aipw_boot = replicated(boot, aipw)
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "contribution_replicate.json")

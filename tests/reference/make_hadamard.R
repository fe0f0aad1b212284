# Reference data for BRR and Fay replicate designs on R's Hadamard matrices (issue 16).
#
#   Rscript tests/reference/make_hadamard.R     (any working directory)
#
# Writes
# - expected/hadamard.json (ids "had_*", format of README.md): svyratio(~y, ~x) and its standard
#   error on as.svrepdesign(type = "BRR") and (type = "Fay", fay.rho = 0.3) of the designs with
#   n = 2..64 strata of two PSUs (data/brr_pairs.csv, strata 1..n; made by make_parity.R), except
#   n = 26, 34 and 50, which expected/parity_brr.json holds;
# - data/hadamard_md5.json: for n = 1..300, the order of survey:::hadamard(n) (the matrix R's BRR
#   takes for n strata) and the MD5 digest of its rows written as 0/1 digits (1 for a positive
#   entry), one row a line, each line ending in "\n"; tests/test_survey_parity.py compares
#   ci_eval.survey.hadamard.hadamard(n) with them.
# Deterministic: no random draws.

local({  # common.R (beside this script): libraries, working directory, options, helpers
  flag <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  source(file.path(if (length(flag) == 1) dirname(normalizePath(sub("^--file=", "", flag))) else ".",
                   "common.R"))
})

# ---- data/hadamard_md5.json ------------------------------------------------------------------
digest_of <- function(h) {
  file <- tempfile()
  on.exit(unlink(file))
  writeLines(apply(h, 1, function(r) paste(as.integer(r > 0), collapse = "")), file)
  unname(tools::md5sum(file))
}
matrices <- lapply(1:300, function(n) {
  h <- survey:::hadamard(n)
  list(n = n, order = nrow(h), md5 = digest_of(h))
})
writeLines(toJSON(list(source = r_versions, matrices = matrices), auto_unbox = TRUE,
                  pretty = FALSE),
           file.path("data", "hadamard_md5.json"))

# ---- expected/hadamard.json ------------------------------------------------------------------
pairs <- read.csv(file.path("data", "brr_pairs.csv"))
cases <- list()
for (n in setdiff(2:64, c(26, 34, 50))) {
  des <- svydesign(id = ~psu, strata = ~h, weights = ~w, data = pairs[pairs$h <= n, ])
  for (type in c("BRR", "Fay")) {
    rep <- if (type == "BRR") as.svrepdesign(des, type = "BRR") else
      as.svrepdesign(des, type = "Fay", fay.rho = 0.3)
    r <- svyratio(~y, ~x, rep)
    cases[[length(cases) + 1]] <- list(
      id = sprintf("had_brr%d_%s_ratio", n, tolower(type)),
      r = sprintf("svyratio(~y, ~x, as.svrepdesign(<%d pairs>, type = '%s'%s))", n, type,
                  if (type == "Fay") ", fay.rho = 0.3" else ""),
      data = "brr_pairs", data_rows = sprintf("h <= %d", n),
      design = list(ids = "psu", strata = "h", weights = "w", fpc = NULL),
      replicate = if (type == "BRR") list(type = "BRR") else list(type = "Fay", fay_rho = 0.3),
      weighting = NULL,
      call = list(fn = "ratio", args = list(numerator = "y", denominator = "x")),
      expected = list(list(variable = "y/x", estimate = as.numeric(coef(r)),
                           se = as.numeric(SE(r)))),
      rel_tol = 1e-8,
      note = sprintf("%d pairs: R's Hadamard matrix of order %d", n,
                     ncol(rep$repweights$weights)))
  }
}
doc <- list(source = r_versions, data_dir = "data", cases = cases)
writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE, na = "null"),
           file.path("expected", "hadamard.json"))
cat(sprintf("hadamard.json %d cases; hadamard_md5.json %d matrices\n", length(cases),
            length(matrices)))

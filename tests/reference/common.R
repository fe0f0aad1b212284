# Preamble shared by the reference scripts of this folder (make_*.R): each one starts with
#
#   local({  # common.R (beside this script): libraries, working directory, options, helpers
#     flag <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
#     source(file.path(if (length(flag) == 1) dirname(normalizePath(sub("^--file=", "", flag))) else ".",
#                      "common.R"))
#   })
#
# and is then run as `Rscript tests/reference/make_X.R` from any working directory (or sourced
# from inside this folder). This file loads survey and jsonlite, moves to the script's folder
# (this one: data/ and expected/ are then relative paths), sets R's default for lonely PSUs
# ("fail", what survey sets when loaded) explicitly and defines the helpers the scripts share.
# source() evaluates it in the global environment, where the script then runs. (The script of
# equity/ keeps its own preamble: it reads R's own api data, not data/.)

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

here <- local({
  flag <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  if (length(flag) == 1) dirname(normalizePath(sub("^--file=", "", flag))) else getwd()
})
setwd(here)
options(survey.lonely.psu = "fail")

# A data file of data/ (empty cells are missing values, as make_expected.R writes them).
load_data <- function(name) read.csv(file.path("data", paste0(name, ".csv")), na.strings = "")

# An R result as a plain numeric vector (names dropped), for toJSON.
num <- function(x) as.numeric(unname(x))

# The "source" field of a written file: the versions of R, survey and jsonlite.
r_versions <- paste0(R.version.string, ", survey ", packageVersion("survey"), ", jsonlite ",
                     packageVersion("jsonlite"))

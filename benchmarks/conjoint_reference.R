# Reference numbers for custlab.conjoint's conditional (multinomial) logit from R survival's
# clogit (exact partial likelihood: with one chosen alternative per task it is McFadden's
# conditional logit, the model mlogit fits without alternative-specific constants), on bayesm's
# public camera conjoint data (332 respondents, 16 tasks, 4 cameras and a no-choice option each).
# Writes tests/reference/camera.csv.gz (one row per alternative) and tests/results/clogit_camera_*.csv,
# which tests/analyses/test_conjoint.py compares against. Run by `make conjoint-reference` (Debian's R).
suppressMessages({library(bayesm); library(survival)})
args <- commandArgs(trailingOnly = TRUE)
root <- if (length(args)) args[1] else "."
data(camera)
rows <- list()
for (r in seq_along(camera)) {
  x <- camera[[r]]$X
  y <- camera[[r]]$y
  alts <- nrow(x) / length(y)
  task <- rep(seq_along(y), each = alts)
  alternative <- rep(seq_len(alts), length(y))
  rows[[r]] <- data.frame(respondent = r, task = task, alternative = alternative, x,
                          chosen = as.integer(alternative == y[task]))
}
long <- do.call(rbind, rows)
con <- gzfile(file.path(root, "tests", "data", "camera.csv.gz"), "w")
write.csv(long, con, row.names = FALSE)
close(con)
long$set <- long$respondent * 100 + long$task
terms <- c("canon", "sony", "nikon", "panasonic", "pixels", "zoom", "video", "swivel", "wifi", "price")
fit <- clogit(reformulate(c(terms, "strata(set)"), "chosen"), data = long, method = "exact")
results <- file.path(root, "tests", "results")
write.csv(data.frame(term = names(coef(fit)), estimate = unname(coef(fit)), std_error = sqrt(diag(vcov(fit)))),
          file.path(results, "clogit_camera_coefficients.csv"), row.names = FALSE)
write.csv(data.frame(statistic = c("loglik", "loglik_null", "tasks"),
                     value = c(fit$loglik[2], fit$loglik[1], length(unique(long$set)))),
          file.path(results, "clogit_camera_fit.csv"), row.names = FALSE)
write.csv(data.frame(package = c("R", "survival", "bayesm"),
                     version = c(as.character(getRversion()), as.character(packageVersion("survival")),
                                 as.character(packageVersion("bayesm")))),
          file.path(results, "clogit_camera_versions.csv"), row.names = FALSE)

# Reference numbers for custlab.factors from R psych (Revelle) and GPArotation, on psych's public
# bfi data (2,800 people, 25 personality items of the SAPA project; complete cases only, 2,436).
# Writes tests/reference/bfi.csv.gz (the items) and tests/results/psych_*.csv, which
# tests/analyses/test_factors.py compares against. Run by `make psych-reference` (installs R from Debian).
suppressMessages({library(psych); library(GPArotation)})
args <- commandArgs(trailingOnly = TRUE)
root <- if (length(args)) args[1] else "."
results <- file.path(root, "tests", "results")
items <- na.omit(bfi[, 1:25])
con <- gzfile(file.path(root, "tests", "data", "bfi.csv.gz"), "w")
write.csv(items, con, row.names = FALSE)
close(con)
out <- function(x, name) write.csv(x, file.path(results, paste0("psych_bfi_", name, ".csv")))
versions <- data.frame(package = c("R", "psych", "GPArotation"),
                       version = c(as.character(getRversion()), as.character(packageVersion("psych")),
                                   as.character(packageVersion("GPArotation"))))
write.csv(versions, file.path(results, "psych_bfi_versions.csv"), row.names = FALSE)

fit <- function(fm, rotate, name) {
  f <- fa(items, nfactors = 5, fm = fm, rotate = rotate, scores = "regression")
  l <- unclass(f$loadings)
  out(l, paste0(name, "_loadings"))
  out(data.frame(h2 = f$communality, u2 = f$uniquenesses, complexity = f$complexity), paste0(name, "_items"))
  out(f$Vaccounted, paste0(name, "_variance"))
  if (!is.null(f$Phi)) out(f$Phi, paste0(name, "_phi"))
  out(head(f$scores, 20), paste0(name, "_scores"))
}
fit("minres", "oblimin", "minres_oblimin")
fit("minres", "varimax", "minres_varimax")
fit("minres", "promax", "minres_promax")
fit("ml", "oblimin", "ml_oblimin")
fit("minres", "none", "minres_none")

k <- KMO(items)
out(data.frame(msa = k$MSAi), "kmo_items")
b <- cortest.bartlett(cor(items), n = nrow(items))
out(data.frame(kmo = k$MSA, chi2 = b$chisq, df = b$df, p = b$p.value), "adequacy")

a <- alpha(items[, c("N1", "N2", "N3", "N4", "N5")])
out(a$total[, c("raw_alpha", "std.alpha")], "alpha_N")
out(a$alpha.drop[, c("raw_alpha", "std.alpha")], "alpha_N_drop")

for (rot in c("none", "varimax")) {
  p <- principal(items, nfactors = 5, rotate = rot)
  out(unclass(p$loadings), paste0("pca_", rot, "_loadings"))
}
out(data.frame(eigenvalue = eigen(cor(items))$values), "eigenvalues")
set.seed(1)
pa <- fa.parallel(items, fa = "pc", n.iter = 100, plot = FALSE)
out(data.frame(ncomp = pa$ncomp), "parallel")

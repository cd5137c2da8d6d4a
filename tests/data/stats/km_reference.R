suppressMessages(library(survival))
f <- function(fit, ct) { s <- summary(fit, censored = FALSE); data.frame(time = s$time, surv = s$surv, se = s$std.err, lower = s$lower, upper = s$upper, strata = if (is.null(s$strata)) "all" else as.character(s$strata)) }
for (ct in c("log", "log-log", "plain")) {
  a <- f(survfit(Surv(time, status) ~ x, data = aml, conf.type = ct), ct)
  l <- f(survfit(Surv(time, status) ~ sex, data = lung, conf.type = ct), ct)
  write.csv(rbind(a, l), sprintf("/tmp/rref/km_%s.csv", ct), row.names = FALSE)
}
d1 <- survdiff(Surv(time, status) ~ x, data = aml); d2 <- survdiff(Surv(time, status) ~ sex, data = lung)
cat(sprintf("%.17g %.17g\n", d1$chisq, d2$chisq))
print(survfit(Surv(time, status) ~ 1, data = lung))

suppressMessages(library(relsurv))
data(colrec); data(rdata); data(slopop)
out <- list()
emit <- function(fit, dataset, table, method) {
  s <- summary(fit, censored = FALSE)
  strata <- if (is.null(s$strata)) rep("all", length(s$time)) else as.character(s$strata)
  data.frame(dataset = dataset, table = table, method = method, group = strata,
             time = s$time, n_risk = s$n.risk, n_event = s$n.event,
             surv = sprintf("%.17g", s$surv), std_err = sprintf("%.17g", s$std.err),
             lower = sprintf("%.17g", s$lower), upper = sprintf("%.17g", s$upper))
}
colrec$sexlab <- ifelse(colrec$sex == 1, "male", "female")
rdata$sexlab <- ifelse(rdata$sex == 1, "male", "female")
for (m in c("ederer2", "pohar-perme")) {
  out[[length(out) + 1]] <- emit(rs.surv(Surv(time, stat) ~ 1, rmap = list(age = age, sex = sex, year = diag),
                                         data = colrec, ratetable = slopop, method = m), "colrec", "slopop", m)
  out[[length(out) + 1]] <- emit(rs.surv(Surv(time, stat) ~ sex, rmap = list(age = age, sex = sex, year = diag),
                                         data = colrec, ratetable = slopop, method = m), "colrec", "slopop", m)
  out[[length(out) + 1]] <- emit(rs.surv(Surv(time, cens) ~ 1, rmap = list(age = age * 365.241, sex = sex, year = year),
                                         data = rdata, ratetable = slopop, method = m), "rdata", "slopop", m)
  out[[length(out) + 1]] <- emit(rs.surv(Surv(time, stat) ~ 1, rmap = list(age = age, sex = sexlab, year = diag),
                                         data = colrec, ratetable = survexp.us, method = m), "colrec", "survexp.us", m)
}
res <- do.call(rbind, out)
write.csv(res, "/tmp/rref/relsurv_reference.csv", row.names = FALSE, quote = FALSE)
cat(nrow(res), "rows\n")
print(R.version.string); print(packageVersion("relsurv")); print(packageVersion("survival"))
# rdata as CSV with its dates as days since 1970
rd <- data.frame(time = rdata$time, cens = rdata$cens, age = rdata$age, sex = rdata$sex,
                 year_days_1960 = as.numeric(rdata$year))
write.csv(rd, "/tmp/rref/rdata.csv", row.names = FALSE, quote = FALSE)
# colrec's values as R has them (check against the NetSurvival.jl copy)
write.csv(data.frame(sex = colrec$sex, age = colrec$age, diag = as.numeric(colrec$diag), time = colrec$time, stat = colrec$stat),
          "/tmp/rref/colrec_from_r.csv", row.names = FALSE, quote = FALSE)

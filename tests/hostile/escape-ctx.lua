-- expect: finding ctx changed for this file only: 1999-01-01
-- Tries: changing ctx for the rules that run after it: rawset of as_of, report and
-- within_12_months (ctx is read-only; rawset works on the file's own view).
-- good.lua reports ctx.as_of: it must still see the audit date.
rule { id = "HOST28", severity = "error", scope = "agency", title = "ctx",
  check = function(agency, ctx)
    local report = ctx.report
    pcall(function() ctx.as_of = "1999-01-01" end)
    rawset(ctx, "as_of", "1999-01-01")
    rawset(ctx, "report", function() end)
    rawset(ctx, "within_12_months", function() return true end)
    report(agency, agency.id, "ctx changed for this file only: %s", ctx.as_of)
  end }

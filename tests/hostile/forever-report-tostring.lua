-- expect: error instruction budget spent
-- Tries: ctx.report with a format argument whose __tostring loops (string.format
-- calls it from C, inside the engine's report).
rule { id = "HOST34", severity = "error", scope = "agency", title = "report",
  check = function(agency, ctx)
    ctx.report(agency, agency.id, "%s", setmetatable({}, { __tostring = function() while true do end end }))
  end }

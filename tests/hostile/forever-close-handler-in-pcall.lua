-- expect: error instruction budget spent
-- Tries: the same inside pcall: the __close handler runs when pcall unwinds, after
-- the budget is spent; then the rule carries on as if nothing happened.
rule { id = "HOST38", severity = "error", scope = "agency", title = "__close in pcall",
  check = function(agency, ctx)
    pcall(function()
      local guard <close> = setmetatable({}, { __close = function() while true do end end })
      while true do end
    end)
    ctx.report(agency, agency.id, "escaped the budget")
  end }

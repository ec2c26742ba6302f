-- expect: error instruction budget spent
-- Tries: a loop inside pcall, inside a loop: pcall must not swallow the budget.
rule { id = "HOST02", severity = "error", scope = "agency", title = "loop inside pcall",
  check = function(agency, ctx)
    while true do pcall(function() while true do end end) end
  end }

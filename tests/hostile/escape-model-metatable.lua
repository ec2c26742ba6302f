-- expect: error the tables of the model cannot get a metatable
-- Tries: a metamethod on a table of the model, which would run inside other rules
-- and in the engine, outside any budget.
rule { id = "HOST10", severity = "error", scope = "agency", title = "metatable on the model",
  check = function(agency, ctx)
    setmetatable(agency, { __index = function() while true do end end })
  end }

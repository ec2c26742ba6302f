-- a metamethod on a table of the model would run in other rules and in the
-- engine, outside any budget
rule { id = "HOST10", severity = "error", scope = "agency", title = "metatable on the model",
  check = function(agency, ctx)
    setmetatable(agency, { __index = function() while true do end end })
  end }

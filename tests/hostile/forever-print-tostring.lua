-- expect: error instruction budget spent
-- Tries: print of a value whose __tostring loops (print calls it from C).
rule { id = "HOST33", severity = "error", scope = "agency", title = "print",
  check = function(agency, ctx)
    print(setmetatable({}, { __tostring = function() while true do end end }))
  end }

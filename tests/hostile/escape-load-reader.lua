-- expect: error reader functions are not allowed
-- Tries: load with a reader function, which hands the chunk over in pieces (the
-- first piece decides whether it is binary).
rule { id = "HOST21", severity = "error", scope = "agency", title = "load reader",
  check = function(agency, ctx)
    local pieces = { "\27Lua\84\0\25\147\13\10\26\10\4\8\8\120\86" }
    local i = 0
    load(function() i = i + 1 return pieces[i] end)()
  end }

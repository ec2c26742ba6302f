-- expect: error memory limit reached
-- Tries: tables, without end.
rule { id = "HOST52", severity = "error", scope = "agency", title = "tables",
  check = function(agency, ctx)
    local t = {}
    for i = 1, math.maxinteger do t[i] = { i, i, i } end
  end }

-- expect: error instruction budget spent
-- Tries: string.rep of empty strings: n rounds in C that allocate nothing.
rule { id = "HOST06", severity = "error", scope = "agency", title = "rep of nothing",
  check = function(agency, ctx)
    local s = string.rep("", math.maxinteger)
  end }

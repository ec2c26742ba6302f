-- expect: error instruction budget spent
-- Tries: table.move loops in C without allocating.
rule { id = "HOST07", severity = "error", scope = "agency", title = "move of nothing",
  check = function(agency, ctx)
    table.move({}, 1, math.maxinteger // 2, 1)
  end }

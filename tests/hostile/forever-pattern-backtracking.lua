-- expect: error instruction budget spent
-- Tries: a pattern that backtracks exponentially: Lua's own matcher runs in C,
-- where no hook fires.
rule { id = "HOST39", severity = "error", scope = "agency", title = "pattern",
  check = function(agency, ctx)
    local s = ("a"):rep(40)
    s:find(("a*"):rep(40) .. "b")
  end }

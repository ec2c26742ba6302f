-- expect: error instruction budget spent
-- Tries: a C function that spends the budget in one call (string.rep of an
-- empty string 2^40 times, which the sandbox charges before it runs),
-- tail-called through pcall, so that no Lua line runs after the trip: the
-- errors entry had line 0 (found by a review in session 4). The trip now
-- notes the line of the rule code that was running.
rule { id = "HOST68", severity = "error", scope = "agency", title = "tail-called pcall of C",
  check = function(agency, ctx)
    return pcall(string.rep, "", 1 << 40)
  end }

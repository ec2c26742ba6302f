-- expect: error memory limit reached
-- Tries: table.concat of a table that holds its own concatenation, in a loop.
rule { id = "HOST57", severity = "error", scope = "agency", title = "table.concat",
  check = function(agency, ctx)
    local t = {}
    for i = 1, 100 do t[i] = ("x"):rep(1 << 16) end
    while true do t[#t + 1] = table.concat(t) end
  end }

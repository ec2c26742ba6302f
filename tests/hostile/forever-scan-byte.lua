-- expect: error instruction budget spent
-- Tries: string.byte(s, 1, -1) of 100,000 bytes, in a loop: 100,000 values pushed
-- by one call. Every value a library function returns is charged.
rule { id = "HOST45", severity = "error", scope = "agency", title = "string.byte",
  check = function(agency, ctx)
    local s = ("x"):rep(100000)
    while true do string.byte(s, 1, -1) end
  end }

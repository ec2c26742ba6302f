-- expect: error instruction budget spent
-- Tries: tonumber of megabytes of digits, in a loop: one call, one instruction,
-- milliseconds of C. Every string argument of a library function is charged.
rule { id = "HOST43", severity = "error", scope = "agency", title = "tonumber",
  check = function(agency, ctx)
    local s = ("1"):rep(3000000)
    while true do tonumber(s) end
  end }

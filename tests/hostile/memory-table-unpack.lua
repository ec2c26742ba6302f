-- expect: error memory limit reached
-- Tries: table.unpack of 900,000 values: the values go on the Lua stack, which
-- grows past the limit.
rule { id = "HOST56", severity = "error", scope = "agency", title = "table.unpack",
  check = function(agency, ctx)
    local t = { table.unpack({}, 1, 900000) }
  end }

-- expect: error memory limit reached
-- Tries: string.rep of a gigabyte, in one call.
rule { id = "HOST53", severity = "error", scope = "agency", title = "string.rep",
  check = function(agency, ctx)
    local s = string.rep("x", 1 << 30)
  end }
